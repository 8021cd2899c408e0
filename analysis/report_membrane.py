"""Reports of the membrane time-course scenarios: `respiratory_control` and `mito_stress_test`.

Key names: `report_respiratory_control`, `tables_respiratory_control`, `report_mito_stress_test`,
`tables_mito_stress_test`, `o2_consumed`.

Each report reads ``metrics.parquet`` (the sampled time course of one membrane world) and the summary's
results (the window averages the scenario measured), and draws what an experimentalist draws:

- `respiratory_control`: the Chance–Williams trace of an oxygraph with a Δψ probe — O₂ consumed, OCR and Δψ
  against time around the ADP pulse, the three measurement windows shaded, RCR and P/O written beside it.
- `mito_stress_test`: the Seahorse XF time course — OCR and Δψ with the injections (oligomycin, FCCP,
  rotenone + antimycin A) as labelled lines and the six derived numbers beside it.

The ``tables_*`` functions give the same numbers as console tables (``gradient run`` prints them).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.report import (
    Section,
    legend_outside,
    mark_times,
    note_box,
    rows_table,
    save_figure,
    shade_windows,
    write_report,
)
from analysis.report_membrane_steady import REDOX, move_dG_rows
from world.trace import read_metrics

SMOOTH_S = 0.25
"""Width of the moving average drawn over the sampled OCR (s); the raw samples are drawn too."""


def o2_consumed(metrics: pd.DataFrame) -> pd.Series:
    """O₂ molecules reduced since t = 0: electrons delivered to O₂ / 4 (the oxygraph's falling O₂, inverted)."""
    return metrics["electrons_to_o2"] / 4.0


def _smooth(series: pd.Series) -> pd.Series:
    dt = float(np.median(np.diff(series.index.to_numpy(float)))) if len(series) > 1 else 1.0
    k = max(1, round(SMOOTH_S / dt))
    return series.rolling(k, center=True, min_periods=1).mean()


def _ocr_panel(ax: plt.Axes, m: pd.DataFrame) -> None:
    ax.plot(m.index, m["ocr"], color="0.7", lw=0.7, drawstyle="steps-post", label="OCR per sample")
    ax.plot(m.index, _smooth(m["ocr"]), color="C0", lw=1.6, label=f"OCR, {SMOOTH_S:g} s mean")
    ax.set_ylabel("OCR (O₂/s)")


# ------------------------------------------------------------------------------------------ respiratory control
_STATE_ROWS = (("state 4", "state4"), ("state 3", "state3"), ("state 4 (after)", "state4_after"))


def tables_respiratory_control(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Δψ, ΔpH, Δp, OCR, ATP synthesis, leak and the redox fractions (when recorded) per respiratory state, and
    the ΔG of one forward move of each site class (when recorded)."""
    rows = []
    for label, key in _STATE_ROWS:
        s = results[key]
        rows.append(
            {
                "state": label,
                "Δψ (mV)": s["delta_psi_mV"],
                "ΔpH": s["delta_pH"],
                "Δp (mV)": s["pmf_mV"],
                "OCR (O2/s)": s["ocr"],
                "ATP synthesis (ATP/s)": s["atp_rate"],
                "leak (H+/s)": s["leak_rate"],
                **{column: s[key] for key, column, _ in REDOX if key in s},
            }
        )
    dg = move_dG_rows("state", [(label, results[key]) for label, key in _STATE_ROWS])
    return {"respiratory states (window means)": rows, **({"ΔG of one forward move (kJ/mol)": dg} if dg else {})}


def _state_windows(p: Mapping[str, Any]) -> list[tuple[float, float]]:
    """State 4, state 3 and state 4 again as (t0, t1); runs made before `state4_window` and `state3_delay`
    existed used `window` for all three and started state 3 0.2 s after the pulse."""
    t_pulse, window, t_end = p["t_pulse"], p["window"], p["t_end"]
    w4, delay = p.get("state4_window", window), p.get("state3_delay", 0.2)
    return [(t_pulse - w4, t_pulse), (t_pulse + delay, t_pulse + delay + window), (t_end - w4, t_end)]


def _fmt(value: Any, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _chance_williams(out_dir: Path, m: pd.DataFrame, summary: Mapping[str, Any]) -> str:
    p, res = summary["params"], summary["results"]
    windows = _state_windows(p)
    start = windows[0][0] - 0.1 * (windows[0][1] - windows[0][0])
    m = m[m.index >= max(0.0, start)]  # from just before state 4: skip most of the energisation
    fig, axes = plt.subplots(3, 1, figsize=(7.5, 7.0), sharex=True)
    axes[0].plot(m.index, o2_consumed(m), color="C3", label="O₂ consumed")
    axes[0].set_ylabel("O₂ consumed (molecules)")
    _ocr_panel(axes[1], m)
    for (t0, t1), (label, key) in zip(windows, _STATE_ROWS, strict=True):
        axes[1].hlines(res[key]["ocr"], t0, t1, color="k", lw=2.0, label="window mean" if key == "state4" else None)
        axes[0].annotate(label, ((t0 + t1) / 2, 0.04), xycoords=("data", "axes fraction"), ha="center", fontsize=8)
    axes[2].plot(m.index, m["delta_psi_mV"], color="C2", label="Δψ")
    axes[2].set_ylabel("Δψ (mV)")
    axes[2].set_xlabel("t (s)")
    for i, ax in enumerate(axes):
        shade_windows(ax, windows)
        mark_times(ax, [(p["t_pulse"], f"+{p['adp_pulse']} ADP")], label_axis=i == 0)
        legend_outside(ax)
    note_box(
        fig,
        [
            f"substrate {res['substrate']}, c-ring {res['c_ring']}",
            f"RCR = OCR₃ / OCR₄ = {_fmt(res['rcr'], '.2f')}",
            f"P/O (state 3) = {_fmt(res['p_o'], '.2f')}",
            f"P/O max 10/(n/3+1) = {res['p_o_mechanistic_max']:.2f}"
            if res["substrate"] == "nadh"
            else f"P/O max 6/(n/3+1) = {res['p_o_mechanistic_max']:.2f}",
            f"H⁺/ATP at the rotor = {_fmt(res['h_per_atp_rotor'], '.2f')}",
        ],
        x=0.915,
        y=0.2,
    )
    fig.align_ylabels(axes)
    return save_figure(fig, out_dir, "chance_williams")


def report_respiratory_control(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and the Chance–Williams figure for a `respiratory_control` run."""
    out_dir = Path(out_dir)
    m = read_metrics(out_dir, wide=True, world="membrane")
    res = summary["results"]
    fig = _chance_williams(out_dir, m, summary)
    derived = pd.DataFrame(
        {
            "quantity": ["RCR (OCR state 3 / state 4)", "P/O (ATP per O, state 3)", "P/O mechanistic maximum",
                         "H⁺ per ATP at the rotor (state 3)", "ΔpH share of Δp (state 4)"],
            "value": [res["rcr"], res["p_o"], res["p_o_mechanistic_max"], res["h_per_atp_rotor"],
                      res["delta_pH_share_of_pmf"]],
            "unit": ["1", "ATP/O", "ATP/O", "H⁺/ATP", "1"],
        }
    )  # fmt: skip
    derived["value"] = derived["value"].astype(float)
    text = [
        "An oxygraph experiment with a Δψ probe (Chance & Williams 1955). The world respires on its substrate with "
        "no ADP (state 4: the chain idles against Δp, only the leak spends it); the ADP pulse lets the synthases run, "
        "Δp dips a little and respiration speeds up (state 3) until the ADP is phosphorylated and state 4 returns. "
        "Shaded: the measurement windows; the table gives their means (exact window averages of the counters, "
        "independent of the sampling). The slope of O₂ consumed is the OCR.",
    ]
    tables = [rows_table(r) for r in tables_respiratory_control(res).values()]
    return write_report(
        out_dir,
        "Respiratory control: state 4 → ADP → state 3 → state 4",
        summary,
        [Section("Chance–Williams trace", text, [*tables, derived], [fig])],
    )


# -------------------------------------------------------------------------------------------- mito stress test
SIX = (
    ("basal", "basal respiration"),
    ("atp_linked", "ATP-linked"),
    ("proton_leak", "proton leak"),
    ("maximal", "maximal respiration"),
    ("spare_capacity", "spare capacity"),
    ("non_mitochondrial", "non-mitochondrial"),
)
_PHASES = (
    ("basal", "basal"),
    ("oligomycin", "oligomycin"),
    ("fccp", "FCCP"),
    ("rotenone_antimycin", "rotenone + antimycin A"),
)


def _injections(p: Mapping[str, Any]) -> list[tuple[float, str]]:
    w, ph = p["warmup"], p["phase"]
    return [(w, "oligomycin"), (w + ph, f"FCCP {p['fccp_uM']:g} µM"), (w + 2 * ph, "rotenone + AA")]


def tables_mito_stress_test(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The six Seahorse numbers, and OCR, Δψ and Δp at the end of each phase."""
    six = [{"quantity": label, "OCR (O2/s)": results["ocr"][key]} for key, label in SIX]
    phases = [
        {
            "phase": label,
            "OCR (O2/s)": results["ocr_raw"][key],
            "Δψ (mV)": results["delta_psi_mV"][key],
            "Δp (mV)": results["pmf_mV"][key],
        }
        for key, label in _PHASES
    ]
    return {"Seahorse numbers": six, "phases (window means)": phases}


def _seahorse(out_dir: Path, m: pd.DataFrame, summary: Mapping[str, Any]) -> str:
    p, res = summary["params"], summary["results"]
    injections = _injections(p)
    ends = [t for t, _ in injections] + [p["warmup"] + 3 * p["phase"]]
    windows = [(t - p["window"], t) for t in ends]
    fig, axes = plt.subplots(2, 1, figsize=(7.5, 5.5), sharex=True)
    _ocr_panel(axes[0], m)
    for (t0, t1), (key, _) in zip(windows, _PHASES, strict=True):
        axes[0].hlines(res["ocr_raw"][key], t0, t1, color="k", lw=2.0, label="window mean" if key == "basal" else None)
    axes[1].plot(m.index, m["delta_psi_mV"], color="C2", label="Δψ")
    axes[1].plot(m.index, m["pmf_mV"], color="C4", lw=1.0, label="Δp")
    axes[1].set_ylabel("Δψ, Δp (mV)")
    axes[1].set_xlabel("t (s)")
    for i, ax in enumerate(axes):
        shade_windows(ax, windows)
        mark_times(ax, injections, label_axis=i == 0)
        legend_outside(ax)
    lines = ["Seahorse numbers (O₂/s)"] + [f"{label}: {res['ocr'][key]:.0f}" for key, label in SIX]
    if res.get("leak_share_of_basal") is not None:
        lines.append(f"leak / basal = {res['leak_share_of_basal']:.2f}")
    note_box(fig, lines, x=0.915, y=0.2)
    fig.align_ylabels(axes)
    return save_figure(fig, out_dir, "seahorse")


def report_mito_stress_test(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and the Seahorse time course for a `mito_stress_test` run."""
    out_dir = Path(out_dir)
    m = read_metrics(out_dir, wide=True, world="membrane")
    fig = _seahorse(out_dir, m, summary)
    tables = [rows_table(r) for r in tables_mito_stress_test(summary["results"]).values()]
    text = [
        "The Seahorse XF Cell Mito Stress Test on the membrane world: basal respiration under a steady ATP demand, "
        "then oligomycin (synthase blocked: OCR falls to what the leak drives, Δψ rises), FCCP (uncoupler: OCR "
        "rises to the chain's maximum, Δψ collapses), then rotenone + antimycin A (chain stopped). Each number is "
        "the mean over the shaded window at the end of its phase. Definitions (Agilent): basal = basal − "
        "non-mitochondrial; ATP-linked = basal − oligomycin; proton leak = oligomycin − non-mitochondrial; maximal "
        "= FCCP − non-mitochondrial; spare capacity = maximal − basal; non-mitochondrial = after rotenone + "
        "antimycin A. The model has no oxidases outside the chain, so its non-mitochondrial OCR is what the "
        "inhibited chain still does (≈ 0).",
    ]
    section = Section("OCR and Δψ time course", text, tables, [fig])
    return write_report(out_dir, "Mito stress test (Seahorse sequence)", summary, [section])
