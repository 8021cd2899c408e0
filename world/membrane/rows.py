"""Trace rows of one membrane step, buffered as column arrays and written at the end of the step.

Key names: `RowBuffer`.

Moves add whole columns at once (`add`); `flush` writes them in order of first appearance of each kind, all stamped
with the step's time: a kind with many rows in one `TraceRecorder.emit_many` call (fixed cost of a few hundred µs),
a kind with few rows row by row (`emit`, about 1 µs per row). Row order within a step carries no meaning (the
replay sums rows); every row of a step has the step's time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

EMIT_MANY_AT = 256
"""A kind with at least this many rows in a step is written with one `emit_many` call."""


class RowBuffer:
    """Column chunks per trace kind for the current step."""

    def __init__(self) -> None:
        self._chunks: dict[str, list[tuple[int, dict[str, Any]]]] = {}

    def add(self, kind: str, n: int, **cols: Any) -> None:
        """Buffer `n` rows of `kind`; each column is a scalar (same for all rows) or an array of length `n`."""
        if n:
            self._chunks.setdefault(kind, []).append((n, cols))

    def __len__(self) -> int:
        return sum(n for chunks in self._chunks.values() for n, _ in chunks)

    def flush(self, trace: Any, t: float) -> None:
        """Write every buffered row at time `t` (world ``"membrane"``) and empty the buffer."""
        chunks_by_kind, self._chunks = self._chunks, {}
        for kind, chunks in chunks_by_kind.items():
            n = sum(c[0] for c in chunks)
            keys = sorted({k for _, cols in chunks for k in cols})
            cols = {k: _column([(m, c.get(k)) for m, c in chunks]) for k in keys}
            if n >= EMIT_MANY_AT:
                trace.emit_many(t, "membrane", kind, n=n, **cols)
                continue
            lists = [cols[k].tolist() if isinstance(cols[k], np.ndarray) else cols[k] for k in keys]
            for values in zip(*lists, strict=True):
                trace.emit(t, "membrane", kind, **dict(zip(keys, values, strict=True)))


def _column(parts: list[tuple[int, Any]]) -> np.ndarray | list:
    """One column from chunks of (rows, scalar-or-array); a list when it holds None or strings."""
    if all(isinstance(v, np.ndarray) for _, v in parts):
        return np.concatenate([v for _, v in parts])
    out: list = []
    for m, v in parts:
        if isinstance(v, np.ndarray):
            out.extend(v.tolist())
        elif isinstance(v, list | tuple):
            out.extend(v)
        else:
            out.extend([v] * m)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in out):
        return np.asarray(out)
    return out
