"""Trace rows of one membrane step, written as the moves make them, all stamped with the step's time.

Key names: `RowBuffer`.

Moves add whole columns at once (`add`), stamped with the run's clock (the step's time during a step): a batch
of many rows goes to the trace in one `TraceRecorder.emit_many` call (fixed cost of a few hundred µs), a batch of
few rows row by row (`emit`, about 1 µs per row). Row order within a step carries no meaning (the replay sums
rows).
"""

from __future__ import annotations

from typing import Any

import numpy as np

EMIT_MANY_AT = 256
"""A batch of at least this many rows is written with one `emit_many` call."""


class RowBuffer:
    """Writes the rows of the current step to the run's trace at the step's time."""

    def __init__(self, run: Any) -> None:
        self.run = run
        self.rows = 0

    def add(self, kind: str, n: int, **cols: Any) -> None:
        """Write `n` rows of `kind`; each column is a scalar (same for all rows) or an array/list of length `n`."""
        if not n:
            return
        self.rows += n
        if n >= EMIT_MANY_AT:
            self.run.trace.emit_many(float(self.run.now), "membrane", kind, n=n, **cols)
            return
        emit, t = self.run.trace.emit, float(self.run.now)
        if n == 1:
            one = {
                k: v.item(0) if isinstance(v, np.ndarray) else v[0] if isinstance(v, list) else v
                for k, v in cols.items()
            }
            emit(t, "membrane", kind, **one)
            return
        keys = list(cols)
        lists = [
            v.tolist() if isinstance(v, np.ndarray) else v if isinstance(v, list) else [v] * n for v in cols.values()
        ]
        for values in zip(*lists, strict=True):
            emit(t, "membrane", kind, **dict(zip(keys, values, strict=True)))
