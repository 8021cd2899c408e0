"""Figures of the `side_by_side` report, drawn from ``summary.json`` alone (so `gradient report` redraws them).

Key names: `draw_all`.

Every figure shows all seeds (median line, 10–90 % band) unless it says "seed 0"; every axis has one unit;
undetermined fits are named in the panel and not drawn as curves.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from analysis.analogy import ROW_PREDICTIONS
from analysis.order import pmf_max_mV
from analysis.relaxation import stretched_exponential
from analysis.report import save_figure
from analysis.side_by_side_measures import U_GRID


def _a(x: Any) -> np.ndarray:
    return np.array(x, dtype=np.float64)


def _band(ax: plt.Axes, x: np.ndarray, ys: list[np.ndarray], color: str, label: str, ls: str = "-") -> None:
    n = min(len(y) for y in ys)
    Y = np.vstack([y[:n] for y in ys])
    x = x[:n]
    with np.errstate(all="ignore"):
        ok = np.isfinite(Y).any(axis=0)
        if not ok.any():
            return
        med = np.nanmedian(Y[:, ok], axis=0)
        lo, hi = np.nanpercentile(Y[:, ok], 10, axis=0), np.nanpercentile(Y[:, ok], 90, axis=0)
    ax.plot(x[ok], med, color=color, ls=ls, lw=1.3, label=f"{label} (median of {len(ys)} seeds)")
    ax.fill_between(x[ok], lo, hi, color=color, alpha=0.2, lw=0)


def _gradients(out: Path, res: dict[str, Any], par: dict[str, Any]) -> str:
    reps = res["curves"]["replicates"]
    V = res["attention"]["vocab"]
    fig, ax = plt.subplots(figsize=(8, 4))
    tm = _a(reps[0]["t_membrane"])
    _band(ax, tm, [_a(r["pmf_mV"]) / pmf_max_mV() for r in reps], "C0", f"membrane φ = Δp / {pmf_max_mV():.0f} mV")
    tt = _a(reps[0]["t_train"])
    span = [np.log(V) - r["entropy_rate_nats"] for r in reps]
    _band(ax, tt, [1 - _a(r["excess_training"]) / s for r, s in zip(reps, span, strict=True)], "C1",
          "attention φ, training")  # fmt: skip
    _band(ax, tt, [1 - _a(r["excess_control"]) / s for r, s in zip(reps, span, strict=True)], "C2",
          f"attention φ, control (warm-up {par['control_warmup']})", ls="--")  # fmt: skip
    ti = _a(reps[0]["t_inference"])
    phi_i = np.vstack([1 - _a(r["excess_inference"])[: ti.size] / s for r, s in zip(reps, span, strict=True)])
    mean = phi_i.mean(axis=0)
    half = 1.96 * phi_i.std(axis=0, ddof=1) / np.sqrt(len(reps)) if len(reps) > 1 else np.zeros_like(mean)
    ax.errorbar(
        ti,
        mean,
        yerr=half,
        fmt="o-",
        color="C3",
        ms=3,
        capsize=3,
        lw=1,
        label=f"attention φ, inference stream (windows of ≥ 40 tokens; mean ± 95 % CI of {len(reps)} seeds)",
    )
    ax.axhline(1.0, color="k", lw=0.5)
    ax.axvline(par["t_charge"], color="grey", ls=":", lw=1)
    ax.text(par["t_charge"], 0.02, " fuel cut / training ends", color="grey", fontsize=8)
    ax.set(xlabel="t (s, shared clock)", ylabel="order φ (0 = equilibrium, 1 = maximum)", ylim=(-0.05, 1.25))
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return save_figure(fig, out, "gradients")


def _entropy(out: Path, res: dict[str, Any], par: dict[str, Any]) -> str:
    reps = res["curves"]["replicates"]
    att = res["attention"]
    V = att["vocab"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4))
    fig.subplots_adjust(wspace=0.3)
    tm, tt, ti = _a(reps[0]["t_membrane"]), _a(reps[0]["t_train"]), _a(reps[0]["t_inference"])
    _band(
        a1,
        tm,
        [_a(r["s_field_nats"]) - r["s_field_nats"][0] for r in reps],
        "C0",
        "membrane: proton field ΔS per proton",
    )
    _band(a1, tt, [_a(r["excess_training"]) + r["entropy_rate_nats"] - np.log(V) for r in reps], "C1",
          "attention: cross-entropy − ln V per token (training)")  # fmt: skip
    _band(a1, ti, [_a(r["entropy_inference"]) - np.log(V) for r in reps], "C3",
          "attention: next-token entropy − ln V (inference)")  # fmt: skip
    floor = np.median([r["entropy_rate_nats"] for r in reps]) - np.log(V)
    a1.axhline(floor, color="k", ls="--", lw=1, label="floor h − ln V (median h; an average over contexts)")
    a1.axvline(par["t_charge"], color="grey", ls=":", lw=1)
    a1.set(xlabel="t (s)", ylabel="entropy change (nats per proton or per token)", title="per particle")
    a1.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    per_step = att["train_tokens_scored"] / max(1, att["train_train_steps"])
    _band(a2, tm, [np.maximum(_a(r["heat_nats"]) - r["heat_nats"][0], 1e-3) for r in reps], "C0",
          "membrane: entropy produced, heat/(k_B·T)")  # fmt: skip
    _band(a2, tt, [np.cumsum(np.log(V) - r["entropy_rate_nats"] - _a(r["excess_training"])) * per_step for r in reps],
          "C1", "attention: nats learned by training (cumulative)")  # fmt: skip
    a2.set_yscale("log")
    a2.set_ylim(bottom=1.0)
    a2.axvline(par["t_charge"], color="grey", ls=":", lw=1)
    a2.set(xlabel="t (s)", ylabel="cumulative entropy (nats = k_B)", title="whole system")
    a2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    return save_figure(fig, out, "entropy")


def _fit_curve(ax: plt.Axes, f: dict[str, Any], lo: float, hi: float, label: str, color: str, y_text: float) -> None:
    if f["determined"]:
        tt = np.linspace(lo, hi, 200)
        ax.plot(tt, stretched_exponential(tt - f["t0"], f["y0"], f["y_inf"], f["tau"], f["beta"]), color=color,
                label=f"{label}: τ={f['tau']:.3g} s, β={f['beta']:.2f}")  # fmt: skip
    else:
        text = textwrap.fill(f"{label} fit not determined: {f['reason']}", 48)
        ax.text(0.98, y_text, text, transform=ax.transAxes, ha="right",
                fontsize=7, color=color)  # fmt: skip


def _fits(out: Path, res: dict[str, Any], par: dict[str, Any]) -> str:
    r0, f0 = res["curves"]["replicates"][0], res["fits"][0]
    tc = par["t_charge"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    tm, pmf = _a(r0["t_membrane"]), _a(r0["pmf_mV"])
    a1.plot(tm, pmf, ".", ms=3, color="C0", label="Δp (seed 0)")
    _fit_curve(a1, f0["membrane_charge"], 0.0, tc, "charge", "C1", 0.5)
    _fit_curve(a1, f0["membrane_discharge"], tc, tm.max(), "discharge", "C2", 0.4)
    a1.set(xlabel="t (s)", ylabel="Δp (mV)", title="membrane, seed 0")
    a1.legend(fontsize=7, loc="lower right")
    tt = _a(r0["t_train"])
    a2.plot(tt, _a(r0["excess_training"]), lw=0.6, color="C0", label=f"excess loss, warm-up {par['warmup']}")
    a2.plot(
        tt, _a(r0["excess_control"]), lw=0.6, color="C4", label=f"excess loss, control warm-up {par['control_warmup']}"
    )
    _fit_curve(a2, f0["attention_training"], tt[0], tc, "training", "C1", 0.5)
    _fit_curve(a2, f0["attention_control"], tt[0], tc, "control", "C3", 0.4)
    a2.set(xlabel="t (s)", ylabel="excess loss (nats/token)", title="attention, seed 0")
    a2.legend(fontsize=7, loc="upper right")
    return save_figure(fig, out, "fits")


def _shape(out: Path, res: dict[str, Any]) -> str:
    reps = res["curves"]["replicates"]
    fig, ax = plt.subplots(figsize=(7, 4))
    _band(ax, U_GRID, [_a(r["phi_u_membrane"]) for r in reps], "C0", "membrane charging")
    _band(ax, U_GRID, [_a(r["phi_u_training"]) for r in reps], "C1", "attention training")
    _band(ax, U_GRID, [_a(r["phi_u_control"]) for r in reps], "C2", "attention control", ls="--")
    ax.plot(U_GRID, 1 - np.exp(-U_GRID), "k:", label="1 − exp(−t/τ) (β = 1)")
    ax.set(xlabel="reduced time t/τ (each seed's own τ)", ylabel="progress of the build-up (dimensionless)")
    ax.legend(fontsize=7, loc="lower right")
    return save_figure(fig, out, "shape")


def _rows(out: Path, res: dict[str, Any]) -> str:
    rows = res["rows"]
    fig, axes = plt.subplots(1, len(rows), figsize=(2.6 * len(rows), 3.6))
    for ax, row, pred in zip(np.atleast_1d(axes), rows, ROW_PREDICTIONS, strict=True):
        for x, world, color in ((0, "membrane", "C0"), (1, "attention", "C1")):
            s = row[world]
            if s["n"]:
                lo, hi = _num_pair(s["ci"])
                ax.errorbar(
                    [x], [s["mean"]], yerr=[[s["mean"] - lo], [hi - s["mean"]]], fmt="o", color=color, capsize=4
                )
                vals = _a(s["values"])
                ax.plot(x + 0.25 + np.linspace(-0.05, 0.05, vals.size), vals, ".", color=color, ms=4, alpha=0.6)
        ax.axhline(pred.threshold, color="grey", ls="--", lw=1)
        ax.set_xticks([0, 1], ["membrane", "attention"], fontsize=8)
        ax.set_xlim(-0.6, 1.6)
        ax.set_title(f"{pred.role}\n→ {row['verdict']}", fontsize=8)
        ax.set_ylabel("|effect − 1|" if pred.around_one else "effect (ratio)", fontsize=8)
    fig.suptitle("each row's declared effect: seed mean, 95 % CI (dots: seeds); dashed = threshold", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, out, "rows")


def _num_pair(ci: list[Any]) -> tuple[float, float]:
    return tuple(float("nan") if v is None else float(v) for v in ci)  # type: ignore[return-value]


def draw_all(out_dir: Path, res: dict[str, Any], par: dict[str, Any]) -> dict[str, str]:
    """Draw every figure of the report into ``figures/`` and return name → relative path."""
    out = Path(out_dir)
    return {
        "gradients": _gradients(out, res, par),
        "entropy": _entropy(out, res, par),
        "fits": _fits(out, res, par),
        "shape": _shape(out, res),
        "rows": _rows(out, res),
    }
