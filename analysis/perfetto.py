"""Export a run's trace and metrics as Chrome Trace Event JSON, which ui.perfetto.dev opens.

Key names: `chrome_events`, `counter_events`, `export_perfetto`, `WORLD_PIDS`, `TS_PER_UNIT`, `MAX_INSTANTS`,
`N_BINS`.

Mapping (one process per world, a bounded number of tracks):

- **Membrane**: the molecular events (pumping, rotor steps, leak, exchange, ...; thousands of protons, each
  with only a few events) are grouped by kind — one track per transporter or reaction, never one per proton.
  A kind with more than `MAX_INSTANTS` events becomes a counter track of its rate: the process-level counter
  ``membrane events/s`` has one series per kind, over `N_BINS` equal time bins (every kind in every bin, so a
  counter drops to 0 when its events stop). Rarer kinds (perturbations, configuration) stay instants on
  their kind's track, with the event's columns as arguments. Proton identity stays in ``trace.parquet``.
- **Attention**: training and inference on separate tracks. ``train_step`` events → complete slices on the
  track ``training <trainer>`` (each step spans the time since the previous one). A pair ``X_start`` /
  ``X_end`` of one entity in one stream → one complete slice ``X``; overlapping slices (queued tokens) are
  laid on lanes, ``inference <stream>``, ``inference <stream> #2``, ... (a lane is reused as soon as it is
  free, so the number of lanes is the largest number of tokens in flight). ``attend`` events are instants on
  their token's lane; when an ``attend`` names the context position its head attends most (column ``dst``),
  a flow arrow (``ph: "s"`` / ``"f"``) goes from that token's slice to the attending token's slice (one
  arrow per token pair, the heads that chose it as arguments of the attend instants).
- **Metrics**: one counter event per (world, sample time) with every metric of that time as an argument, so
  Perfetto shows one counter track per metric, named ``<world> <metric> [<unit>]``.

Timestamps: ``ts = t × 1e6`` µs, i.e. one unit of simulated time (a second of membrane time, one unit of
attention model time) is shown as one second. Numbers are written to 6 significant digits (the Parquet
files keep full precision); this keeps the JSON within a few times the size of the Parquet trace.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from world.rundir import claim
from world.trace import read_metrics, read_trace

WORLD_PIDS = {"membrane": 1, "attention": 2, "coupled": 3}
TS_PER_UNIT = 1e6
MAX_INSTANTS = 500
"""A membrane kind with more events than this is drawn as a rate counter rather than as instants."""
N_BINS = 500
"""Time bins of the membrane rate counters."""
_ARG_COLUMNS = ("entity_id", "src", "dst", "layer", "head", "pos", "value", "unit", "energy_J", "info_bits")


def _pid(world: str) -> int:
    return WORLD_PIDS.get(world, 9)


def _num(v: float) -> float | int:
    """`v` to 6 significant digits (ints stay ints)."""
    if float(v).is_integer() and abs(v) < 2**53:
        return int(v)
    return float(f"{v:.6g}")


def _ts(t: float) -> float | int:
    us = round(float(t) * TS_PER_UNIT, 3)
    return int(us) if us.is_integer() else us


def _clean(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return _num(v) if math.isfinite(v) else str(v)
    return v


def _args(row: Any) -> dict[str, Any]:
    args = {c: _clean(getattr(row, c)) for c in _ARG_COLUMNS}
    args = {k: v for k, v in args.items() if v is not None}
    args["seq"] = int(row.seq)
    if isinstance(row.attrs, str):
        args["attrs"] = json.loads(row.attrs)
    return args


class _Tracks:
    """Thread ids per (pid, track name), with their metadata events emitted once."""

    def __init__(self) -> None:
        self.tids: dict[tuple[int, str], int] = {}
        self.pids: set[int] = set()

    def process(self, world: str) -> tuple[int, list[dict[str, Any]]]:
        """The world's pid and, the first time, its name event."""
        pid = _pid(world)
        if pid in self.pids:
            return pid, []
        self.pids.add(pid)
        return pid, [{"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": world}}]

    def get(self, world: str, name: str) -> tuple[int, int, list[dict[str, Any]]]:
        """The (pid, tid) of track `name` in `world`'s process, and the metadata events not yet written."""
        pid, meta = self.process(world)
        key = (pid, name)
        if key not in self.tids:
            self.tids[key] = len([k for k in self.tids if k[0] == pid]) + 1
            tid = self.tids[key]
            meta.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid, "args": {"name": name}})
            meta.append({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid, "args": {"sort_index": tid}})
        return pid, self.tids[key], meta


def _membrane_events(mem: pd.DataFrame, tracks: _Tracks) -> Iterator[dict[str, Any]]:
    counts = mem["kind"].astype(str).value_counts()
    binned = sorted(k for k, n in counts.items() if n > MAX_INSTANTS)
    for row in mem[~mem["kind"].astype(str).isin(binned)].itertuples(index=False):
        pid, tid, meta = tracks.get("membrane", str(row.kind))
        yield from meta
        yield {"name": str(row.kind), "ph": "i", "s": "t", "pid": pid, "tid": tid, "ts": _ts(row.t), "args": _args(row)}
    if not binned:
        return
    rows = mem[mem["kind"].astype(str).isin(binned)]
    t = rows["t"].to_numpy(float)
    t0, t1 = float(mem["t"].min()), float(mem["t"].max())  # bins span the membrane world's whole trace
    width = (t1 - t0) / N_BINS if t1 > t0 else 1.0
    idx = np.minimum(((t - t0) / width).astype(np.int64), N_BINS - 1)
    kinds = rows["kind"].astype(str).to_numpy()
    grid = {k: np.bincount(idx[kinds == k], minlength=N_BINS) for k in binned}
    pid, meta = tracks.process("membrane")
    yield from meta
    for b in range(N_BINS):
        args = {k: _num(grid[k][b] / width) for k in binned}
        yield {"name": "membrane events/s", "ph": "C", "pid": pid, "tid": 0, "ts": _ts(t0 + b * width), "args": args}
    yield {
        "name": "membrane events/s",
        "ph": "C",
        "pid": pid,
        "tid": 0,
        "ts": _ts(t0 + N_BINS * width),
        "args": dict.fromkeys(binned, 0),
    }


def _lane(lanes: list[float], start: float, end: float) -> int:
    """The first lane free at `start` (its last slice ended at or before it); claim it until `end`."""
    for i, busy_until in enumerate(lanes):
        if busy_until <= start:
            lanes[i] = end
            return i
    lanes.append(end)
    return len(lanes) - 1


def _stream_events(world: str, att: pd.DataFrame, tracks: _Tracks) -> Iterator[dict[str, Any]]:
    """Training slices, token slices on lanes, attend instants and flow arrows for one non-membrane world."""
    att = att.assign(kind=att["kind"].astype(str), src=att["src"].astype(object).where(att["src"].notna(), ""))
    spans: dict[tuple[str, str, int], list[Any]] = {}
    for row in att.itertuples(index=False):
        kind = row.kind
        if kind.endswith(("_start", "_end")) and not pd.isna(row.entity_id):
            base, _, edge = kind.rpartition("_")
            spans.setdefault((base, str(row.src), int(row.entity_id)), [None, None])[edge == "end"] = row
    lanes: dict[tuple[str, str], list[float]] = defaultdict(list)
    where: dict[tuple[str, str, int], tuple[int, int, float, float]] = {}  # → pid, tid, start, end
    out: list[dict[str, Any]] = []
    for (base, src, ent), (start, end) in sorted(spans.items(), key=lambda kv: (kv[1][0] or kv[1][1]).seq):
        if start is None or end is None:
            continue
        lane = _lane(lanes[(base, src)], float(start.t), float(end.t))
        name = ("inference" if base == "token" else base) + (f" {src}" if src else "")
        pid, tid, meta = tracks.get(world, name + (f" #{lane + 1}" if lane else ""))
        out += meta
        args = {**_args(start), **{f"end_{k}": v for k, v in _args(end).items()}}
        dur = max(0.0, float(end.t) - float(start.t)) * TS_PER_UNIT
        out.append({"name": base, "cat": src or world, "ph": "X", "pid": pid, "tid": tid, "ts": _ts(start.t),
                    "dur": round(dur, 3), "args": args})  # fmt: skip
        where[(base, src, ent)] = (pid, tid, float(start.t), float(end.t))
    previous_step: dict[str, float] = {}
    flows: set[tuple[str, int, int]] = set()
    for row in att.itertuples(index=False):
        kind, src = row.kind, str(row.src)
        entity = None if pd.isna(row.entity_id) else int(row.entity_id)
        if kind.endswith(("_start", "_end")) and (kind.rpartition("_")[0], src, entity) in where:
            continue  # drawn as its slice
        if kind == "train_step":
            pid, tid, meta = tracks.get(world, f"training {src}".strip())
            out += meta
            t0 = previous_step.get(src, 0.0)
            previous_step[src] = float(row.t)
            out.append({"name": "train_step", "cat": "training", "ph": "X", "pid": pid, "tid": tid, "ts": _ts(t0),
                        "dur": round((float(row.t) - t0) * TS_PER_UNIT, 3), "args": _args(row)})  # fmt: skip
            continue
        if kind == "attend" and entity is not None and ("token", src, entity) in where:
            pid, tid, _, _ = where[("token", src, entity)]
            out.append({"name": "attend", "ph": "i", "s": "t", "pid": pid, "tid": tid, "ts": _ts(row.t),
                        "args": _args(row)})  # fmt: skip
            source = None if pd.isna(row.dst) else int(str(row.dst))
            if source is not None and source != entity and ("token", src, source) in where:
                flows.add((src, source, entity))
            continue
        pid, tid, meta = tracks.get(world, f"{kind} {src}".strip())
        out += meta
        out.append({"name": kind, "ph": "i", "s": "t", "pid": pid, "tid": tid, "ts": _ts(row.t), "args": _args(row)})
    for n, (src, source, target) in enumerate(sorted(flows)):
        spid, stid, s0, s1 = where[("token", src, source)]
        fpid, ftid, f0, f1 = where[("token", src, target)]
        common = {"name": "attends to", "cat": "attention", "id": n + 1}
        out.append({**common, "ph": "s", "pid": spid, "tid": stid, "ts": _ts((s0 + s1) / 2)})
        out.append({**common, "ph": "f", "bp": "e", "pid": fpid, "tid": ftid, "ts": _ts((f0 + f1) / 2)})
    yield from out


def chrome_events(trace: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Trace rows → Chrome trace events: metadata, membrane kind tracks and rate counters, attention slices,
    instants and flow arrows (see the module docstring for the mapping)."""
    trace = trace.sort_values("seq", kind="stable")
    tracks = _Tracks()
    worlds = trace["world"].astype(str)
    yield from _membrane_events(trace[worlds == "membrane"], tracks)
    for world in sorted(set(worlds) - {"membrane"}):
        yield from _stream_events(world, trace[worlds == world], tracks)


def counter_events(metrics: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Metric samples → one counter event per (world, time) holding every metric sampled then, in time order;
    Perfetto draws one track per metric, ``<world> <metric> [<unit>]``."""
    frame = metrics[np.isfinite(metrics["value"].to_numpy(float))]
    unit = frame["unit"].astype(str)
    frame = frame.assign(
        world=frame["world"].astype(str), key=frame["metric"].astype(str) + np.where(unit != "", " [" + unit + "]", "")
    )
    for (world, t), group in frame.groupby(["world", "t"], sort=True):
        args = {k: _num(v) for k, v in zip(group["key"], group["value"].to_numpy(float), strict=True)}
        yield {"name": world, "ph": "C", "pid": _pid(str(world)), "tid": 0, "ts": _ts(t), "args": args}


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
