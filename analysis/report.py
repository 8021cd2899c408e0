"""Write a run's ``report.md``: sections of prose, tables and figures, from recorded data only.

Key names: `Section`, `markdown_table`, `write_report`, `save_figure`, `legend_outside`, `mark_times`,
`shade_windows`, `note_box`, `rows_table`.

Figures are rendered headless (matplotlib's Agg backend) into ``figures/`` and linked relatively, so the
report reads on GitHub, in an editor preview, or converted with pandoc. The figure conventions every report
follows: units on every axis (one unit per axis: two quantities with different units get two panels, never a
second y-axis), legends outside the data (`legend_outside`), perturbations as labelled vertical lines
(`mark_times`), measurement windows shaded (`shade_windows`), derived numbers in a box beside the axes
(`note_box`). `rows_table` turns the console tables of a scenario (``{title: [row dict, ...]}``) into
DataFrames for ``report.md``, so the console and the report show the same numbers. A run whose results carry
``steadiness`` (`analysis.steady.steady_summary`) gets a "Steady states" section naming every measurement
window that is not a steady state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from analysis.steady import steady_lines
from world.rundir import claim


@dataclass
class Section:
    """One section of a report: a heading, paragraphs, tables and figures (paths relative to the run dir)."""

    title: str
    text: list[str] = field(default_factory=list)
    tables: list[pd.DataFrame] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)


def _cell(v: Any) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "—"
        return f"{v:.4g}"
    return str(v).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table of `frame` (floats to 4 significant digits, NaN as —)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


def save_figure(fig: plt.Figure, out_dir: Path, name: str) -> str:
    """Save `fig` as ``figures/NAME.png`` under `out_dir`, close it, and return the relative path."""
    path = claim(out_dir, f"figures/{name}.png")  # recorded in the run's manifest; never through a link
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return f"figures/{name}.png"


def legend_outside(ax: plt.Axes, **kwargs: Any) -> None:
    """Place `ax`'s legend to the right of the axes, clear of the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8, frameon=False, **kwargs)


def mark_times(ax: plt.Axes, marks: Sequence[tuple[float, str]], *, label_axis: bool = True) -> None:
    """Draw each ``(t, label)`` as a dashed vertical line; labels go above the axes (on top of the panel)."""
    for t, label in marks:
        ax.axvline(t, color="0.25", lw=0.9, ls="--", zorder=1)
        if label_axis and label:
            ax.annotate(
                label,
                (t, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, 3),
                textcoords="offset points",
                fontsize=8,
                rotation=30,
                ha="left",
                va="bottom",
            )


def shade_windows(ax: plt.Axes, windows: Sequence[tuple[float, float]], color: str = "0.9") -> None:
    """Shade the measurement windows ``(t0, t1)`` behind the data."""
    for t0, t1 in windows:
        ax.axvspan(t0, t1, color=color, lw=0, zorder=0)


def note_box(fig: plt.Figure, lines: Sequence[str], x: float = 1.0, y: float = 0.5) -> None:
    """Write `lines` in a box at figure coordinates (`x`, `y`), by default right of the axes."""
    fig.text(
        x,
        y,
        "\n".join(lines),
        fontsize=8.5,
        va="center",
        ha="left",
        family="DejaVu Sans",
        bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "0.6"},
    )


def rows_table(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """A DataFrame of one console table (a list of row dicts with the same keys)."""
    return pd.DataFrame(list(rows))


def write_report(out_dir: Path, title: str, summary: dict[str, Any], sections: Sequence[Section]) -> Path:
    """Write ``report.md`` for the run in `out_dir` and return its path."""
    lines = [f"# {title}", ""]
    lines.append(
        f"Scenario `{summary['scenario']}`, seed {summary['seed']}, run `{summary['run_id']}`; "
        f"simulated to t = {summary['t_end']:.6g}; {summary['trace_events']} trace events."
    )
    lines.append("")
    steady = steady_lines(summary.get("results") or {})
    if steady:
        lines += ["## Steady states", "", *steady, ""]
    for sec in sections:
        lines += [f"## {sec.title}", ""]
        for para in sec.text:
            lines += [para, ""]
        for table in sec.tables:
            lines += [markdown_table(table), ""]
        for fig in sec.figures:
            lines += [f"![{Path(fig).stem}]({fig})", ""]
    params = pd.DataFrame({"parameter": list(summary["params"]), "value": [str(v) for v in summary["params"].values()]})
    lines += ["## Parameters", "", markdown_table(params), ""]
    tmp, path = claim(out_dir, "report.md.tmp"), claim(out_dir, "report.md")
    try:
        tmp.write_text("\n".join(lines), encoding="utf-8")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
