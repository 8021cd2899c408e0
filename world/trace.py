"""The run's event trace and sampled metrics, streamed to disk while the run goes.

Key names: `TRACE_SCHEMA`, `METRICS_SCHEMA`, `TraceRecorder`, `MetricsRecorder`, `read_trace`,
`read_metrics`, `trace_path`.

Events are buffered in memory and flushed every `flush_every` rows. In Parquet mode each flush writes one
complete Parquet file into the *directory* ``trace.parquet/`` (``part-000000.parquet``, ...): a directory of
Parquet files is itself a Parquet dataset, so ``pandas.read_parquet(".../trace.parquet")`` reads the prefix
of a run that was killed at any point. `close()` then merges the parts, one at a time (memory stays flat),
into a single file ``trace.parquet`` with one row group per flush, and removes the directory. JSONL mode
appends one JSON object per line and flushes the file at every flush; a torn last line is skipped on reading.

Byte-identical output for identical events: the writer uses fixed settings (zstd level 3, dictionary
encoding on the string columns, statistics on, no pandas metadata, no timestamps), so the same seed gives
the same bytes with the same pyarrow version.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from world.errors import ClockError
from world.sink import Sink, column

_DICT = pa.dictionary(pa.int32(), pa.string())

TRACE_SCHEMA = pa.schema(
    [
        ("run_id", _DICT),
        ("world", _DICT),
        ("t", pa.float64()),
        ("seq", pa.int64()),
        ("kind", _DICT),
        ("entity_id", pa.int64()),
        ("src", _DICT),
        ("dst", _DICT),
        ("layer", pa.int32()),
        ("head", pa.int32()),
        ("pos", pa.int32()),
        ("value", pa.float64()),
        ("unit", _DICT),
        ("energy_J", pa.float64()),
        ("info_bits", pa.float64()),
        ("attrs", pa.string()),
    ]
)
"""One row per event. `seq` is global and breaks ties in `t`; `attrs` is a JSON object or null."""

METRICS_SCHEMA = pa.schema(
    [
        ("run_id", _DICT),
        ("world", _DICT),
        ("t", pa.float64()),
        ("metric", _DICT),
        ("value", pa.float64()),
        ("unit", _DICT),
    ]
)
"""Sampled time series in long format."""

WORLDS = ("membrane", "attention", "coupled")
encode_attrs = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
"""``json.dumps(attrs, sort_keys=True, separators=(",", ":"))`` with one encoder for the run, not one per row."""
_NULLABLE_INT = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int32Dtype()}


def _to_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=_NULLABLE_INT.get)


class TraceRecorder:
    """Records events of a run with a global sequence number; see the module docstring for the files.

    Args:
        path: ``DIR/trace.parquet`` or ``DIR/trace.jsonl``; None keeps events in memory (tests).
        run_id: stamped on every row.
        fmt: ``"parquet"`` or ``"jsonl"``.
        flush_every: rows buffered before a flush (one Parquet row group per flush).
        on_flush: called after every flush (a `Run` flushes its metrics with its trace, so a killed run's
            files hold the samples that go with its trace prefix).
    """

    def __init__(
        self,
        path: Path | None,
        run_id: str,
        fmt: str = "parquet",
        flush_every: int = 65536,
        on_flush: Callable[[], None] | None = None,
    ) -> None:
        self.run_id = run_id
        self._sink = Sink(path, TRACE_SCHEMA, flush_every, fmt, on_flush)
        self.seq = 0
        self.last_t = -math.inf

    stores = True
    """Whether rows are kept (False for `NullTraceRecorder`: producers need not build them)."""

    def _check_t(self, t: float) -> None:
        if t < self.last_t:
            raise ClockError(f"event at t={t} is earlier than the last recorded t={self.last_t}")
        self.last_t = t

    def emit(
        self,
        t: float,
        world: str,
        kind: str,
        entity_id: int | None = None,
        src: str | None = None,
        dst: str | None = None,
        layer: int | None = None,
        head: int | None = None,
        pos: int | None = None,
        value: float | None = None,
        unit: str | None = None,
        energy_J: float | None = None,
        info_bits: float | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> int:
        """Record one event and return its `seq`."""
        t = float(t)
        if t < self.last_t:
            self._check_t(t)
        self.last_t = t
        seq = self.seq
        self.seq += 1
        self._sink.add_row(
            (
                self.run_id,
                world,
                t,
                seq,
                kind,
                entity_id,
                src,
                dst,
                layer,
                head,
                pos,
                value,
                unit,
                energy_J,
                info_bits,
                None if attrs is None else encode_attrs(attrs),
            )
        )
        return seq

    def claim(self, t: float, n: int = 1) -> int:
        """Record that ``n`` events happen now, at time ``t``, and return the first of their ``n`` consecutive
        `seq` numbers; their rows come later, at the next flush, from a `add_source` callback (a stream that
        keeps its per-token rows as columns). Same clock check as `emit`. Call `settle` once the producer has
        kept what the rows need (a flush may be due)."""
        if t < self.last_t:
            self._check_t(t)
        self.last_t = t
        seq = self.seq
        self.seq = seq + n
        self._sink.reserve(n)  # the sink counts rows as the trace counts seq: its key is this seq
        return seq

    def settle(self) -> None:
        """Flush if the last `claim` completed a flush's worth of rows (as `emit` would have, at that row)."""
        self._sink.settle()

    def add_source(self, source: Callable[..., tuple[np.ndarray, pa.Table] | None], limited: bool = False) -> None:
        """Register ``source()``: at every flush it returns ``(seqs, table)``, the rows (`TRACE_SCHEMA`, any order)
        of the events `claim`-ed since its last call and their `seq` numbers (the order the file keeps). A
        `limited` source is called as ``source(limit)`` and keeps its rows from seq `limit` on for a later flush
        (`Sink.add_source`)."""
        self._sink.add_source(source, limited)

    def emit_many(self, t: float | np.ndarray, world: str, kind: str, n: int | None = None, **cols: Any) -> None:
        """Record `n` events at once; each column is a scalar (broadcast) or an array of length `n`.

        `t` may be an array (non-decreasing). `attrs`, if given, is one mapping shared by all rows or a
        sequence of mappings. Unknown column names raise `ValueError`.
        """
        unknown = set(cols) - set(TRACE_SCHEMA.names[5:])
        if unknown:
            raise ValueError(f"unknown trace column(s) {sorted(unknown)}; allowed: {TRACE_SCHEMA.names[5:]}")
        if n is None:
            sizes = {len(v) for v in [t, *cols.values()] if isinstance(v, np.ndarray | list | tuple)}
            if len(sizes) != 1:
                raise ValueError(f"emit_many needs n= or array columns of one length (got lengths {sizes})")
            n = sizes.pop()
        if n == 0:
            return
        t_arr = np.broadcast_to(np.asarray(t, dtype=np.float64), (n,))
        if t_arr[0] < self.last_t or (n > 1 and np.any(np.diff(t_arr) < 0)):
            self._check_t(float(t_arr.min()))
        self.last_t = float(t_arr[-1])
        attrs = cols.pop("attrs", None)
        if isinstance(attrs, Mapping):
            attrs = [encode_attrs(attrs)] * n
        elif attrs is not None:
            attrs = [None if a is None else encode_attrs(a) for a in attrs]
        arrays = []
        for field in TRACE_SCHEMA:
            name = field.name
            if name == "run_id":
                v: Any = self.run_id
            elif name == "world":
                v = world
            elif name == "kind":
                v = kind
            elif name == "t":
                arrays.append(pa.array(t_arr, type=pa.float64()))
                continue
            elif name == "seq":
                arrays.append(pa.array(np.arange(self.seq, self.seq + n, dtype=np.int64)))
                continue
            elif name == "attrs":
                v = attrs
            else:
                v = cols.get(name)
            arrays.append(_broadcast(v, n, field.type))
        self.seq += n
        self._sink.add_table(pa.Table.from_arrays(arrays, schema=TRACE_SCHEMA))

    def flush(self) -> None:
        """Write buffered events now."""
        self._sink.flush()

    def close(self) -> None:
        """Flush and finalise the file (merge Parquet parts)."""
        self._sink.close()

    @property
    def events(self) -> int:
        """Number of events recorded so far."""
        return self.seq

    def to_table(self) -> pa.Table:
        """All events so far as an Arrow table (in-memory recorders only)."""
        return self._sink.to_table()

    def to_frame(self) -> pd.DataFrame:
        """All events so far as a DataFrame (in-memory recorders only)."""
        return _to_frame(self.to_table())


def _broadcast(v: Any, n: int, typ: pa.DataType) -> pa.Array:
    if v is None:
        return pa.nulls(n, type=typ)
    if isinstance(v, np.ndarray | list | tuple):
        if len(v) != n:
            raise ValueError(f"column of length {len(v)} does not match n={n}")
        return column(v if not isinstance(v, tuple) else list(v), typ)
    if pa.types.is_dictionary(typ):
        return pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, dtype=np.int32)), pa.array([str(v)], type=pa.string())
        )
    return pa.array(np.full(n, v), type=typ)


class MetricsRecorder:
    """Records sampled metrics in long format (`METRICS_SCHEMA`) to ``metrics.parquet`` or memory."""

    stores = True
    """Whether samples are kept (False for `NullMetricsRecorder`)."""

    def __init__(self, path: Path | None, run_id: str, flush_every: int = 65536) -> None:
        self.run_id = run_id
        self._sink = Sink(path, METRICS_SCHEMA, flush_every, "parquet")

    def claim(self, n: int) -> int:
        """Reserve the places of ``n`` samples taken now; returns the first one's key (as `TraceRecorder.claim`)."""
        return self._sink.reserve(n)

    def settle(self) -> None:
        """As `TraceRecorder.settle`."""
        self._sink.settle()

    def add_source(self, source: Callable[[], tuple[np.ndarray, pa.Table] | None]) -> None:
        """As `TraceRecorder.add_source`, with ``(keys, table)`` of `METRICS_SCHEMA` rows."""
        self._sink.add_source(source)

    def record(self, t: float, world: str, metric: str, value: float, unit: str = "") -> None:
        """Record one sample of `metric` at time `t`."""
        self._sink.add_row((self.run_id, world, float(t), metric, float(value), unit))

    def record_many(self, t: float, world: str, samples: Mapping[str, tuple[float, str]]) -> None:
        """Record several metrics sampled at the same time: ``{name: (value, unit)}``."""
        t = float(t)
        for metric, (value, unit) in samples.items():
            self._sink.add_row((self.run_id, world, t, metric, float(value), unit))

    def flush(self) -> None:
        """Write buffered samples now."""
        self._sink.flush()

    def close(self) -> None:
        """Flush and finalise ``metrics.parquet``."""
        self._sink.close()

    def to_frame(self) -> pd.DataFrame:
        """All samples so far as a DataFrame (in-memory recorders only)."""
        return _to_frame(self._sink.to_table())


def trace_path(out_dir: Path) -> Path | None:
    """The trace of a run directory: ``trace.parquet`` (file or, for an unfinished run, directory) or
    ``trace.jsonl``; None if there is none."""
    for name in ("trace.parquet", "trace.jsonl"):
        p = Path(out_dir) / name
        if p.exists():
            return p
    return None


def read_parquet_prefix(path: Path, schema: pa.Schema) -> pa.Table:
    if path.is_dir():
        parts = sorted(path.glob("part-*.parquet"))
        tables = []
        for p in parts:
            try:
                tables.append(pq.read_table(p, schema=schema))
            except (OSError, pa.ArrowInvalid):
                break  # a part torn by a kill mid-write ends the readable prefix
        if not tables:
            return schema.empty_table()
        return pa.concat_tables(tables).unify_dictionaries()
    return pq.read_table(path, schema=schema)


def read_trace(out_dir: Path | str) -> pd.DataFrame:
    """Read a run's trace (Parquet file, the part directory of an unfinished run, or JSONL) as a DataFrame.

    Raises:
        FileNotFoundError: if the directory holds no trace.
    """
    path = trace_path(Path(out_dir))
    if path is None:
        raise FileNotFoundError(f"no trace.parquet or trace.jsonl in {out_dir}")
    if path.suffix == ".jsonl":
        rows = []
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    break  # torn last line of a killed run
                rows.append(json.loads(line))
        for r in rows:
            for k in ("value", "energy_J", "info_bits"):
                if isinstance(r.get(k), str):
                    r[k] = float(r[k])
        table = pa.Table.from_pylist(rows, schema=TRACE_SCHEMA) if rows else TRACE_SCHEMA.empty_table()
        return _to_frame(table)
    return _to_frame(read_parquet_prefix(path, TRACE_SCHEMA))


def read_metrics(out_dir: Path | str, wide: bool = False, world: str | None = None) -> pd.DataFrame:
    """Read a run's ``metrics.parquet`` (file, or part directory of an unfinished or killed run).

    Args:
        out_dir: the run directory.
        wide: return one row per sample time (index ``t``) and one column per metric, instead of the long
            table ``run_id, world, t, metric, value, unit``.
        world: keep only this world's samples (``"membrane"``, ``"attention"``, ``"coupled"``).

    Returns:
        The long table, or the wide one (empty, with index ``t``, when no sample was flushed yet — a run
        killed before its first metrics flush).

    Raises:
        FileNotFoundError: the directory holds no ``metrics.parquet``.
        ValueError: `wide` and one metric sampled twice at one time (several worlds of one kind on one
            clock, as `c_ring` runs): read the long table and split it by recording order instead.
    """
    path = Path(out_dir) / "metrics.parquet"
    if not path.exists():
        raise FileNotFoundError(f"no metrics.parquet in {out_dir}")
    frame = _to_frame(read_parquet_prefix(path, METRICS_SCHEMA))
    if world is not None:
        frame = frame[frame["world"] == world].reset_index(drop=True)
    if not wide:
        return frame
    keys = frame[["t", "metric"]].astype({"metric": str})
    if keys.duplicated().any():
        t, metric = keys[keys.duplicated()].iloc[0]
        raise ValueError(
            f"metric {metric!r} has several samples at t={t} (several worlds on one clock); "
            "use read_metrics(out_dir) (long format) and split the rows by recording order"
        )
    out = frame.astype({"metric": str}).pivot(index="t", columns="metric", values="value")
    out.columns.name = None
    return out


class NullTraceRecorder(TraceRecorder):
    """A trace recorder that keeps the clock check and the sequence count but stores nothing (replicas)."""

    stores = False

    def __init__(self, run_id: str) -> None:
        super().__init__(None, run_id)

    def emit(self, t: float, world: str, kind: str, *args: Any, **kwargs: Any) -> int:  # type: ignore[override]
        """Count the event and check its time; store nothing."""
        t = float(t)
        if t < self.last_t:
            self._check_t(t)
        self.last_t = t
        self.seq += 1
        return self.seq - 1

    def emit_many(self, t: float | np.ndarray, world: str, kind: str, n: int | None = None, **cols: Any) -> None:
        """Count the events; store nothing."""
        if n is None:
            sizes = {len(v) for v in [t, *cols.values()] if isinstance(v, np.ndarray | list | tuple)}
            n = sizes.pop() if sizes else 1
        self.seq += n
        self.last_t = max(self.last_t, float(np.max(t)) if n else self.last_t)


class NullMetricsRecorder(MetricsRecorder):
    """A metrics recorder that stores nothing (replicas)."""

    stores = False

    def __init__(self, run_id: str) -> None:
        super().__init__(None, run_id)

    def record(self, t: float, world: str, metric: str, value: float, unit: str = "") -> None:
        """Store nothing."""

    def record_many(self, t: float, world: str, samples: Mapping[str, tuple[float, str]]) -> None:
        """Store nothing."""
