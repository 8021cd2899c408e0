"""Report of the `control_analysis` scenario: flux control coefficients per step and state, with the summation theorem.

Key names: `report_control_analysis`, `tables_control_analysis`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from analysis.control import LITERATURE
from analysis.report import Section, rows_table, save_figure, write_report

_LABELS = {
    "supply": "NADH supply",
    "complex_I": "complex I",
    "complex_III": "complex III",
    "complex_IV": "complex IV",
    "synthase": "ATP synthase",
    "exchanger": "nucleotide exchanger",
    "phosphate_carrier": "phosphate carrier",
    "leak": "proton leak",
    "demand": "ATP demand",
}


def _ci(s: Mapping[str, Any]) -> str:
    if s.get("absent"):
        return "absent (0)"
    if s["lo"] is None:
        return "—"
    return f"{s['lo']:+.3f} … {s['hi']:+.3f}"


def _literature(step: str, level: Mapping[str, Any]) -> str:
    state = "state 4" if level["demand"] == 0 else "state 3"
    return LITERATURE.get(step, {}).get(state, "")


def _row(label: str, s: Mapping[str, Any], literature: str = "") -> dict[str, Any]:
    """One table row: a coefficient's mean, interval and per-replicate values."""
    return {
        "step": label,
        "C (mean)": s["mean"],
        "95 % CI": _ci(s),
        "per replicate": ", ".join("—" if c is None else f"{c:+.3f}" for c in s["replicates"]),
        "measured elsewhere": literature,
    }


def _label(step: str, transport: str) -> str:
    """A step's name in tables and the figure: the exchanger is the translocase when transport is split."""
    if step == "exchanger" and transport == "ant_pic":
        return "nucleotide translocase"
    if step == "phosphate_carrier" and transport == "lumped":
        return "phosphate carrier (in the exchanger)"
    return _LABELS.get(step, step)


def tables_control_analysis(results: Mapping[str, Any], transport: str = "lumped") -> dict[str, list[dict[str, Any]]]:
    """One table per demand level: each step's coefficient, its interval and what the literature says; the sum
    and, when every step ran, the coefficient of all steps together."""
    out = {}
    for lv in results["levels"]:
        rows = [_row(_label(step, transport), s, _literature(step, lv)) for step, s in lv["steps"].items()]
        partial = not results.get("all_steps", True)
        rows.append(_row("sum of the steps run (partial)" if partial else "sum (theorem: 1)", lv["sum"]))
        if "together" in lv:
            rows.append(_row("all steps together (theorem: 1)", lv["together"]))
        title = (
            f"{lv['name']}: OCR {lv['ocr']:.1f} O2/s, Δψ {lv['delta_psi_mV']:.1f} mV, "
            f"ATP synthesis {lv['atp_rate']:.0f}/s (unperturbed worlds, mean)"
        )
        out[title] = rows
    return out


def _figure(out_dir: Path, results: Mapping[str, Any], transport: str = "lumped") -> str:
    levels = results["levels"]
    steps = list(levels[0]["steps"])
    y = np.arange(len(steps))[::-1]
    height = 0.8 / len(levels)
    fig, ax = plt.subplots(figsize=(9.0, 5.2), layout="constrained")
    for j, lv in enumerate(levels):
        means = np.array([lv["steps"][s]["mean"] for s in steps], float)
        lo = np.array([np.nan if lv["steps"][s]["lo"] is None else lv["steps"][s]["lo"] for s in steps], float)
        hi = np.array([np.nan if lv["steps"][s]["hi"] is None else lv["steps"][s]["hi"] for s in steps], float)
        err = np.vstack([means - lo, hi - means])
        total = lv["sum"]
        tot = f"{total['mean']:.2f}" if total["mean"] is not None else "—"
        if total["lo"] is not None:
            tot += f" [{total['lo']:.2f}, {total['hi']:.2f}]"
        together = lv.get("together")
        if together and together["lo"] is not None:
            tot += f"; all together {together['mean']:.2f} [{together['lo']:.2f}, {together['hi']:.2f}]"
        ys = y + (len(levels) / 2 - j - 0.5) * height
        for k, s in enumerate(steps):
            if lv["steps"][s].get("absent"):
                why = (
                    "in the exchanger"
                    if s == "phosphate_carrier" and transport == "lumped"
                    else f"none in {lv['name']}"
                )
                ax.text(0.01, ys[k], why, va="center", ha="left", fontsize=7.5, color=f"C{j}")
        ax.barh(
            ys,
            means,
            height=height,
            xerr=err,
            color=f"C{j}",
            capsize=3,
            label=f"{lv['name']} (OCR {lv['ocr']:.0f} O₂/s); ΣC = {tot}",
        )
    ax.axvline(0.0, color="0.4", lw=0.8)
    ax.set_yticks(y, [_label(s, transport) for s in steps])
    ax.set_xlabel("flux control coefficient of respiration, C = d ln J_O₂ / d ln E (dimensionless)")
    ax.set_title(
        f"Who controls respiration (bars: mean of {results['replicates']} replicates, whiskers: 95 % CI)", fontsize=10
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False, fontsize=9)
    return save_figure(fig, out_dir, "control_coefficients")


def report_control_analysis(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and the control-coefficient figure."""
    out_dir = Path(out_dir)
    res = summary["results"]
    transport = summary.get("params", {}).get("transport", "lumped")
    fig = _figure(out_dir, res, transport)
    f = res["factor"]
    text = [
        f"Each step's amount was scaled by {f:g} and by 1/{f:g} in two otherwise identical worlds (through its "
        "turnover: n sites at rate k are n·k of capacity), and respiration (electrons delivered to O₂, per 4) "
        f"measured over the same window at each ATP demand. C = (ln J₊ − ln J₋)/(2 ln {f:g}), per replicate; the "
        "interval is the 95 % Student-t interval over replicates. The summation theorem says the coefficients of "
        "all steps sum to 1, because scaling every amount together only rescales time; 'all steps together' "
        "measures that premise directly with one pair of worlds per replicate (every amount scaled at once), "
        "so it is the sharper check of the two. Both need steady windows and a step dt short enough that the "
        "per-step update of the rates does not matter (the scenario's docstring has the measurement).",
        "Literature for comparison (qualitative, as the sources give it): Groen et al. 1982 (J Biol Chem 257:2754, "
        "isolated rat-liver mitochondria, inhibitor titrations) found the adenine nucleotide translocator with "
        "≈ 0 control in state 4, rising to ≈ 0.3 at ≈ 80 % of state 3, and state-3 control shared by the "
        "translocator, substrate carriers and cytochrome oxidase; top-down analysis (Hafner, Brown & Brand 1990) "
        "puts most state-4 control in the proton leak. "
        + (
            "Here the exchanger is the nucleotide translocase, saturable in cytosolic ADP against ATP and "
            "electrogenic, with the phosphate carrier a step of its own (transport=ant_pic)."
            if transport == "ant_pic"
            else "The model's exchanger is the lumped step (transport=lumped), without saturation in ADP, so it "
            "cannot take the control the translocator has in mitochondria; transport=ant_pic splits it into "
            "the saturable translocase and the phosphate carrier."
        ),
    ]
    sections = [Section("Flux control coefficients", text, [], [fig])]
    for title, rows in tables_control_analysis(res, transport).items():
        sections.append(Section(title, [], [rows_table(rows)], []))
    return write_report(out_dir, "Metabolic control analysis of respiration", summary, sections)
