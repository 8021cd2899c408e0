"""Proton moves and trace rows of the membrane world: every transporter moves protons through these.

Key names: `ProtonMoves`.

The world owns one `ProtonMoves` (``world.moves``). Each move picks protons with `ProtonLattice.take`, changes
their compartment, books its counters in the `ChemState` (``h_pumped``, ``h_produced``, ``h_consumed``,
``o2_consumed``) and buffers one trace row per proton (`entity_id` = the proton's Mesa `unique_id`); other rows
of the step are buffered with `emit`. Rows are written in order at the end of the step (`flush`): runs of one
kind of 64 rows or more with `TraceRecorder.emit_many`, shorter runs row by row (`emit_many` has a fixed cost of
a few hundred µs per call; `emit` costs ~1 µs per row)."""

from __future__ import annotations

from typing import Any

import numpy as np

from world.clock import Run
from world.errors import SimulationError
from world.membrane.geometry import BOUND, COMPARTMENT_NAMES, RESERVE, ProtonLattice
from world.membrane.state import ChemState
from world.membrane.transit import TransitLog


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
        self._rows: list[tuple] = []

    def grow(self, uids: np.ndarray) -> None:
        """The lattice's reserve grew: the new equivalents' Mesa ids follow the old ones."""
        self.proton_uid = np.concatenate([self.proton_uid, uids])
        if self.transit is not None:
            self.transit.grow(uids.size)

    def emit(self, kind: str, **cols: Any) -> None:
        """Buffer one trace row for this step (written in order at the end of the step)."""
        self._rows.append((kind, cols))

    def _proton_rows(
        self,
        idx: np.ndarray,
        kind: str,
        src: str,
        dst: str,
        layer: int | None,
        x0: int,
        value: float,
        energy_J: float | None = None,
    ) -> None:
        for uid in self.proton_uid[idx].tolist():
            self._rows.append(
                (
                    kind,
                    {
                        "entity_id": uid,
                        "src": src,
                        "dst": dst,
                        "layer": layer,
                        "pos": x0,
                        "value": value,
                        "unit": "H+",
                        "energy_J": energy_J,
                    },
                )
            )
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

    def flush(self) -> None:
        """Write the step's rows to the trace: runs of one kind ≥ 64 rows with `emit_many`, others one by one
        (`emit_many` has a fixed cost of a few hundred µs per call)."""
        rows = self._rows
        if not rows:
            return
        self._rows = []
        trace = self.run.trace
        t = self.t
        i = 0
        while i < len(rows):
            kind = rows[i][0]
            j = i
            while j < len(rows) and rows[j][0] == kind:
                j += 1
            if j - i >= 64:
                keys = sorted({k for r in rows[i:j] for k in r[1]} - {"attrs"})
                cols = {k: [r[1].get(k) for r in rows[i:j]] for k in keys}
                trace.emit_many(t, "membrane", kind, n=j - i, **cols)
            else:
                for _, c in rows[i:j]:
                    trace.emit(t, "membrane", kind, **c)
            i = j
