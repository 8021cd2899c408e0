"""Exact stoichiometry of the chain and the rotor, counted on the real world."""

from __future__ import annotations

import pytest

from world.clock import Run
from world.constants import ETC_CHARGES, ETC_H_RELEASED_P, ETC_H_TAKEN_N
from world.membrane import MembraneWorld

QUIET = {"n_leak": 0, "n_synthase": 0, "n_exchanger": 0, "nadh_supply": 0.0, "succinate_supply": 0.0}


def _one_donor(substrate: str, seed: int = 0) -> tuple[MembraneWorld, Run]:
    donor = {
        "nadh": {"nad_total": 1, "nadh_fraction": 1.0, "succ_total": 0},
        "succinate": {"nad_total": 0, "succ_total": 1, "succ_fraction": 1.0},
    }[substrate]
    run = Run(seed)
    world = MembraneWorld(run, **QUIET, **donor)
    run.drive(world, world.dt)
    run.run_until(0.3)
    return world, run


def _per_complex(frame, kind: str, layer: int) -> float:
    rows = frame[(frame.kind == kind) & (frame.layer == layer)]
    return float(rows.value.sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_nadh_moves_ten_protons_and_ten_charges(seed: int) -> None:
    """One NADH, with leak, slip and synthesis off, releases 10 H+ on P and moves 10 charges."""
    world, _ = _one_donor("nadh", seed)
    c = world.counters
    assert (c["nadh_oxidised"], c["turnovers_3"], c["turnovers_4"]) == (1, 1, 1)
    assert c["h_pumped"] == 10
    assert c["charges_moved"] == 10


def test_one_succinate_moves_six_protons_and_six_charges() -> None:
    """One succinate releases 6 H+ on P and moves 6 charges."""
    world, _ = _one_donor("succinate")
    c = world.counters
    assert c["succinate_oxidised"] == 1
    assert c["h_pumped"] == 6
    assert c["charges_moved"] == 6


def test_complex_by_complex_protons_match_the_reference_table() -> None:
    """Per complex, H+ released on P and H+ taken from N in the trace match the reference table."""
    _, run = _one_donor("nadh")
    f = run.trace.to_frame()
    for number in (1, 3, 4):
        released = _per_complex(f, "pump", number)
        from_n = f[(f.layer == number) & (f.src == "N") & f.kind.isin(["pump", "h_bind"])].value.sum()
        assert released == ETC_H_RELEASED_P[number]
        assert from_n == ETC_H_TAKEN_N[number]
        assert _per_complex(f, "redox", number) * ETC_CHARGES[number] == ETC_CHARGES[number]
    produced_with_nadh = f[(f.kind == "h_produced") & (f.src == "substrate")].value.sum()
    assert produced_with_nadh == 1


def test_complex_ii_takes_two_from_n_and_releases_none() -> None:
    """Complex II takes 2 H+ from N into QH2 and releases none on P."""
    _, run = _one_donor("succinate")
    f = run.trace.to_frame()
    assert f[(f.layer == 2) & (f.src == "N")].value.sum() == ETC_H_TAKEN_N[2]
    assert _per_complex(f, "pump", 2) == ETC_H_RELEASED_P[2] == 0


@pytest.mark.parametrize("n", [8, 10, 14])
def test_full_rotor_turn_passes_n_protons_and_makes_three_atp(n: int) -> None:
    """Driving one synthase through full turns passes exactly n H+ and makes exactly 3 ATP per turn."""
    run = Run(0)
    world = MembraneWorld(
        run,
        c_ring=n,
        n_complex1=0,
        n_complex2=0,
        n_complex3=0,
        n_complex4=0,
        n_leak=0,
        n_exchanger=0,
        n_synthase=1,
        initial_delta_psi_mV=300.0,
        capacitance_uF_cm2=1e4,
        atp_m=10,
        adp_m=10_000,
        pi_m=100_000,
    )
    syn = world.groups_by_name()["ATPSynthase"][0]
    run.drive(world, world.dt)
    while abs(syn.steps) < 4 * n:
        run.run_until(run.now + 0.01)
    turns = syn.steps // n
    frame = run.trace.to_frame()
    assert syn.atp == (3 * syn.steps) // n
    assert turns >= 3
    protons = frame[frame.kind == "rotor_step"].value.sum()
    made = (frame.kind == "atp_made").sum() - (frame.kind == "atp_hydrolysed").sum()
    assert protons == syn.steps
    assert made == syn.atp
    assert (3 * (protons - protons % n)) // n == 3 * turns


@pytest.mark.parametrize("bad", [5, 7, 16, 8.0])
def test_c_ring_outside_8_to_15_is_rejected(bad: object) -> None:
    """A c-ring outside 8..15 (or not an integer) raises ValueError naming the value."""
    with pytest.raises(ValueError, match=r"c_ring\(="):
        MembraneWorld(Run(0), c_ring=bad)
