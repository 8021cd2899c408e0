"""The membrane world's columnar trace rows give the trace a row-by-row `emit` path gives, byte for byte."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import numpy as np
import pytest

import world.membrane.moves as moves_mod
from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.protocol import Protocol


def _row_by_row_flush(self: moves_mod.ProtonMoves) -> None:
    """Reference: every buffered row written at once with one `TraceRecorder.emit` call each."""
    for kind, cols in self.buf.rows(self._step_start):
        attrs = cols.pop("attrs")
        self.run.trace.emit(self.t, "membrane", kind, attrs=None if attrs is None else json.loads(attrs), **cols)
    self.buf.n = self._step_start


def _run(out: Path | None, flush_every: int) -> Run:
    """Two worlds (NADH with an ADP pulse; succinate with an uncoupler) and a run-level row on one clock."""
    run = Run(5, out_dir=out, flush_every=flush_every)
    a = MembraneWorld(run, atp_demand=200.0)
    b = MembraneWorld(run, nadh_fraction=0.0)
    b.set_substrate("succinate", 300.0)
    pa_, pb = Protocol(run, a, 0.05), Protocol(run, b, 0.05)
    pa_.at(0.1, a.add_adp, 300)
    pb.at(0.15, b.add_uncoupler, 0.5)
    run.every(0.07, lambda: run.trace.emit(run.now, "membrane", "tick", value=run.now, attrs={"k": 1}))
    run.run_until(0.3)
    return run


@pytest.mark.parametrize("flush_every", [7, 65536])
def test_columnar_rows_equal_row_by_row_rows(tmp_path: Path, flush_every: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trace files (Parquet, flushes cut inside a step's rows) and in-memory tables are identical to those of
    the one-`emit`-per-row path."""
    columnar = _run(tmp_path / "columnar", flush_every)
    columnar.close()
    mem = _run(None, flush_every).trace.to_table()
    with monkeypatch.context() as m:
        m.setattr(moves_mod.ProtonMoves, "flush", _row_by_row_flush)
        reference = _run(tmp_path / "rows", flush_every)
        reference.close()
        mem_ref = _run(None, flush_every).trace.to_table()
    assert mem.num_rows > 1000 and set(mem.column("kind").to_pylist()) >= {"pump", "redox", "tick", "rotor_step"}
    assert mem.equals(mem_ref)
    assert filecmp.cmp(tmp_path / "columnar" / "trace.parquet", tmp_path / "rows" / "trace.parquet", shallow=False)


def test_a_replica_world_keeps_no_rows() -> None:
    """A world on a replica run counts its events but keeps no rows; an unknown column is refused."""
    run = Run(0)
    replica = run.replica("r")
    w = MembraneWorld(replica)
    run.drive(w, w.dt)
    run.run_until(0.05)
    assert replica.trace.events > 100 and run.trace.events == 0
    assert w.moves.buf.n == 0 and not w.moves._steps
    with pytest.raises(ValueError, match="colour"):
        w.moves.emit("x", colour=1)


def test_batched_nadh_supply_equals_one_proton_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The supply's protons brought in as one batch (`ProtonMoves.produce_external`) give the trace, the energy
    counters and the lattice that one `produce_into` per NADH gives, bit for bit."""

    def run() -> tuple:
        r = Run(2)
        w = MembraneWorld(r, nadh_supply=3000.0)
        r.drive(w, w.dt)
        r.run_until(0.1)
        return r.trace.to_table(), dict(w.state.counters), w.lattice.x.copy(), w.lattice.comp.copy()

    batched = run()
    with monkeypatch.context() as m:
        m.setattr(
            moves_mod.ProtonMoves,
            "produce_external",
            lambda self, side, xs, label: [self.produce_into(side, int(x), 1, label, external=True) for x in xs],
        )
        single = run()
    assert batched[0].num_rows > 500 and batched[1]["nadh_supplied"] > 50
    assert batched[0].equals(single[0])
    assert batched[1] == single[1]
    assert np.array_equal(batched[2], single[2]) and np.array_equal(batched[3], single[3])
