"""The trace rows and metric samples of an attention stream, kept as columns and turned into Arrow at each flush.

Key names: `TokenLog` (``start``, ``attend``, ``end``, ``sample``).

A stream reports each token's start, each (token, layer) attention row and each token's end as it happens. The
log takes the event's `seq` numbers from the run's trace then (`TraceRecorder.claim`: the clock check and the
place in the global order are those of a row emitted then) and appends one tuple; the rows themselves — with
the ``attend`` values (row entropy / log n, from the kept attention weights, grouped by row length and
computed in one numpy pass) and the ``token_end`` JSON attrs — are built when the trace flushes, as one Arrow
table per flush. The sink sorts every flush by `seq`, so the file holds exactly the rows, values and order
the row-by-row path (one `TraceRecorder.emit` per row) gives. Metric samples work the same way through
`MetricsRecorder.claim`. With recorders that store nothing (a replica's), the log keeps nothing.

Rows (world ``"attention"``, ``src`` = the stream's name, ``entity_id`` = ``pos`` = stream position):
``token_start`` (value = input symbol), ``attend`` per head (``layer``, ``head``, ``dst`` = the attended
position with the largest weight, value = entropy / log n or null for n = 1), ``token_end`` (value = surprisal,
unit nats, ``info_bits``, attrs = ``{"entropy_nats", "wait"}``). Samples: ``next_token_entropy_nats``,
``surprisal_nats`` (means since the previous sample), ``tokens_done``, ``inference_bits_saved``.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from world.clock import Run
from world.trace import METRICS_SCHEMA, TRACE_SCHEMA, encode_attrs

__all__ = ["TokenLog"]

WORLD = "attention"
KINDS = ("token_start", "attend", "token_end")
METRICS = (
    ("next_token_entropy_nats", "nats"),
    ("surprisal_nats", "nats"),
    ("tokens_done", "tokens"),
    ("inference_bits_saved", "bits"),
)


def _end_attrs(entropy: list[float], wait: list[float]) -> list[str]:
    """``json.dumps({"entropy_nats": e, "wait": w}, sort_keys=True, separators=(",", ":"))`` of each pair."""
    finite = np.isfinite(entropy).all() and np.isfinite(wait).all()
    if finite:  # json writes a finite float as its repr
        return [f'{{"entropy_nats":{e!r},"wait":{w!r}}}' for e, w in zip(entropy, wait, strict=True)]
    return [encode_attrs({"entropy_nats": e, "wait": w}) for e, w in zip(entropy, wait, strict=True)]


def _constant(value: str | None, n: int, typ: pa.DataType) -> pa.Array:
    if value is None:
        return pa.nulls(n, type=typ)
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([value]))


class TokenLog:
    """Columnar per-token trace rows and metric samples of one stream (see the module docstring).

    Args:
        run: the run whose recorders get the rows.
        name: the stream's ``src``.
        n_ctx: the model's context (longest attention row).
    """

    def __init__(self, run: Run, name: str, n_ctx: int) -> None:
        self.trace, self.metrics = run.trace, run.metrics
        self.run_id, self.metrics_run_id = run.trace.run_id, run.metrics.run_id
        self.name = name
        self.keep_trace = run.trace.stores
        self.keep_metrics = run.metrics.stores
        self._starts: list[tuple[int, float, int, int]] = []
        self._attends: list[tuple[int, float, int, int, int, np.ndarray]] = []
        self._ends: list[tuple[int, float, int, float, float, float, float]] = []
        self._samples: list[tuple[int, float, float, float, float, float]] = []
        self._neg_inv_log_n = [0.0] + [-1.0 / math.log(n) for n in range(2, n_ctx + 1)]
        """Index n − 1: −1/log n, the factor turning Σ A log A of an n-position row into entropy / log n."""
        if self.keep_trace:
            run.trace.add_source(self._trace_rows)
        if self.keep_metrics:
            run.metrics.add_source(self._metric_rows)

    # ------------------------------------------------------------------ as things happen
    def start(self, t: float, pos: int, symbol: int) -> None:
        """A token at stream position ``pos`` started at ``t`` seeing ``symbol``."""
        trace = self.trace
        seq = trace.claim(t)
        if self.keep_trace:
            self._starts.append((seq, t, pos, symbol))
            trace.settle()

    def attend(self, t: float, pos: int, layer: int, first: int, A: np.ndarray) -> None:
        """The token at ``pos`` attended at ``layer`` with weights ``A`` (H, n) over positions ``first`` …; one
        row per head. ``A`` is kept, not copied, until the next flush."""
        trace = self.trace
        seq = trace.claim(t, A.shape[0])
        if self.keep_trace:
            self._attends.append((seq, t, pos, layer, first, A))
            trace.settle()

    def end(self, t: float, pos: int, surprisal: float, bits: float, entropy: float, wait: float) -> None:
        """The token at ``pos`` ended at ``t``."""
        trace = self.trace
        seq = trace.claim(t)
        if self.keep_trace:
            self._ends.append((seq, t, pos, surprisal, bits, entropy, wait))
            trace.settle()

    def sample(self, t: float, entropy: float, surprisal: float, tokens_done: float, bits_saved: float) -> None:
        """One sample of the four metrics at ``t`` (recorded in the order of `METRICS`)."""
        if self.keep_metrics:
            self._samples.append((self.metrics.claim(4), t, entropy, surprisal, tokens_done, bits_saved))
            self.metrics.settle()

    # ------------------------------------------------------------------ at a flush
    def _trace_rows(self) -> tuple[np.ndarray, pa.Table] | None:
        parts = [p for p in (self._start_rows(), self._attend_rows(), self._end_rows()) if p is not None]
        self._starts, self._attends, self._ends = [], [], []
        if not parts:
            return None
        seqs = np.concatenate([p[0] for p in parts])
        return seqs, pa.concat_tables([p[1] for p in parts]).unify_dictionaries().combine_chunks()

    def _table(self, kind: str, seq: np.ndarray, t: np.ndarray, pos: np.ndarray, **cols: pa.Array) -> pa.Table:
        n = len(seq)
        arrays = []
        for field in TRACE_SCHEMA:
            name = field.name
            if name == "run_id":
                arrays.append(_constant(self.run_id, n, field.type))
            elif name == "world":
                arrays.append(_constant(WORLD, n, field.type))
            elif name == "kind":
                arrays.append(_constant(kind, n, field.type))
            elif name == "src":
                arrays.append(_constant(self.name, n, field.type))
            elif name == "t":
                arrays.append(pa.array(t, type=pa.float64()))
            elif name in ("seq", "entity_id"):
                arrays.append(pa.array(seq if name == "seq" else pos, type=pa.int64()))
            elif name == "pos":
                arrays.append(pa.array(pos, type=pa.int32()))
            elif name in cols:
                arrays.append(cols[name])
            else:
                arrays.append(pa.nulls(n, type=field.type))
        return pa.Table.from_arrays(arrays, schema=TRACE_SCHEMA)

    def _start_rows(self) -> tuple[np.ndarray, pa.Table] | None:
        if not self._starts:
            return None
        seq, t, pos, symbol = (np.array(c) for c in zip(*self._starts, strict=True))
        t = t.astype(np.float64)
        value = pa.array(symbol.astype(np.float64), type=pa.float64())
        return seq, self._table("token_start", seq, t, pos, value=value)

    def _end_rows(self) -> tuple[np.ndarray, pa.Table] | None:
        if not self._ends:
            return None
        seq, t, pos, surprisal, bits, entropy, wait = zip(*self._ends, strict=True)
        seq_a = np.array(seq)
        cols = {
            "value": pa.array(surprisal, type=pa.float64()),
            "unit": _constant("nats", len(seq), TRACE_SCHEMA.field("unit").type),
            "info_bits": pa.array(bits, type=pa.float64()),
            "attrs": pa.array(_end_attrs(entropy, wait), type=pa.string()),
        }
        return seq_a, self._table("token_end", seq_a, np.array(t, dtype=np.float64), np.array(pos), **cols)

    def _attend_rows(self) -> tuple[np.ndarray, pa.Table] | None:
        rows = self._attends
        if not rows:
            return None
        seq0, t, pos, layer, first, As = zip(*rows, strict=True)
        pos_a, first_a = np.array(pos), np.array(first)
        n_of = pos_a - first_a + 1  # positions each row attends over
        H, k = As[0].shape[0], len(rows)
        values = np.empty((k, H))
        tops = np.empty((k, H), dtype=np.int64)
        by_n = np.argsort(n_of, kind="stable")
        bounds = np.flatnonzero(np.diff(n_of[by_n])) + 1
        for idx in np.split(by_n, bounds):
            n = int(n_of[idx[0]])
            X = np.stack([As[i] for i in idx.tolist()])  # (m, H, n)
            if n > 1:  # the same numbers, bit for bit, as -(A log A).sum(axis=1) / log n of each (H, n) row
                values[idx] = np.add.reduce(X * np.log(np.maximum(X, 1e-300)), axis=2) * self._neg_inv_log_n[n - 1]
            else:
                values[idx] = np.nan
            tops[idx] = X.argmax(axis=2)
        heads = np.arange(H)
        seq = (np.array(seq0)[:, None] + heads).ravel()
        rep = np.repeat
        dst = pa.array((tops + first_a[:, None]).ravel(), type=pa.int64()).cast(pa.string()).dictionary_encode()
        cols = {
            "dst": dst.cast(TRACE_SCHEMA.field("dst").type),
            "layer": pa.array(rep(np.array(layer), H), type=pa.int32()),
            "head": pa.array(np.tile(heads, k), type=pa.int32()),
            "value": pa.array(values.ravel(), type=pa.float64(), mask=rep(n_of == 1, H)),  # null: one position
        }
        return seq, self._table("attend", seq, rep(np.array(t, dtype=np.float64), H), rep(pos_a, H), **cols)

    def _metric_rows(self) -> tuple[np.ndarray, pa.Table] | None:
        if not self._samples:
            return None
        key, t, *values = (np.array(c) for c in zip(*self._samples, strict=True))
        self._samples = []
        k, m = len(key), len(METRICS)
        keys = (key[:, None] + np.arange(m)).ravel()
        metric_type = METRICS_SCHEMA.field("metric").type
        names = pa.DictionaryArray.from_arrays(
            pa.array(np.tile(np.arange(m, dtype=np.int32), k)), pa.array([name for name, _ in METRICS])
        ).cast(metric_type)
        units = pa.DictionaryArray.from_arrays(
            pa.array(np.tile(np.arange(m, dtype=np.int32), k)), pa.array([unit for _, unit in METRICS])
        ).cast(METRICS_SCHEMA.field("unit").type)
        table = pa.Table.from_arrays(
            [
                _constant(self.metrics_run_id, k * m, METRICS_SCHEMA.field("run_id").type),
                _constant(WORLD, k * m, METRICS_SCHEMA.field("world").type),
                pa.array(np.repeat(t.astype(np.float64), m), type=pa.float64()),
                names,
                pa.array(np.column_stack(values).astype(np.float64).ravel(), type=pa.float64()),
                units,
            ],
            schema=METRICS_SCHEMA,
        )
        return keys, table
