"""Geometry in physical units: membrane length and band depths in nm set the lattice's cell counts."""

from __future__ import annotations

import dataclasses

import pytest

from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.params import MembraneParams


def test_lengths_set_cell_counts_and_every_length_is_filled_in() -> None:
    p = MembraneParams(length_nm=1200.0, n_band_nm=400.0, p_band_nm=200.0, cell_nm=20.0)
    assert (p.width, p.n_rows, p.p_rows) == (60, 20, 10)
    d = MembraneParams()  # counts only: the lengths follow from them
    assert (d.length_nm, d.n_band_nm, d.p_band_nm) == (d.width * d.cell_nm, d.n_rows * d.cell_nm, d.p_rows * d.cell_nm)
    # a copy with another field keeps the geometry (both forms are stored and agree)
    q = dataclasses.replace(p, k_leak=2.0)
    assert (q.width, q.length_nm) == (60, 1200.0)
    # the membrane area, hence the capacitance, scales with the length
    assert MembraneParams(length_nm=6000.0).capacitance_F == pytest.approx(2 * MembraneParams().capacitance_F)


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"length_nm": 1025.0}, "length_nm"),  # 20.5 cells of 50 nm
        ({"p_band_nm": 50.0}, "p_band_nm"),  # one cell: a band needs at least two
        ({"length_nm": 1000.0, "width": 7}, "width"),  # disagrees with the count given
        ({"n_band_nm": 0.0}, "n_band_nm"),
        ({"n_band_nm": float("nan")}, "n_band_nm"),
    ],
)
def test_bad_lengths_are_refused_naming_the_value(kwargs: dict, names: str) -> None:
    with pytest.raises(ValueError, match=names):
        MembraneParams(**kwargs)


def test_a_world_built_from_lengths_is_the_world_built_from_counts() -> None:
    """Same seed, the same geometry given in nm or in cells: identical lattices, counters and traces."""
    worlds = []
    for geo in ({"width": 30, "n_rows": 6, "p_rows": 4}, {"length_nm": 1500.0, "n_band_nm": 300.0, "p_band_nm": 200.0}):
        run = Run(4)
        w = MembraneWorld(run, atp_demand=300.0, **geo)
        run.drive(w, w.dt)
        run.run_until(0.2)
        worlds.append((w, run.trace.to_frame()))
    (a, ta), (b, tb) = worlds
    assert (a.lattice.width, a.lattice.height) == (b.lattice.width, b.lattice.height) == (30, 11)
    assert dict(a.counters) == dict(b.counters)
    assert ta.equals(tb)
