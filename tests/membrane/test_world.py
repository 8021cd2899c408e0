"""The membrane world as a Mesa model: agents, property layer, validation and perturbations."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from agents.proton import Proton
from world.clock import Run
from world.membrane import MembraneWorld
from world.testing import FERMI_STACK


def test_protons_are_mesa_agents_with_unique_ids(small: dict) -> None:
    """Every proton equivalent is a mesa.Agent with its own unique_id, reading its state from the arrays."""
    world = MembraneWorld(Run(0), **small)
    protons = list(world.agents_by_type[Proton])
    assert all(isinstance(p, mesa.Agent) for p in protons)
    assert len({p.unique_id for p in protons}) == len(protons) == world.lattice.size
    first = protons[0]
    assert (first.x, first.y, first.compartment) == (int(world.lattice.x[0]), int(world.lattice.y[0]), "N")


def test_protons_stay_in_their_band_without_a_transporter(small: dict) -> None:
    """With every transporter absent, diffusion never moves a proton across the membrane row (the translocase
    and phosphate carrier of the default transport included: the phosphate carrier moves a proton per Pi)."""
    quiet = {
        k: 0
        for k in (
            "n_complex1", "n_complex2", "n_complex3", "n_complex4", "n_synthase", "n_exchanger", "n_ant",
            "n_pi_carrier", "n_leak",
        )
    }  # fmt: skip
    world = MembraneWorld(Run(1), **{**small, **quiet, "nadh_supply": 0.0})
    lat = world.lattice
    comp0 = lat.comp.copy()
    for _ in range(200):
        world.step()
        free = lat.comp <= 1
        n_side = lat.y[free] < lat.membrane_row
        assert np.array_equal(n_side, lat.comp[free] == 0)
    assert np.array_equal(comp0, lat.comp)


def test_property_layers_hold_every_cells_population_after_every_step(small: dict) -> None:
    """The grid's property layers are current after every step (no sampling): free protons per cell equal a
    count over the lattice's arrays, quinones sit in the membrane row, cytochrome c in the P band."""
    run = Run(2)
    world = MembraneWorld(run, **small, atp_demand=500.0)
    lat = world.lattice
    for _ in range(30):
        world.step()
        free = lat.comp <= 1
        expect = np.zeros((small["width"], lat.height), dtype=int)
        np.add.at(expect, (lat.x[free], lat.y[free]), 1)
        assert np.array_equal(world.proton_layer.data, expect)
        assert np.array_equal(world.grid.protons.data, expect)
        assert world.quinone_layer.data[:, lat.membrane_row].sum() == small["n_quinone"]
        assert world.quinone_layer.data.sum() == small["n_quinone"]
        assert world.cytc_layer.data[:, lat.membrane_row + 1 :].sum() == small["n_cytc"]
    assert world.proton_layer.data[:, lat.membrane_row].sum() == 0


def test_sites_are_fixed_agents_in_membrane_cells_grouped_by_type(small: dict) -> None:
    """Every membrane site is a Mesa FixedAgent in a membrane-row cell of the grid at its column, and the groups
    the world steps are the model's `agents_by_type` sets in column order."""
    from mesa.discrete_space import FixedAgent

    world = MembraneWorld(Run(1), **small)
    for cls, members in world.groups:
        assert members == (world.agents_by_type[cls].to_list() if members else [])
        assert [m.x for m in members] == sorted(m.x for m in members)
        for m in members:
            assert isinstance(m, FixedAgent)
            assert m.cell.coordinate == (m.x, world.lattice.membrane_row)
            assert m in m.cell.agents


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
    [("width", 1), ("protons_n", -5), ("nadh_fraction", 1.5), ("k_rotor", 5000.0), ("n_synthase", -1)],
)
def test_constructor_rejects_bad_parameters(name: str, value: object) -> None:
    """Bad geometry, counts, fractions or too-fast rates raise ValueError naming them (more sites than columns
    is allowed: they share cells, `test_more_sites_than_columns_share_cells_and_keep_the_laws`)."""
    with pytest.raises(ValueError, match=name):
        MembraneWorld(Run(0), **{name: value})


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
    """Rotenone stops NADH-linked O2 consumption; with succinate respiration continues.

    On the pre-recalibration world (`FERMI_STACK`), where the Fermi law's complex II oxidises what succinate the
    pool holds at full speed within the 0.4 s allowed. Under the mass-action defaults complex II is first order
    in succinate, inhibited by fumarate and reversible: while NADH is respired it keeps succinate in equilibrium
    with QH₂ (even a pool started without succinate holds 6–15 at 1.9 s), and after rotenone that reservoir
    drains over seconds (measured, seeds 1 and 2: 80–90 succinate at the dose; OCR 26–38 O₂/s in the first
    0.5 s, 4–16 at 1.5–2 s after it, O₂ events still at 4 s; on the defaults this test read 14 O₂/s).
    """
    world, run = _energised(1, atp_demand=400.0, **FERMI_STACK)
    world.add_inhibitor("rotenone")
    run.run_until(run.now + 0.4)
    assert _ocr(world, run, 0.5) < 2.0
    world_s, run_s = _energised(1, "succinate", atp_demand=400.0, **FERMI_STACK)
    world_s.add_inhibitor("rotenone")
    run_s.run_until(run_s.now + 0.4)
    assert _ocr(world_s, run_s, 0.5) > 10.0


@pytest.mark.parametrize("reserve", [0, 1])
def test_an_exhausted_reserve_grows_with_agents_and_trace_identities(tmp_path, small: dict, reserve: int) -> None:
    """With no proton reserve the lattice grows as substrates produce protons: every new equivalent is a Proton
    agent with its own unique_id, every traced proton id names an agent, and the conservation laws still hold
    (before the fix the first trace row of a grown proton raised IndexError)."""
    from world.testing import assert_membrane_laws
    from world.trace import read_trace

    run = Run(0, out_dir=tmp_path)
    world = MembraneWorld(run, **{**small, "reserve": reserve})
    size0 = world.lattice.size
    run.drive(world, world.dt)
    run.run_until(0.3)
    run.close()
    assert world.lattice.size > size0, "the run must have grown the reserve"
    protons = list(world.agents_by_type[Proton])
    assert len(protons) == world.lattice.size == world.moves.proton_uid.size
    assert len({p.unique_id for p in protons}) == len(protons)
    assert np.array_equal(world.moves.proton_uid, np.array([p.unique_id for p in protons]))
    trace = read_trace(tmp_path)
    proton_rows = trace[trace["unit"] == "H+"]
    assert len(proton_rows) > 0
    assert set(proton_rows["entity_id"].dropna().astype(int)) <= set(world.moves.proton_uid.tolist())
    assert_membrane_laws(world)


def test_more_sites_than_columns_share_cells_and_keep_the_laws(check_ledger) -> None:
    """At 16× the default enzyme density (608 sites on 60 columns) sites share membrane cells: every column holds
    10 or 11 of them, each sits in its own column's cell, and 200 steps under ATP demand keep every conservation
    law (the ledger after every step) while respiring and making ATP. The density is the pre-recalibration one
    (6 synthases, 6 lumped exchangers per default patch), so the lumped exchanger is named; the rest is default.
    """
    counts = {k: 16 * v for k, v in {"n_complex1": 4, "n_complex2": 4, "n_complex3": 4, "n_complex4": 8}.items()}
    counts |= {"n_synthase": 96, "n_exchanger": 96, "n_leak": 96}
    run = Run(5)
    world = MembraneWorld(run, **counts, transport="lumped", atp_demand=3000.0, reserve=0)
    per_column = np.bincount([m.x for _, ms in world.groups for m in ms], minlength=world.params.width)
    assert per_column.sum() == 608 and per_column.min() >= 10 and per_column.max() <= 11
    for _, members in world.groups:
        for m in members:
            assert m in world.grid[(m.x, world.lattice.membrane_row)].agents
    for _ in range(200):
        world.step()
        check_ledger(world)
    assert world.counters["o2_consumed"] > 0 and world.counters["atp_made"] > 0
