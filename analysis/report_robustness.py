"""Numbers and report of `analogy_robustness`: where on a parameter grid each analogy row holds.

Key names: `VERDICT_SCORE`, `robustness_numbers`, `report_robustness`.

A row's verdict at a grid point is scored holds = 1, partly = 0.5, breaks = 0 (not measured: NaN); the
fraction of the grid where a row holds counts "holds" only. The report draws the verdicts as a heatmap
(rows × grid points) from ``summary.json`` alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap

from analysis.analogy import ROW_PREDICTIONS
from analysis.comparison import ANALOGY_ROWS
from analysis.report import Section, save_figure, write_report

VERDICT_SCORE = {"holds": 1.0, "partly": 0.5, "breaks": 0.0}


def robustness_numbers(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Fraction of grid points where each row holds (and holds at least partly), plus the points themselves."""
    roles = [p.role for p in ROW_PREDICTIONS]
    fraction = {
        role: {
            "holds": float(np.mean([p["rows"][role] == "holds" for p in points])),
            "holds_or_partly": float(np.mean([p["rows"][role] in ("holds", "partly") for p in points])),
        }
        for role in roles
    }
    return {
        "points": points,
        "grid_points": len(points),
        "fraction_holding": fraction,
        "tables": {
            "robustness": [
                {"row": f"{m} ↔ {a}", "holds on": f"{fraction[role]['holds']:.0%} of {len(points)} points"}
                for (m, a, role) in ANALOGY_ROWS
            ]
        },
    }


def _label(p: dict[str, Any]) -> str:
    return "baseline" if p["axis"] == "baseline" else f"{p['axis']}={p['value']:g}"


def report_robustness(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` with the verdict heatmap for an `analogy_robustness` run."""
    res = summary["results"]
    points = res["points"]
    names = [f"{m} ↔ {a}" for m, a, _ in ANALOGY_ROWS]
    roles = [role for _, _, role in ANALOGY_ROWS]
    score = np.array([[VERDICT_SCORE.get(p["rows"][r], np.nan) for p in points] for r in roles])
    fig, ax = plt.subplots(figsize=(max(6.0, 1.0 + 0.75 * len(points)), 3.8))
    cmap = ListedColormap(["#d95f02", "#f0e442", "#1b9e77"])
    ax.imshow(score, cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i in range(score.shape[0]):
        for j in range(score.shape[1]):
            ax.text(j, i, points[j]["rows"][roles[i]], ha="center", va="center", fontsize=7)
    frac = res["fraction_holding"]
    ticks = [f"{n}\n(holds on {frac[r]['holds']:.0%})" for n, r in zip(names, roles, strict=True)]
    ax.set_yticks(range(len(names)), ticks, fontsize=7)
    ax.set_xticks(range(len(points)), [_label(p) for p in points], rotation=45, ha="right", fontsize=7)
    ax.set_title("analogy rows over the grid (green holds, yellow partly, orange breaks)", fontsize=9)
    fig_path = save_figure(fig, out_dir, "robustness")
    table = pd.DataFrame(
        [{"grid point": _label(p), **{n: p["rows"][r] for n, r in zip(names, roles, strict=True)},
          "β test": p["beta_status"]}
         for p in points]
    )  # fmt: skip
    par = summary["params"]
    sections = [
        Section(
            "Where each row holds",
            [
                "Each grid point is decided as `side_by_side` decides, with one parameter changed from its default "
                f"(one at a time), {par['replicates']} seeds, charge {par['t_charge']} s and discharge "
                f"{par['t_discharge']} s; each row is decided as in `side_by_side` (docs/analogy.md). With fewer than "
                "10 seeds the β test cannot call the pattern shared; its status is listed for orientation. Every "
                "replicate of every point is a `side_by_side_replicate` run directory in `grid/`, run by the sweep "
                f"engine (scheduler: {par.get('scheduler', 'serial')}); every point uses the same replicate seeds.",
            ],
            [pd.DataFrame(res["tables"]["robustness"]), table],
            [fig_path],
        )
    ]
    return write_report(out_dir, "The analogy over a parameter grid", summary, sections)
