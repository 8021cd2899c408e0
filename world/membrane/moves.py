"""Proton moves and trace rows of the membrane world: every transporter moves protons through these.

Key names: `ProtonMoves`.

The world owns one `ProtonMoves` (``world.moves``). Each move picks protons with `ProtonLattice.take`, changes
their compartment, books its counters in the `ChemState` (``h_pumped``, ``h_produced``, ``h_consumed``,
``o2_consumed``) and buffers one trace row per proton (`entity_id` = the proton's Mesa `unique_id`); other rows
of the step are buffered with `emit`. At the end of the step `flush` claims the step's places in the trace's row
order (`TraceRecorder.claim`), and the rows themselves are handed over as one Arrow table per trace flush (a
trace source, `TraceRecorder.add_source`): a move buffers one tuple however many protons it moves, and the
columns are built once per flush, not per row. The file is the one row-by-row recording would give."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from world.clock import Run
from world.errors import SimulationError
from world.membrane.geometry import BOUND, COMPARTMENT_NAMES, RESERVE, ProtonLattice
from world.membrane.state import ChemState
from world.membrane.transit import TransitLog
from world.sink import column
from world.trace import TRACE_SCHEMA, encode_attrs

_FIELDS = (
    "entity_id",
    "kind",
    "src",
    "dst",
    "layer",
    "head",
    "pos",
    "value",
    "unit",
    "energy_J",
    "info_bits",
    "attrs",
)
"""Trace columns a buffered row segment holds, in the order of its tuple after the count."""
_EMIT_NAMES = frozenset(_FIELDS) - {"kind"}


class ProtonMoves:
    """Proton moves with their trace rows (see the module docstring).

    Args:
        lattice: the world's proton lattice.
        state: the world's chemistry state (counters of proton moves are booked there).
        proton_uid: the Mesa `unique_id` of every proton equivalent (`grow` extends it with the reserve).
        run: the run whose trace recorder (``run.trace``) `flush` writes.
    """

    def __init__(self, lattice: ProtonLattice, state: ChemState, proton_uid: np.ndarray, run: Run) -> None:
        self.lattice = lattice
        self.state = state
        self.proton_uid = proton_uid
        self.run = run
        self.t = 0.0
        """Time stamp (s) of the rows buffered now (the step's time)."""
        self.transit: TransitLog | None = None
        self._segs: list[tuple] = []
        """Rows of this step: (rows, entity_id, kind, src, dst, layer, head, pos, value, unit, energy_J, info_bits,
        attrs); a column's entry is one value for all the segment's rows, or (`_ARRAY_FIELDS`) one per row."""
        self._n = 0
        self._steps: list[tuple[int, int, float]] = []
        """(first seq, rows, t) of each flushed step whose rows the trace has not taken yet."""
        self._done_segs: list[tuple] = []
        self.keep = run.trace.stores
        if self.keep:
            run.trace.add_source(self._trace_rows)

    def grow(self, uids: np.ndarray) -> None:
        """The lattice's reserve grew: the new equivalents' Mesa ids follow the old ones."""
        self.proton_uid = np.concatenate([self.proton_uid, uids])
        if self.transit is not None:
            self.transit.grow(uids.size)

    def emit(self, kind: str, **cols: Any) -> None:
        """Buffer one trace row for this step (written in order at the end of the step); `cols` are trace
        columns (`TRACE_SCHEMA`, ``entity_id`` … ``attrs``)."""
        unknown = cols.keys() - _EMIT_NAMES
        if unknown:
            raise ValueError(f"unknown trace column(s) {sorted(unknown)}; allowed: {sorted(_EMIT_NAMES)}")
        g = cols.get
        attrs = g("attrs")
        self._segs.append(
            (
                1,
                g("entity_id"),
                kind,
                g("src"),
                g("dst"),
                g("layer"),
                g("head"),
                g("pos"),
                g("value"),
                g("unit"),
                g("energy_J"),
                g("info_bits"),
                None if attrs is None else encode_attrs(attrs),
            )
        )
        self._n += 1

    def _proton_rows(
        self,
        idx: np.ndarray,
        kind: str,
        src: str,
        dst: str,
        layer: int | None,
        x0: int | np.ndarray,
        value: float,
        energy_J: float | np.ndarray | None = None,
    ) -> None:
        """One trace row per proton of `idx` at column `x0` with heat `energy_J` (each one value for all rows, or
        one per row as the batched moves give them), and the moves' counters and transit stamps."""
        k = int(idx.size)
        if k:
            self._segs.append(
                (k, self.proton_uid[idx], kind, src, dst, layer, None, x0, value, "H+", energy_J, None, None)
            )
            self._n += k
        if kind == "pump":
            self.state.count("h_pumped", value * idx.size)
        if self.transit is not None:
            self.transit.moved(idx, kind, src, dst, x0, self.t)

    def transfer(
        self,
        src: int,
        dst: int,
        x0: int,
        k: int,
        kind: str,
        layer: int | None,
        value: float,
        dst_label: str | None = None,
        energy_J: float | None = None,
        bulk: bool = False,
    ) -> np.ndarray:
        """Move the `k` free protons of side `src` nearest column `x0` into `dst`; one trace row each (`bulk`:
        from anywhere on the side even under local access, see `ProtonLattice.take`)."""
        idx = self.lattice.take(src, x0, k, bulk=bulk)
        if idx is None:
            raise SimulationError(f"transfer of {k} protons from {COMPARTMENT_NAMES[src]} was not gated")
        self.lattice.move(idx, dst, x0)
        self._proton_rows(
            idx, kind, COMPARTMENT_NAMES[src], dst_label or COMPARTMENT_NAMES[dst], layer, x0, value, energy_J
        )
        return idx

    def release(
        self, idx: np.ndarray, dst: int, x0: int, kind: str, layer: int | None, value: float, src_label: str
    ) -> None:
        """Move bound protons `idx` (from a carrier or complex) to side `dst`; one trace row each."""
        idx = np.asarray(idx, dtype=np.int64)
        self.lattice.move(idx, dst, x0)
        self._proton_rows(idx, kind, src_label, COMPARTMENT_NAMES[dst], layer, x0, value)

    def produce_into(self, side: int, x0: int, k: int, src_label: str, external: bool = False) -> np.ndarray:
        """Bring `k` proton equivalents from the reserve into `side` (``h_produced`` rows)."""
        if external:
            self.state.book_external(side, k)
        idx = self.lattice.produce(k)
        self.lattice.move(idx, side, x0)
        self.state.count("h_produced", k)
        self._proton_rows(idx, "h_produced", src_label, COMPARTMENT_NAMES[side], None, x0, 1.0)
        return idx

    def produce_external(self, side: int, xs: np.ndarray, src_label: str) -> np.ndarray:
        """`produce_into` of one equivalent per column of `xs` from outside the world, in one batch (bulk
        access, the reserve holds them all, and no take has read the mouth rows since the last diffusion, as at
        the step's supply): the same pH energies (booked proton by proton, in order), the same reserve order and
        the same rows as one `produce_into` per column. Returns the equivalents."""
        k = int(xs.size)
        for i in range(k):
            self.state.book_external(side, 1, ahead=i)
        idx = self.lattice.produce(k)
        self.lattice.move_many(idx, side, xs)
        self.lattice.positions_changed()  # as a one-by-one `move`: the batched moves' candidates are read again
        self.state.count("h_produced", k)
        self._proton_rows(idx, "h_produced", src_label, COMPARTMENT_NAMES[side], None, xs, 1.0)
        return idx

    def consume_from(
        self, side: int, x0: int, k: int, kind: str, layer: int | None, dst_label: str, external: bool = False
    ) -> None:
        """Return `k` free protons of `side` to the reserve (undoing a production; value −1 rows)."""
        if external:
            self.state.book_external(side, -k)
        idx = self.transfer(side, RESERVE, x0, k, kind, layer, -1.0, dst_label=dst_label, bulk=external)
        self.lattice.reserve_queue.extend(idx.tolist())
        self.state.count("h_produced", -k)

    def consume_bound(self, idx: np.ndarray | None, x0: int, complex_id: int, direction: int) -> np.ndarray:
        """Complex IV's water step: 4 bound protons + O₂ → 2 H₂O (+1), or its reverse (−1, returns the 4)."""
        if direction > 0:
            assert idx is not None
            self._proton_rows(idx, "h_consumed", "CIV", "water", 4, x0, 1.0)
            self.lattice.consume(idx)
        else:
            idx = self.lattice.produce(4)
            self.lattice.move(idx, BOUND, x0)
            self._proton_rows(idx, "h_consumed", "water", "CIV", 4, x0, -1.0)
        self.state.count("h_consumed", 4 * direction)
        self.state.count("o2_consumed", direction)
        self.emit("o2_reduced", entity_id=complex_id, layer=4, pos=x0, value=float(direction), unit="O2")
        return idx

    # ---------------------------------------------------------------- batched moves (world.membrane.batch)
    def transfer_many(
        self,
        src: int,
        dst: int,
        xs: np.ndarray,
        kind: str,
        layer: int | None,
        value: float,
        dst_label: str | None = None,
        energy_J: np.ndarray | None = None,
    ) -> np.ndarray:
        """Move one free proton of side `src` per entry of `xs` into `dst` at that column
        (`ProtonLattice.take_many`); one trace row each. Returns the protons, in the order of `xs`."""
        idx = self.lattice.take_move_many(src, xs, dst)
        self._proton_rows(
            idx, kind, COMPARTMENT_NAMES[src], dst_label or COMPARTMENT_NAMES[dst], layer, xs, value, energy_J
        )
        return idx

    def release_many(
        self, idx: np.ndarray, dst: int, xs: np.ndarray, kind: str, layer: int | None, value: float, src_label: str
    ) -> None:
        """Move bound protons `idx` to side `dst`, each at its column in `xs`; one trace row each."""
        self.lattice.move_many(idx, dst, xs)
        self._proton_rows(idx, kind, src_label, COMPARTMENT_NAMES[dst], layer, xs, value)

    def produce_many(
        self,
        dst: int,
        xs: np.ndarray,
        kind: str,
        src_label: str,
        layer: int | None,
        value: float,
        dst_label: str | None = None,
    ) -> np.ndarray:
        """Bring one equivalent from the reserve into `dst` (a side, or ``BOUND``) per entry of `xs`; one row each
        (``h_produced``, or for complex IV's water turned back ``h_consumed`` with value −1; the caller books the
        counters). Returns the equivalents."""
        idx = self.lattice.produce(int(xs.size))
        self.lattice.move_many(idx, dst, xs)
        self._proton_rows(idx, kind, src_label, dst_label or COMPARTMENT_NAMES[dst], layer, xs, value)
        return idx

    def emit_many(
        self,
        kind: str,
        entity_ids: np.ndarray,
        xs: np.ndarray,
        value: float,
        unit: str,
        layer: int | None = None,
        energy_J: np.ndarray | None = None,
    ) -> None:
        """One trace row per entry of `entity_ids` (a site's row per move: ``redox``, ``ant``, ``atp_made``, …).
        The arrays are kept until the trace's next flush, not copied: pass arrays nothing writes to afterwards
        (fancy-indexed ones, as every caller does)."""
        k = int(entity_ids.size)
        if not k:
            return
        self._segs.append((k, entity_ids, kind, None, None, layer, None, xs, value, unit, energy_J, None, None))
        self._n += k

    def flush(self) -> None:
        """End the step's rows: claim their places in the trace's row order at the step's time (the rows reach
        the trace at its next flush, `_trace_rows`)."""
        n = self._n
        if not n:
            return
        trace = self.run.trace
        seq = trace.claim(self.t, n)
        self._n = 0
        if self.keep:
            self._steps.append((seq, n, self.t))
            self._done_segs.extend(self._segs)
            self._segs = []
            trace.settle()
        else:
            self._segs.clear()

    def _trace_rows(self) -> tuple[np.ndarray, pa.Table] | None:
        """The rows of the steps flushed since the last call, as (seqs, table) for the trace's sink."""
        if not self._steps:
            return None
        steps, segs = self._steps, self._done_segs
        self._steps, self._done_segs = [], []
        first, rows, ts = (np.array(c) for c in zip(*steps, strict=True))
        total = int(rows.sum())
        starts = np.cumsum(rows) - rows
        seqs = np.repeat(first - starts, rows) + np.arange(total, dtype=np.int64)
        cols = list(zip(*segs, strict=True))
        repeat = pa.array(np.repeat(np.arange(len(segs), dtype=np.int64), np.array(cols[0], dtype=np.int64)))
        by_name = dict(zip(_FIELDS, cols[1:], strict=True))
        arrays = []
        for field in TRACE_SCHEMA:
            name = field.name
            if name in ("run_id", "world"):
                value = self.run.trace.run_id if name == "run_id" else "membrane"
                arrays.append(column([value], field.type).take(pa.array(np.zeros(total, dtype=np.int64))))
            elif name == "t":
                arrays.append(pa.array(np.repeat(ts.astype(np.float64), rows), type=pa.float64()))
            elif name == "seq":
                arrays.append(pa.array(seqs, type=pa.int64()))
            elif name in _ARRAY_FIELDS and any(isinstance(v, np.ndarray) for v in by_name[name]):
                arrays.append(_numeric_column(by_name[name], cols[0], field.type))
            else:
                arrays.append(column(list(by_name[name]), field.type).take(repeat))
        return seqs, pa.Table.from_arrays(arrays, schema=TRACE_SCHEMA)


_ARRAY_FIELDS = frozenset({"entity_id", "pos", "energy_J"})
"""Columns a batched segment may give per row (an array) instead of one value for all its rows."""


def _numeric_column(values: tuple, counts: tuple, typ: pa.DataType) -> pa.Array:
    """A numeric trace column from segments whose value is a scalar, None (null) or one number per row (an
    integer column is built in int64 throughout, a float column in float64)."""
    n = np.asarray(counts, dtype=np.int64)
    integer = pa.types.is_integer(typ)
    dtype, cast = (np.int64, int) if integer else (np.float64, float)
    is_array = [isinstance(v, np.ndarray) for v in values]
    scalar = np.array([0 if a or v is None else cast(v) for v, a in zip(values, is_array, strict=True)], dtype=dtype)
    out = np.repeat(scalar, n)
    null = np.repeat(np.array([v is None for v in values], dtype=bool), n)
    if any(is_array):  # the per-row segments fill their rows in order
        out[np.repeat(np.array(is_array), n)] = np.concatenate([v for v, a in zip(values, is_array, strict=True) if a])
    return pa.array(out, type=typ, mask=null if null.any() else None)
