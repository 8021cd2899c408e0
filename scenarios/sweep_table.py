"""The outputs of a sweep: the progress bar over runs, ``sweep.parquet`` and the sweep report.

Key names: `SweepProgress`, `sweep_table`, `write_sweep`, `read_sweep`.

``sweep.parquet`` has one row per run of the sweep's current specification, in grid × seed order:
``run, seed, status ("ok" | "failed"), error (one line, null when ok), resumed (complete before this call)``,
then every parameter of the scenario (list parameters as comma-separated text), then every scalar result of
the run's ``summary.json`` as ``result.NAME`` (null for a failed run). A column whose values mix numbers
and text is stored as text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

if TYPE_CHECKING:
    import pandas as pd

    from scenarios.sweep import SweepPlan


class SweepProgress:
    """A rich progress bar over the runs of a sweep: finished / total, failed, running, elapsed and ETA."""

    def __init__(self, scenario: str, total: int, already: int, *, enabled: bool = True) -> None:
        self.progress = Progress(
            TextColumn(f"[bold]sweep {scenario}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs · {task.fields[failed]} failed · {task.fields[running]} running"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=not enabled,
        )
        self.task = self.progress.add_task("runs", total=total, completed=already, failed=0, running=0)
        self.failed = 0

    def __enter__(self) -> SweepProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, outcome: Mapping[str, Any] | None, running: int) -> None:
        """Count one finished run (when `outcome` is given) and show how many are running now."""
        if outcome is not None:
            self.failed += outcome["status"] == "failed"
            self.progress.advance(self.task)
        self.progress.update(self.task, failed=self.failed, running=running)


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return value


def _column(values: list[Any]) -> Any:
    """One typed column: booleans, nullable integers, floats (with "inf"/"-inf" from JSON) or text."""
    import pandas as pd

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.array(values, dtype="boolean")
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.array(values, dtype="Int64")
    infinite = {"inf": math.inf, "-inf": -math.inf}
    if all((isinstance(v, int | float) and not isinstance(v, bool)) or v in infinite for v in present):
        return [math.nan if v is None else float(infinite.get(v, v)) for v in values]
    return pd.array([None if v is None else str(v) for v in values], dtype="string")


def sweep_table(plan: SweepPlan, outcomes: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per run of `plan` from each run's outcome (``status``, ``error``, ``results``, ``resumed``)."""
    import pandas as pd

    rows = []
    for r in plan.runs:
        o = outcomes.get(r.name) or {"status": "failed", "error": "not run (the sweep was interrupted)"}
        row = {"run": r.name, "seed": r.seed, "status": o["status"], "error": o.get("error")}
        row["resumed"] = bool(o.get("resumed", False))
        row.update({k: _cell(v) for k, v in r.params.items()})
        row.update({f"result.{k}": v for k, v in (o.get("results") or {}).items()})
        rows.append(row)
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return pd.DataFrame({k: _column([row.get(k) for row in rows]) for k in keys})


def write_sweep(plan: SweepPlan, table: pd.DataFrame, *, results: Sequence[str] | None, report: bool) -> None:
    """Write ``sweep.parquet`` (atomically) and, if `report`, ``report.md`` + ``figures/``."""
    import os

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = plan.out / "sweep.parquet"
    tmp = path.with_name("sweep.parquet.tmp")
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), tmp, compression="zstd")
    os.replace(tmp, path)
    if report:
        from analysis.report_sweep import report_sweep
        from scenarios.registry import get

        declared = get(plan.scenario).params
        report_sweep(plan.out, table, plan.scenario, plan.swept, {k: declared[k].help for k in declared}, results)


def read_sweep(out: Path | str) -> pd.DataFrame:
    """The ``sweep.parquet`` table of a sweep directory."""
    import pandas as pd

    return pd.read_parquet(Path(out) / "sweep.parquet")
