"""The membrane world as a Mesa model: agents, property layer, validation and perturbations."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from agents.proton import Proton
from agents.synthase import ATPSynthase
from world.clock import Run
from world.membrane import MembraneWorld


def test_protons_are_mesa_agents_with_unique_ids(small: dict) -> None:
    """Every proton equivalent is a mesa.Agent with its own unique_id, reading its state from the arrays."""
    world = MembraneWorld(Run(0), **small)
    protons = list(world.agents_by_type[Proton])
    assert all(isinstance(p, mesa.Agent) for p in protons)
    assert len({p.unique_id for p in protons}) == len(protons) == world.lattice.size
    first = protons[0]
    assert (first.x, first.y, first.compartment) == (int(world.lattice.x[0]), int(world.lattice.y[0]), "N")


def test_protons_stay_in_their_band_without_a_transporter(small: dict) -> None:
    """With every transporter absent, diffusion never moves a proton across the membrane row."""
    quiet = {
        k: 0 for k in ("n_complex1", "n_complex2", "n_complex3", "n_complex4", "n_synthase", "n_exchanger", "n_leak")
    }
    world = MembraneWorld(Run(1), **{**small, **quiet, "nadh_supply": 0.0})
    lat = world.lattice
    comp0 = lat.comp.copy()
    for _ in range(200):
        world.step()
        free = lat.comp <= 1
        n_side = lat.y[free] < lat.membrane_row
        assert np.array_equal(n_side, lat.comp[free] == 0)
    assert np.array_equal(comp0, lat.comp)


def test_property_layer_mirrors_free_proton_occupancy_every_step(small: dict) -> None:
    """After every step (no sampling), the grid's PropertyLayer holds the free-proton count of every cell."""
    world = MembraneWorld(Run(2), **small)
    for _ in range(30):
        world.step()
        data = world.layers["protons"].data
        assert np.array_equal(data, world.lattice.occupancy())
        assert data.sum() == world.lattice.counts[0] + world.lattice.counts[1]
    assert data.shape == (small["width"], world.lattice.height)
    assert data[:, world.lattice.membrane_row].sum() == 0
    assert world.layers["q"].data.sum() + world.layers["qh2"].data.sum() == small["n_quinone"]


@pytest.mark.parametrize(
    ("call", "arg", "match"),
    [
        ("add_adp", -1, r"amount\(=-1\)"),
        ("add_adp", 2.5, r"amount\(=2.5\)"),
        ("set_atp_demand", -3.0, r"rate\(=-3.0\)"),
        ("add_inhibitor", "aspirin", r"inhibitor\(='aspirin'\)"),
        ("add_uncoupler", float("nan"), r"concentration\(=nan\)"),
        ("set_leak", -1.0, r"rate\(=-1.0\)"),
    ],
)
def test_perturbations_reject_bad_values_naming_them(small: dict, call: str, arg: object, match: str) -> None:
    """Each perturbation raises ValueError naming the bad value."""
    world = MembraneWorld(Run(0), **small)
    with pytest.raises(ValueError, match=match):
        getattr(world, call)(arg)


def test_set_substrate_rejects_unknown_kind(small: dict) -> None:
    """set_substrate accepts only 'nadh' or 'succinate'."""
    with pytest.raises(ValueError, match=r"substrate\(='glucose'\)"):
        MembraneWorld(Run(0), **small).set_substrate("glucose", 10.0)


@pytest.mark.parametrize(
    ("name", "value"),
    [("width", 1), ("protons_n", -5), ("nadh_fraction", 1.5), ("mouth_nm", 0.0), ("reach_nm", 1e6),
     ("local_rates", 1), ("d_proton_um2_s", -1.0)],
)  # fmt: skip
def test_constructor_rejects_bad_parameters(name: str, value: object) -> None:
    """Bad geometry, counts, fractions, neighbourhoods, flags or diffusion coefficients raise ValueError naming them."""
    with pytest.raises(ValueError, match=name):
        MembraneWorld(Run(0), **{name: value})


def test_many_sites_share_cells_and_fast_rates_are_allowed(small: dict, check_ledger) -> None:
    """More sites than membrane cells and k·dt > 1 run (several moves per site per step), laws intact."""
    world = MembraneWorld(Run(4), **{**small, "n_synthase": 60, "n_complex4": 40, "k_rotor": 5000.0})
    cols = [a.cell.coordinate[0] for a in world.agents_by_type[ATPSynthase]]
    assert len(cols) == 60 > len(set(cols))
    for _ in range(50):
        world.step()
    check_ledger(world)
    assert world.counters["rotor_steps"] != 0


def test_reserve_zero_runs_and_grows_the_agents_with_the_arrays(small: dict, check_ledger) -> None:
    """With no reserve at all the world runs (it used to raise IndexError): proton agents and ids grow with the
    lattice, and every trace row names an existing proton agent."""
    run = Run(5)
    world = MembraneWorld(run, **{**small, "reserve": 0})
    for _ in range(200):
        world.step()
    check_ledger(world)
    assert world.lattice.size > small["protons_n"] + small["protons_p"]
    assert world.proton_uid.size == world.lattice.size == len(world.agents_by_type[Proton])
    rows = run.trace.to_frame()
    protons = rows[rows.unit == "H+"].entity_id.astype(int)
    assert set(protons) <= set(world.proton_uid.tolist())


def test_step_advances_the_run_clock_like_the_driver(small: dict) -> None:
    """`model.step()` called directly advances the run's clock by dt and gives the same trace as `run.drive`."""
    a = MembraneWorld(seed=7, **small)
    for _ in range(40):
        a.step()
    run = Run(7)
    b = MembraneWorld(run, **small)
    b.drive()
    run.run_until(40 * b.dt)
    assert a.run.now == pytest.approx(40 * a.dt) and a.steps == b.steps == 40
    assert a.run.trace.to_frame().drop(columns="run_id").equals(run.trace.to_frame().drop(columns="run_id"))


def _energised(seed: int, substrate: str = "nadh", **kw) -> tuple[MembraneWorld, Run]:
    run = Run(seed)
    world = MembraneWorld(run, **kw)
    world.set_substrate(substrate, 400.0)
    run.drive(world, world.dt)
    run.run_until(1.5)
    return world, run


def _ocr(world: MembraneWorld, run: Run, seconds: float) -> float:
    a = world.snapshot()
    run.run_until(run.now + seconds)
    return world.window(a, world.snapshot())["ocr"]


def test_uncoupler_collapses_pmf_and_speeds_respiration() -> None:
    """An uncoupler lowers Δp and raises OCR above state 4 (nothing scripted: only the shuttle is added)."""
    world, run = _energised(0)
    before, pmf0 = _ocr(world, run, 0.5), world.pmf_mV
    world.add_uncoupler(2.0)
    run.run_until(run.now + 0.3)
    after = _ocr(world, run, 0.5)
    assert world.pmf_mV < pmf0 - 30
    assert after > 2 * before


def test_rotenone_stops_nadh_respiration_but_not_succinate() -> None:
    """Rotenone stops NADH-linked O2 consumption; with succinate respiration continues."""
    world, run = _energised(1, atp_demand=400.0)
    world.add_inhibitor("rotenone")
    run.run_until(run.now + 0.4)
    assert _ocr(world, run, 0.5) < 2.0
    world_s, run_s = _energised(1, "succinate", atp_demand=400.0)
    world_s.add_inhibitor("rotenone")
    run_s.run_until(run_s.now + 0.4)
    assert _ocr(world_s, run_s, 0.5) > 10.0
