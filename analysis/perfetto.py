"""Export a run's trace and metrics as Chrome Trace Event JSON, which ui.perfetto.dev opens.

Key names: `chrome_events`, `counter_events`, `export_perfetto`, `WORLD_PIDS`, `TS_PER_UNIT`.

Mapping: world → process (pid, named after the world); entity → thread (tid = entity_id, 0 for events
without one); each event → an instant (``ph: "i"``) on its thread with its columns as args; a pair of kinds
``X_start`` / ``X_end`` with the same entity → one async span ``X`` (``ph: "b"``/``"e"``, id = entity), because
Perfetto requires spans on one thread to nest and token spans overlap; every metric → a counter track
(``ph: "C"``) in its world's process. Timestamps: ``ts = t × 1e6``, i.e. one unit of simulated time (a second
of membrane time, one unit of attention model time) is shown as one second.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from world.rundir import claim
from world.trace import read_metrics, read_trace

WORLD_PIDS = {"membrane": 1, "attention": 2, "coupled": 3}
TS_PER_UNIT = 1e6
_ARG_COLUMNS = ("src", "dst", "layer", "head", "pos", "value", "unit", "energy_J", "info_bits")


def _pid(world: str) -> int:
    return WORLD_PIDS.get(world, 9)


def _clean(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else str(v)
    if hasattr(v, "item"):
        return v.item()
    return v


def chrome_events(trace: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Trace rows (in `seq` order) → Chrome trace events: metadata, instants and async spans."""
    seen_pids: set[int] = set()
    seen_tids: set[tuple[int, int]] = set()
    for row in trace.itertuples(index=False):
        world = str(row.world)
        pid = _pid(world)
        entity = None if pd.isna(row.entity_id) else int(row.entity_id)
        tid = 0 if entity is None else entity
        if pid not in seen_pids:
            seen_pids.add(pid)
            yield {"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": world}}
        if (pid, tid) not in seen_tids:
            seen_tids.add((pid, tid))
            label = "world" if entity is None else f"entity {entity}"
            yield {"name": "thread_name", "ph": "M", "pid": pid, "tid": tid, "args": {"name": label}}
        kind = str(row.kind)
        ts = float(row.t) * TS_PER_UNIT
        args = {c: _clean(getattr(row, c)) for c in _ARG_COLUMNS}
        args = {k: v for k, v in args.items() if v is not None}
        args["seq"] = int(row.seq)
        if isinstance(row.attrs, str):
            args["attrs"] = json.loads(row.attrs)
        base = {"pid": pid, "tid": tid, "ts": ts, "args": args}
        if kind.endswith("_start") and entity is not None:
            yield {"name": kind[: -len("_start")], "cat": world, "ph": "b", "id": entity, **base}
        elif kind.endswith("_end") and entity is not None:
            yield {"name": kind[: -len("_end")], "cat": world, "ph": "e", "id": entity, **base}
        else:
            yield {"name": kind, "cat": world, "ph": "i", "s": "t", **base}


def counter_events(metrics: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Metric samples → counter events, one counter track per (world, metric), in time order."""
    frame = metrics.sort_values(["world", "metric", "t"], kind="stable")
    for row in frame.itertuples(index=False):
        value = float(row.value)
        if not math.isfinite(value):
            continue
        name = f"{row.metric} [{row.unit}]" if row.unit else str(row.metric)
        yield {
            "name": name,
            "ph": "C",
            "pid": _pid(str(row.world)),
            "tid": 0,
            "ts": float(row.t) * TS_PER_UNIT,
            "args": {"value": value},
        }


def _write(events: Iterable[dict[str, Any]], path: Path) -> int:
    n = 0
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write('{"displayTimeUnit":"ms","traceEvents":[\n')
            for ev in events:
                fh.write(("," if n else "") + json.dumps(ev, separators=(",", ":"), allow_nan=False) + "\n")
                n += 1
            fh.write("]}\n")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # no half-written trace.json.tmp is left behind
        raise
    return n


def export_perfetto(run_dir: Path | str, out: Path | str | None = None) -> tuple[Path, int]:
    """Write ``trace.json`` (or `out`) for the run in `run_dir`; return its path and the event count.

    Raises:
        FileNotFoundError: the directory holds no trace.
    """
    run_dir = Path(run_dir)
    trace = read_trace(run_dir)
    try:
        metrics = read_metrics(run_dir)
    except FileNotFoundError:
        metrics = pd.DataFrame(columns=["world", "t", "metric", "value", "unit"])
    if out is None:  # inside the run directory: recorded in its manifest, never written through a link
        claim(run_dir, "trace.json.tmp")
        path = claim(run_dir, "trace.json")
    else:
        path = Path(out)

    def events() -> Iterator[dict[str, Any]]:
        yield from chrome_events(trace)
        yield from counter_events(metrics)

    return path, _write(events(), path)
