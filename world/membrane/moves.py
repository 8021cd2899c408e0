"""Proton moves and trace rows of the membrane world: every transporter moves protons through these.

Key names: `ProtonMoves`, `RowBuffer`.

The world owns one `ProtonMoves` (``world.moves``). Each move picks protons with `ProtonLattice.take`, changes
their compartment, books its counters in the `ChemState` (``h_pumped``, ``h_produced``, ``h_consumed``,
``o2_consumed``) and buffers one trace row per proton (`entity_id` = the proton's Mesa `unique_id`); other rows
of the step are buffered with `emit`. At the end of the step `flush` claims the step's places in the trace's row
order (`TraceRecorder.claim`), and the rows themselves are handed over as one Arrow table per trace flush (a
trace source, `TraceRecorder.add_source`). Rows are kept in a `RowBuffer`: the per-row columns (`entity_id`,
`pos`, `energy_J`) in numpy arrays, the columns a group of rows shares (kind, compartments, layer, value, unit,
…) as one small integer per row naming that combination (its "signature"), so a move writes a few array slices
however many protons it moves (the compiled batched passes write them themselves) and the Arrow columns are
built once per flush from arrays. The file is the one row-by-row recording would give."""

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

_STATIC = ("kind", "src", "dst", "layer", "head", "value", "unit", "info_bits", "attrs")
"""Trace columns a group of rows shares (one value for all of them): a row's signature holds these, then whether
its `entity_id`, `pos` and `energy_J` are null."""
_PER_ROW = ("entity_id", "pos", "energy_J")
"""Trace columns a row may have on its own (given one per row as an array, or one value for the group)."""
_EMIT_NAMES = frozenset(_STATIC + _PER_ROW) - {"kind"}


class RowBuffer:
    """Trace rows in numpy arrays: per row its signature (`sig`, an index into `sigs`: the shared columns and
    which per-row columns are null), `entity_id`, `pos` and `energy_J` (left unset where null). `n` rows are held;
    the arrays grow by doubling (`room`)."""

    def __init__(self, capacity: int = 4096) -> None:
        self.sig = np.empty(capacity, dtype=np.int32)
        self.eid = np.empty(capacity, dtype=np.int64)
        self.pos = np.empty(capacity, dtype=np.int64)
        self.energy = np.empty(capacity, dtype=np.float64)
        self.n = 0
        self.sigs: list[tuple] = []
        """Signatures: (kind, src, dst, layer, head, value, unit, info_bits, attrs, entity_id null, pos null,
        energy_J null)."""
        self._code: dict[tuple, int] = {}
        self._codes: dict[int, tuple[tuple, tuple[int, ...]]] = {}

    def code(self, key: tuple) -> int:
        """The signature number of `key` (`sigs`), registered on first use."""
        c = self._code.get(key)
        if c is None:
            c = self._code[key] = len(self.sigs)
            self.sigs.append(key)
        return c

    def codes(self, keys: tuple[tuple, ...]) -> tuple[int, ...]:
        """The signature numbers of `keys` (`code` of each), remembered per `keys` object (a batched pass's
        constant table of signatures, looked up every step)."""
        hit = self._codes.get(id(keys))
        if hit is not None and hit[0] is keys:
            return hit[1]
        out = tuple(self.code(k) for k in keys)
        self._codes[id(keys)] = (keys, out)
        return out

    def room(self, k: int) -> None:
        """Make room for `k` more rows."""
        need = self.n + k
        if need <= self.sig.size:
            return
        size = max(need, 2 * self.sig.size)
        for name in ("sig", "eid", "pos", "energy"):
            old = getattr(self, name)
            new = np.empty(size, dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)

    def add(self, k: int, key: tuple, eid: Any, pos: Any, energy: Any) -> None:
        """Append `k` rows of signature `key` (whose last three entries say which of `eid`, `pos`, `energy` are
        None); each of those is one value for all rows or an array of `k`."""
        n = self.n
        end = n + k
        if end > self.sig.size:
            self.room(k)
        self.sig[n:end] = self.code(key)
        if eid is not None:
            self.eid[n:end] = eid
        if pos is not None:
            self.pos[n:end] = pos
        if energy is not None:
            self.energy[n:end] = energy
        self.n = end

    def add_one(self, key: tuple, eid: Any, pos: Any, energy: Any) -> None:
        """`add` of one row whose values are scalars (or None), by item writes (`ProtonMoves.emit`)."""
        n = self.n
        if n + 1 > self.sig.size:
            self.room(1)
        self.sig[n] = self.code(key)
        if eid is not None:
            self.eid[n] = eid
        if pos is not None:
            self.pos[n] = pos
        if energy is not None:
            self.energy[n] = energy
        self.n = n + 1

    def drop_front(self, m: int) -> None:
        """Forget the first `m` rows (handed to the trace); the rest move to the front."""
        rest = self.n - m
        if rest:
            for a in (self.sig, self.eid, self.pos, self.energy):
                a[:rest] = a[m : self.n]
        self.n = rest
        if rest == 0 and len(self.sigs) > 4096:  # signatures with one-off values (e.g. counts) do not pile up
            self.sigs, self._code, self._codes = [], {}, {}

    def columns(self, m: int) -> dict[str, pa.Array]:
        """The first `m` rows as Arrow arrays of the trace's columns (`_STATIC` and `_PER_ROW`), each dictionary
        column's dictionary in order of first appearance: the shared columns of the signatures used, in order of
        their first row, as a small table, taken once per row."""
        sig = self.sig[:m]
        runs = sig[np.flatnonzero(np.diff(sig, prepend=-1))]  # a signature first appears at a run's start
        used, first = np.unique(runs, return_index=True)
        in_order = used[np.argsort(first, kind="stable")]
        keys = [self.sigs[c] for c in in_order.tolist()]
        remap = np.zeros(len(self.sigs), dtype=np.int32)
        remap[in_order] = np.arange(in_order.size, dtype=np.int32)
        at = remap[sig]
        table = pa.table(
            {name: column([k[j] for k in keys], TRACE_SCHEMA.field(name).type) for j, name in enumerate(_STATIC)}
        )
        out = dict(zip(table.column_names, table.take(pa.array(at)).columns, strict=True))
        for j, (name, values) in enumerate(zip(_PER_ROW, (self.eid, self.pos, self.energy), strict=True)):
            typ = TRACE_SCHEMA.field(name).type
            vals = values[:m].copy()
            null_sig = np.array([k[len(_STATIC) + j] for k in keys], dtype=bool)
            if null_sig.any():
                null = null_sig[at]
                vals[null] = 0
                out[name] = pa.array(vals, type=typ, mask=null)
            else:
                out[name] = pa.array(vals, type=typ)
        return out

    def rows(self, start: int = 0) -> list[tuple[str, dict[str, Any]]]:
        """The rows from `start` on as (kind, {column: value}) pairs, nulls left out (for inspection: the row by
        row reference of the tests)."""
        out = []
        for i in range(start, self.n):
            key = self.sigs[int(self.sig[i])]
            cols = {name: key[j] for j, name in enumerate(_STATIC) if name != "kind"}
            for j, (name, values) in enumerate(zip(_PER_ROW, (self.eid, self.pos, self.energy), strict=True)):
                cols[name] = None if key[len(_STATIC) + j] else values[i].item()
            out.append((key[0], cols))
        return out


def proton_key(kind: str, src: str, dst: str, layer: int | None, value: float, heat: bool = False) -> tuple:
    """The signature of proton rows (`RowBuffer`): unit ``H+``, an entity and a column per row, an energy only
    with `heat`."""
    return (kind, src, dst, layer, None, value, "H+", None, None, False, False, not heat)


def site_key(kind: str, layer: int | None, value: float, unit: str, heat: bool = False) -> tuple:
    """The signature of a site's rows (`ProtonMoves.emit_many`): entity and column per row, an energy only with
    `heat`."""
    return (kind, None, None, layer, None, value, unit, None, None, False, False, not heat)


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
        self.buf = RowBuffer()
        """The rows buffered: those of the flushed steps the trace has not taken yet, then this step's."""
        self._step_start = 0
        """Rows in `buf` before this step's."""
        self._steps: list[tuple[int, int, float]] = []
        """(first seq, rows, t) of each flushed step whose rows the trace has not taken yet."""
        self.keep = run.trace.stores
        if self.keep:
            run.trace.add_source(self._trace_rows, limited=True)

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
        eid, pos, energy = g("entity_id"), g("pos"), g("energy_J")
        key = (
            kind,
            g("src"),
            g("dst"),
            g("layer"),
            g("head"),
            g("value"),
            g("unit"),
            g("info_bits"),
            None if attrs is None else encode_attrs(attrs),
            eid is None,
            pos is None,
            energy is None,
        )
        self.buf.add_one(key, eid, pos, energy)

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
            self.buf.add(
                k, proton_key(kind, src, dst, layer, value, energy_J is not None), self.proton_uid[idx], x0, energy_J
            )
        if kind == "pump":
            self.state.count("h_pumped", value * idx.size)
        if self.transit is not None:
            self.transit.moved(idx, kind, src, dst, x0, self.t)

    def row_args(self, k: int) -> tuple:
        """What a compiled batched pass (`kernels`) takes to write up to `k` trace rows, in its order: the
        protons' Mesa ids, the row buffer's arrays and its row count (then it returns the new count)."""
        buf = self.buf
        buf.room(k)
        return self.proton_uid, buf.sig, buf.eid, buf.pos, buf.energy, buf.n

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
        self.state.book_external_each(side, k)
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
        self.lattice.reserve_queue.extend(idx)
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

    # ---------------------------------------------------------------- rows of batched moves (world.membrane.batch)
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
        self.buf.add(k, site_key(kind, layer, value, unit, energy_J is not None), entity_ids, xs, energy_J)

    def flush(self) -> None:
        """End the step's rows: claim their places in the trace's row order at the step's time (the rows reach
        the trace at its next flush, `_trace_rows`)."""
        n = self.buf.n - self._step_start
        if not n:
            return
        trace = self.run.trace
        seq = trace.claim(self.t, n)
        if self.keep:
            self._steps.append((seq, n, self.t))
            self._step_start = self.buf.n
            trace.settle()
        else:
            self.buf.n = 0

    def _trace_rows(self, limit: int | None = None) -> tuple[np.ndarray, pa.Table] | None:
        """The rows of the steps flushed since the last call with seqs below `limit` (all when None), as (seqs,
        table) for the trace's sink (a limited source, `world.sink.Sink.add_source`): a step cut by the limit
        keeps its later rows for the next call."""
        steps = self._steps
        if limit is not None:
            k = 0
            while k < len(steps) and steps[k][0] + steps[k][1] <= limit:
                k += 1
            steps, self._steps = steps[:k], steps[k:]
            if self._steps and self._steps[0][0] < limit:  # the step the limit cuts: its first rows go now
                first, rows, t = self._steps[0]
                steps.append((first, limit - first, t))
                self._steps[0] = (limit, first + rows - limit, t)
        else:
            self._steps = []
        if not steps:
            return None
        first, rows, ts = (np.array(c) for c in zip(*steps, strict=True))
        total = int(rows.sum())
        starts = np.cumsum(rows) - rows
        seqs = np.repeat(first - starts, rows) + np.arange(total, dtype=np.int64)
        cols = self.buf.columns(total)
        self.buf.drop_front(total)
        self._step_start -= total
        arrays = []
        for field in TRACE_SCHEMA:
            name = field.name
            if name in ("run_id", "world"):
                value = self.run.trace.run_id if name == "run_id" else "membrane"
                zeros = pa.array(np.zeros(total, dtype=np.int32))
                arrays.append(pa.DictionaryArray.from_arrays(zeros, pa.array([value], type=pa.string())))
            elif name == "t":
                arrays.append(pa.array(np.repeat(ts.astype(np.float64), rows), type=pa.float64()))
            elif name == "seq":
                arrays.append(pa.array(seqs, type=pa.int64()))
            else:
                arrays.append(cols[name])
        return seqs, pa.Table.from_arrays(arrays, schema=TRACE_SCHEMA)
