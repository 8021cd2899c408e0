"""`MembraneWorld.spend_atp`: ATP hydrolysed for an external consumer, conserved, booked and traced."""

from __future__ import annotations

import math

import pytest

from analysis.membrane_replay import replay_membrane_counters
from world.clock import Run
from world.constants import N_A
from world.membrane import MembraneWorld


def test_spend_atp_hydrolyses_counts_and_traces(small: dict, check_ledger) -> None:
    """spend_atp(n) turns n cytosolic ATP into ADP + Pi, books −ΔG as heat, writes one replayable row."""
    run = Run(3)
    world = MembraneWorld(run, **small)
    run.drive(world, world.dt)
    run.run_until(0.05)
    atp0, adp0, pi0 = world.pool["atp_c"], world.pool["adp_c"], world.pool["pi_c"]
    dg = world.dg_atp_kJ_per_mol("cytosol")
    assert world.spend_atp(5, "tokens") == 5
    assert (world.pool["atp_c"], world.pool["adp_c"], world.pool["pi_c"]) == (atp0 - 5, adp0 + 5, pi0 + 5)
    check_ledger(world)
    run.run_until(0.1)
    check_ledger(world)
    rows = run.trace.to_frame().query("kind == 'atp_spent'")
    assert len(rows) == 1 and rows.value.iloc[0] == 5.0 and rows.dst.iloc[0] == "tokens"
    assert rows.t.iloc[0] == pytest.approx(0.05)
    per_mol = world.counters["atp_spent_J"] / 5 * N_A / 1e3
    assert per_mol == pytest.approx(dg, rel=0.02), "heat per ATP is the cytosolic ΔG_ATP"
    replay = replay_membrane_counters(run.trace.to_frame())
    assert replay["atp_spent"] == world.counters["atp_spent"] == 5
    assert math.isclose(replay["atp_spent_J"], world.counters["atp_spent_J"], rel_tol=1e-12)
    assert math.isclose(replay["heat_J"], world.counters["heat_J"], rel_tol=1e-9)


def test_spend_atp_takes_at_most_what_is_there(small: dict) -> None:
    """Asking for more ATP than the cytosol holds hydrolyses exactly what is there, no more."""
    world = MembraneWorld(Run(0), **{**small, "atp_c": 7})
    assert world.spend_atp(20) == 7 and world.pool["atp_c"] == 0
    assert world.spend_atp(3) == 0 and world.counters["atp_spent"] == 7


@pytest.mark.parametrize("bad", [-1, 2.5, True, "3"])
def test_spend_atp_rejects_non_counts(small: dict, bad) -> None:
    """A negative, fractional, boolean or non-numeric amount raises ValueError naming n."""
    world = MembraneWorld(Run(0), **small)
    with pytest.raises(ValueError, match=r"n\(="):
        world.spend_atp(bad)


def test_set_uncoupler_washes_out(small: dict) -> None:
    """set_uncoupler(0) removes all protonophore; a negative concentration raises ValueError."""
    world = MembraneWorld(Run(0), **small)
    world.add_uncoupler(2.0)
    world.set_uncoupler(0.0)
    assert world.uncoupler.concentration == 0.0
    with pytest.raises(ValueError, match="concentration"):
        world.set_uncoupler(-1.0)
