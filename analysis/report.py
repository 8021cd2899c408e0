"""Write a run's ``report.md``: sections of prose, tables and figures, from recorded data only.

Key names: `Section`, `markdown_table`, `write_report`, `save_figure`.

Figures are rendered headless (matplotlib's Agg backend) into ``figures/`` and linked relatively, so the
report reads on GitHub, in an editor preview, or converted with pandoc.
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


def write_report(out_dir: Path, title: str, summary: dict[str, Any], sections: Sequence[Section]) -> Path:
    """Write ``report.md`` for the run in `out_dir` and return its path."""
    lines = [f"# {title}", ""]
    lines.append(
        f"Scenario `{summary['scenario']}`, seed {summary['seed']}, run `{summary['run_id']}`; "
        f"simulated to t = {summary['t_end']:.6g}; {summary['trace_events']} trace events."
    )
    lines.append("")
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
