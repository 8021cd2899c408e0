"""Report of the `coupled_budget` scenario, and the stall measures it uses.

Key names: `stall_gaps`, `catch_up_time`, `report_coupled`.

`stall_gaps` and `catch_up_time` are pure functions over token times (the scenario calls them on the attention
world's records; the report could equally call them on the trace's ``token_start``/``token_end`` rows).
`report_coupled(out_dir, summary)` reads ``metrics.parquet``, ``trace.parquet`` and the summary and writes
``report.md`` with two figures: the timeline (Δψ and Δp; cytosolic ATP; ATP synthesis; tokens completed per
second; tokens waiting for ATP — one unit per panel) and the cumulative arrivals against completions, with the
tokens paid for (ATP spent / k) but not yet completed below them (the two curves would otherwise lie on top of
each other: a token pays before it is processed).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.report import Section, legend_outside, save_figure, write_report
from world.trace import read_metrics, read_trace

PHASE_COLOURS = {"baseline": "#ffffff", "uncoupler": "#fde0c5", "washout": "#d9f0d3", "oligomycin": "#dadaeb"}


def stall_gaps(times: Sequence[float], threshold: float, start: float, end: float) -> list[tuple[float, float]]:
    """Intervals inside [start, end] with no event for longer than `threshold` (e.g. no token completed).

    Args:
        times: sorted event times (token completions).
        threshold: minimum gap length that counts as a stall (> 0).
        start, end: the window; its edges count as boundaries of a gap.

    Returns:
        ``[(t_from, t_to), ...]`` in time order.
    """
    if not threshold > 0:
        raise ValueError(f"threshold(={threshold}) must be > 0")
    if not end >= start:
        raise ValueError(f"end(={end}) must be >= start(={start})")
    inside = [t for t in times if start < t <= end]
    edges = [start, *inside, end]
    return [(a, b) for a, b in itertools.pairwise(edges) if b - a > threshold]


def catch_up_time(arrivals: Sequence[float], ends: Sequence[float], t_from: float, max_latency: float) -> float | None:
    """First completion after `t_from` whose latency (end − arrival) is back within `max_latency`.

    After a stall the waiting tokens are served first (FIFO), with long latencies; the backlog is cleared
    when a token again completes as fast as in the baseline. None if that never happens.
    """
    if len(arrivals) != len(ends):
        raise ValueError(f"arrivals ({len(arrivals)}) and ends ({len(ends)}) must have the same length")
    for a, e in zip(arrivals, ends, strict=True):
        if e > t_from and e - a <= max_latency:
            return float(e)
    return None


def _shade(ax: plt.Axes, phases: dict[str, dict[str, float]]) -> None:
    for name, ph in phases.items():
        ax.axvspan(ph["t_from_s"], ph["t_to_s"], color=PHASE_COLOURS.get(name, "#eeeeee"), lw=0, zorder=0)


def _timeline(out_dir: Path, m: pd.DataFrame, trace: pd.DataFrame, res: dict[str, Any]) -> str:
    """Five panels, one unit each: Δψ and Δp; cytosolic ATP; ATP synthesis; token completions; tokens waiting."""
    mem = m[m["world"] == "membrane"].pivot_table(index="t", columns="metric", values="value")
    ends = trace.loc[(trace["world"] == "attention") & (trace["kind"] == "token_end"), "t"].to_numpy(float)
    t_max = float(mem.index.max()) if len(mem) else 1.0
    bins = np.arange(0.0, t_max + 0.1, 0.1)
    rate, _ = np.histogram(ends, bins=bins)
    fig, axes = plt.subplots(5, 1, figsize=(8.0, 9.5), sharex=True)
    for ax in axes:
        _shade(ax, res["phases"])
    axes[0].plot(mem.index, mem["delta_psi_mV"], label="Δψ")
    axes[0].plot(mem.index, mem["pmf_mV"], label="Δp")
    axes[0].set_ylabel("Δψ, Δp (mV)")
    axes[1].plot(mem.index, mem["atp_cytosol"], color="C2", label="cytosolic ATP")
    axes[1].set_ylabel("ATP (molecules)")
    axes[2].plot(mem.index, mem["atp_rate"], color="C3", lw=0.9, label="ATP synthesis")
    axes[2].axhline(0.0, color="k", lw=0.6)
    axes[2].set_ylabel("synthesis (ATP/s)")
    axes[3].step(bins[:-1], rate / 0.1, where="post", color="C0", label="tokens completed")
    arrivals = [ph["arrivals_per_s"] for ph in res["phases"].values()]
    if arrivals:
        axes[3].axhline(float(np.mean(arrivals)), color="0.4", ls=":", lw=1.0, label="arrival rate")
    axes[3].set_ylabel("completions (tokens/s)")
    axes[4].plot(mem.index, mem["tokens_waiting_atp"], color="C1", label="waiting for ATP")
    axes[4].set_ylabel("waiting (tokens)")
    axes[4].set_xlabel("t (s)  (membrane seconds; one token slot = {:.4g} s)".format(res["slot_s"]))
    for ax in axes:
        legend_outside(ax)
    for name, ph in res["phases"].items():
        axes[0].annotate(
            name, (ph["t_from_s"], 1.0), xycoords=("data", "axes fraction"), xytext=(2, 3),
            textcoords="offset points", fontsize=8, va="bottom",
        )  # fmt: skip
    fig.align_ylabels(axes)
    return save_figure(fig, out_dir, "coupled_timeline")


def _cumulative(out_dir: Path, trace: pd.DataFrame, res: dict[str, Any]) -> str:
    """Arrivals and completions; below, the tokens paid for (ATP spent / k) but not yet completed."""
    att = trace[trace["world"] == "attention"]
    starts = np.sort(att.loc[att["kind"] == "token_start", "t"].to_numpy(float))
    ends = np.sort(att.loc[att["kind"] == "token_end", "t"].to_numpy(float))
    spent = trace[(trace["world"] == "membrane") & (trace["kind"] == "atp_spent")]
    t_spent = spent["t"].to_numpy(float)
    paid = spent["value"].to_numpy(float).cumsum() / res["k_atp"]
    fig, axes = plt.subplots(2, 1, figsize=(8.0, 5.0), sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    for ax in axes:
        _shade(ax, res["phases"])
    ax = axes[0]
    ax.step(starts, np.arange(1, starts.size + 1), where="post", label="tokens arrived")
    ax.step(ends, np.arange(1, ends.size + 1), where="post", label="tokens completed")
    ax.set_ylabel("tokens (cumulative)")
    grid = np.union1d(t_spent, ends)
    idx = np.searchsorted(t_spent, grid, side="right")
    paid_at = np.where(idx > 0, paid[np.maximum(idx - 1, 0)], 0.0) if t_spent.size else np.zeros_like(grid)
    done_at = np.searchsorted(ends, grid, side="right")
    label = "in service: paid for\n(ATP spent / k), not\nyet completed"
    axes[1].step(grid, paid_at - done_at, where="post", color="C2", label=label)
    axes[1].set_ylabel("tokens")
    axes[1].set_xlabel("t (s)")
    for a in axes:
        legend_outside(a)
    fig.align_ylabels(axes)
    return save_figure(fig, out_dir, "coupled_cumulative")


def report_coupled(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and two figures for a `coupled_budget` run."""
    out_dir = Path(out_dir)
    res = summary["results"]
    m = read_metrics(out_dir)
    trace = read_trace(out_dir)
    timeline = _timeline(out_dir, m, trace, res)
    cumulative = _cumulative(out_dir, trace, res)
    rows = []
    for name, ph in res["phases"].items():
        rows.append(
            {
                "phase": name,
                "t (s)": f"{ph['t_from_s']:.3g}–{ph['t_to_s']:.3g}",
                "tokens/s": ph["tokens_per_s"],
                "arrivals/s": ph["arrivals_per_s"],
                "ATP spent/s": ph["atp_spent_per_s"],
                "stall (s)": ph["stall_s"],
                "Δψ (mV)": ph["delta_psi_mV"],
                "Δp (mV)": ph["pmf_mV"],
                "ATP synthesis (ATP/s)": ph["atp_synthesis_per_s"],
                "OCR (O2/s)": ph["ocr_per_s"],
            }
        )

    def num(key: str) -> float:
        v = res.get(key)
        return float("nan") if v is None else float(v)

    overall = pd.DataFrame(
        {
            "quantity": [
                "ATP per token",
                "stall onset after uncoupler",
                "stall onset after oligomycin",
                "first completion after wash-out",
                "backlog cleared after wash-out (recovery)",
                "free energy per ATP spent",
                "bits saved per ATP",
                "ATP + ADP drift (membrane world)",
                "energy ledger residual",
            ],
            "value": [
                num("atp_per_token"),
                num("stall_onset_after_uncoupler_s"),
                num("stall_onset_after_oligomycin_s"),
                num("resume_after_washout_s"),
                num("recovery_time_s"),
                num("atp_spent_kJ_per_mol"),
                num("bits_saved_per_atp"),
                float(res["atp_plus_adp"] - res["atp_plus_adp_expected"]),
                num("energy_ledger_residual_J"),
            ],
            "unit": ["ATP", "s", "s", "s", "s", "kJ/mol", "bit/ATP", "molecule", "J"],
        }
    )
    sections = [
        Section(
            "Inference on a mitochondrial ATP budget",
            [
                f"Every token takes k = {res['k_atp']} ATP from the membrane world's cytosol before it is processed; "
                "the ATP is hydrolysed to ADP + Pi there (trace kind `atp_spent`), so the membrane world's ATP + ADP "
                "stays constant and its energy ledger balances with the hydrolysis free energy booked as work done on "
                "the attention world. Tokens are the membrane's only ATP consumer. A phase's 'stall' is the time "
                f"covered by gaps longer than `stall_gap` with no token completing; {res['tokens_done']} of "
                f"{res['tokens_started']} tokens completed, {res['tokens_waiting_atp_at_end']} still wait for ATP at "
                "the end.",
                "Uncoupler: Δp collapses, the synthases run backwards and the cytosolic pool drains; inference "
                "first keeps its pace on the stored ATP, then slows and stalls. Wash-out: Δp rebuilds within a few "
                "tenths of a second and the backlog is served at the ATP-limited rate before the pace returns to the "
                "arrival rate. Oligomycin (irreversible): synthesis stops, Δp rises (nothing spends it) and "
                "inference stalls as soon as the pool is empty.",
            ],
            [pd.DataFrame(rows), overall],
            [timeline, cumulative],
        )
    ]
    return write_report(out_dir, "Coupled budget: ATP pays for inference", summary, sections)
