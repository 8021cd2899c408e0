"""Report of the `inference_load` scenario: queueing against theory, and the membrane's response to token load.

Key names: `report_serving`.

Two figures from ``summary.json`` alone: ``serving_queue.png`` (mean and p99 latency and throughput against
offered load ρ, with the M^X/D/1 theory curve and the compute capacity) and ``serving_membrane.png`` (OCR and
Δψ against the offered ATP load — k × offered token rate for token load, the set demand for plain ATP demand —
and the ATP actually consumed, with the maximal sustained ATP supply).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from analysis.report import Section, save_figure, write_report


def _theory_curve(res: dict[str, Any], burst: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean latency (s) of M^X/D/1 + Friedman over ρ in (0, 0.97]."""
    s = np.asarray(res["service_s"])
    rho = np.linspace(0.01, 0.97, 200)
    smax = s.max()
    wait = (rho * smax + (burst - 1) * smax) / (2 * (1 - rho))
    return rho, wait + s.sum()


def _queue_figure(out_dir: Path, res: dict[str, Any], burst: int, exact: bool) -> str:
    rows = res["queue_levels"]
    rho = [r["rho"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ms = 1e3
    ax1.errorbar(
        rho,
        [r["latency_mean"] * ms for r in rows],
        yerr=[(r["queue_wait_ci99"] or 0.0) * ms if r["theory_wait"] is not None else 0.0 for r in rows],
        fmt="o",
        color="C0",
        capsize=3,
        label="mean latency (simulated, 99 % CI where stationary)",
    )
    ax1.plot(rho, [r["latency_p99"] * ms for r in rows], "s", color="C1", label="p99 latency (simulated)")
    if exact:
        x, y = _theory_curve(res, burst)
        ax1.plot(x, y * ms, "-", color="C0", lw=1, label="mean latency, M/D/1 theory (P–K)")
    ax1.set_yscale("log")
    ax1.set_xlabel("offered load ρ (arrival rate / compute capacity)")
    ax1.set_ylabel("latency (ms)")
    ax1.legend(loc="upper left", fontsize=8)
    cap = res["compute_capacity_per_s"]
    ax2.plot(rho, [r["throughput"] for r in rows], "o", color="C2", label="throughput (simulated)")
    ax2.plot([0, max(rho)], [0, max(rho) * cap], ":", color="grey", label="offered rate")
    ax2.axhline(cap, color="k", lw=1, ls="--", label="compute capacity")
    ax2.set_xlabel("offered load ρ (arrival rate / compute capacity)")
    ax2.set_ylabel("throughput (tokens/s)")
    ax2.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return save_figure(fig, out_dir, "serving_queue")


def _plain_log_ticks(axis: Any) -> None:
    """Major ticks at 1, 2, 5 × 10ⁿ written as plain numbers; no minor labels."""
    axis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(mticker.FormatStrFormatter("%g"))
    axis.set_minor_formatter(mticker.NullFormatter())


def _membrane_figure(out_dir: Path, res: dict[str, Any], k: int) -> str:
    dem, tok = res["demand_levels"], res["token_levels"]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    xd = [r["demand"] for r in dem]
    xt = [k * r["token_rate"] for r in tok]
    panels = (("ocr", "OCR (O₂/s)"), ("delta_psi_mV", "Δψ (mV)"), (None, "ATP consumed (ATP/s)"))
    for ax, (key, unit) in zip(axes, panels, strict=True):
        if key is None:
            ax.plot(xd, [r["atp_export_rate"] for r in dem], "o-", color="C0", label="ATP demand: ATP export")
            ax.plot(xt, [k * r["throughput"] for r in tok], "s-", color="C3", label="token load: k × served tokens/s")
            ax.plot(xd, xd, ":", color="grey", label="consumed = offered")
        else:
            ax.plot(xd, [r[key] for r in dem], "o-", color="C0", label="ATP demand (set_atp_demand)")
            ax.plot(xt, [r[key] for r in tok], "s-", color="C3", label="token load (k × offered tokens/s)")
        ax.axvline(res["max_atp_supply_per_s"], color="grey", ls="--", lw=1, label="max sustained ATP supply")
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis)
        ax.set_xlabel("offered ATP load (ATP/s)")
        ax.set_ylabel(unit)
        ax.legend(loc="best", fontsize=7)
    axes[2].set_yscale("log")
    _plain_log_ticks(axes[2].yaxis)
    fig.tight_layout()
    return save_figure(fig, out_dir, "serving_membrane")


def report_serving(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and two figures for an `inference_load` run."""
    out_dir = Path(out_dir)
    res, params = summary["results"], summary["params"]
    k = int(params["k_atp"])
    exact = int(params["capacity"]) == 1 and int(params.get("batch_max", 1)) == 1
    qfig = _queue_figure(out_dir, res, int(params["burst"]), exact)
    mfig = _membrane_figure(out_dir, res, k)
    q = pd.DataFrame(
        [
            {
                "ρ": r["rho"],
                "tokens": r["tokens"],
                "throughput (1/s)": r["throughput"],
                "latency mean (ms)": 1e3 * r["latency_mean"],
                "p50 (ms)": 1e3 * r["latency_p50"],
                "p99 (ms)": 1e3 * r["latency_p99"],
                "wait (ms)": 1e3 * r["queue_wait_mean"],
                "± 99 % CI (ms)": float("nan") if r["queue_wait_ci99"] is None else 1e3 * r["queue_wait_ci99"],
                "theory wait (ms)": float("nan") if r["theory_wait"] is None else 1e3 * r["theory_wait"],
                "queue length": sum(r["queue_len"]),
                "utilisation": max(r["utilisation"]),
            }
            for r in res["queue_levels"]
        ]
    )
    t = pd.DataFrame(
        [
            {
                "tokens/s offered": r["token_rate"],
                "served (1/s)": r["throughput"],
                "latency mean (ms)": 1e3 * r["latency_mean"],
                "p99 (ms)": 1e3 * r["latency_p99"],
                "dropped": r["dropped"],
                "OCR (O₂/s)": r["ocr"],
                "Δψ (mV)": r["delta_psi_mV"],
                "ATP/ADP": r["atp_adp"],
                "ATP/O": r["atp_per_o"],
            }
            for r in res["token_levels"]
        ]
    )
    d = pd.DataFrame(
        [
            {
                "ATP demand (ATP/s)": r["demand"],
                "ATP export (ATP/s)": r["atp_export_rate"],
                "OCR (O₂/s)": r["ocr"],
                "Δψ (mV)": r["delta_psi_mV"],
                "ATP/ADP": r["atp_adp"],
                "ATP/O": r["atp_per_o"],
            }
            for r in res["demand_levels"]
        ]
    )
    measured = res["measured_max_token_rate"]
    sections = [
        Section(
            "Queueing with unlimited ATP",
            [
                f"{res['flops_per_token']:.0f} FLOPs per token; service {1e3 * sum(res['service_s']):.3f} ms; "
                f"compute capacity {res['compute_capacity_per_s']:.1f} tokens/s. Wait = time queued for layers; "
                "its interval is the 99 % batch-means confidence interval; theory M^X/D/1 (Pollaczek–Khinchine).",
            ],
            [q],
            [qfig],
        ),
        Section(
            "The membrane under token load and under ATP demand",
            [
                f"Maximal sustained ATP supply (export at demand {res['demand_levels'][-1]['demand']:g} ATP/s): "
                f"{res['max_atp_supply_per_s']:.0f} ATP/s, so the predicted maximal sustainable token rate is "
                f"{res['predicted_max_token_rate']:.1f} tokens/s at k = {k}; measured (served, levels beyond it): "
                + ("—" if measured is None else f"{measured:.1f} tokens/s")
                + f". ATP drawn by tokens {res['atp_drawn']} = admitted × k {res['tokens_admitted_times_k']}"
                f" = ATP hydrolysed by the bridge {res['atp_hydrolysed_by_bridge']}.",
            ],
            [t, d],
            [mfig],
        ),
    ]
    return write_report(out_dir, "Inference load: token-load titration", summary, sections)
