"""The trace loses nothing: counters rebuilt from it equal the world's; same seed, same trace."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.membrane_replay import replay_membrane_counters
from world.clock import Run
from world.membrane import MembraneWorld


def _run(seed: int, t_end: float = 0.4, out_dir=None, **params) -> tuple[MembraneWorld, Run]:
    run = Run(seed, out_dir=out_dir)
    world = MembraneWorld(run, atp_demand=200.0, **params)
    run.drive(world, world.dt)

    def later(env):
        yield env.timeout(0.2)
        world.add_adp(300)
        world.add_uncoupler(0.3)

    run.env.process(later(run.env))
    run.run_until(t_end)
    return world, run


_MASS_ACTION = {"kinetics": "mass_action", "supply_law": "reversible", "nadh_supply": 1000.0}


_SPACE = {
    "site_events": "poisson",
    "d_proton_um2_s": 100.0,
    "proton_access": "local",
    "surface_barrier_kT": 8.0,
    "d_quinone_um2_s": 1.0,
    "d_cytc_um2_s": 10.0,
    "carrier_reach_nm": 250.0,
}


_ANT_PIC = {**_SPACE, "transport": "ant_pic"}
_BATCH = {"site_events": "batch", "transport": "ant_pic", "succinate_supply": 200.0, "d_proton_um2_s": 100.0}


@pytest.mark.parametrize(
    "params",
    [{}, _MASS_ACTION, _SPACE, _ANT_PIC, _BATCH],
    ids=["default", "mass_action", "space_and_poisson", "translocase_and_phosphate_carrier", "batched_moves"],
)
def test_replayed_counters_equal_the_worlds_counters(params: dict) -> None:
    """Every cumulative counter rebuilt from the trace alone equals the world's own counter (also with mass
    action and the reversible dehydrogenase, whose backward events are negative ``nadh_supplied`` rows, and with
    local proton access, a surface barrier and Poisson moves per site, and with the translocase and phosphate
    carrier in place of the lumped exchanger, whose ``ant`` and ``pi_symport`` rows must both occur, and with every
    class's moves made in one batch)."""
    world, run = _run(11, **params)
    frame = run.trace.to_frame()
    replay = replay_membrane_counters(frame)
    if params.get("transport") == "ant_pic":
        kinds = set(frame["kind"].astype(str))
        assert {"ant", "pi_symport"} <= kinds and "exchange" not in kinds
    if params.get("supply_law") == "reversible":
        supplied = frame.loc[frame["kind"] == "nadh_supplied", "value"]
        assert (supplied < 0).any(), "the reversible dehydrogenase must have run backward"
    for key, value in replay.items():
        if key in ("rotor_turns", "c_ring"):
            continue
        if key == "heat_J":
            assert math.isclose(value, world.counters[key], rel_tol=1e-9)
        else:
            assert value == world.counters[key], key
    assert replay["rotor_turns"] == world.counters["rotor_steps"] / world.params.c_ring
    assert replay["h_pumped"] > 0 and replay["atp_made"] != 0 and replay["uncoupler_h"] > 0


def test_replay_from_parquet_file_equals_metrics(tmp_path) -> None:
    """Replaying trace.parquet up to a sample time reproduces the sampled cumulative metrics."""
    run = Run(2, out_dir=tmp_path)
    world = MembraneWorld(run)
    run.drive(world, world.dt)
    run.every(0.1, world.sample)
    run.run_until(0.3)
    run.close()
    trace = pd.read_parquet(tmp_path / "trace.parquet")
    metrics = pd.read_parquet(tmp_path / "metrics.parquet")
    last_t = float(metrics.t.max())
    replay = replay_membrane_counters(trace, until=last_t)
    sampled = metrics[metrics.t == last_t].set_index("metric").value
    for name in ("h_pumped", "charges_moved", "electrons_to_o2", "atp_made", "rotor_turns"):
        assert math.isclose(sampled[name], replay[name], abs_tol=1e-9), name
    assert math.isclose(sampled["heat_J"], replay["heat_J"], rel_tol=1e-9)


def test_same_seed_gives_identical_trace_frame() -> None:
    """Two runs with the same seed produce identical trace frames; another seed does not."""
    a = _run(4, 0.25)[1].trace.to_frame()
    b = _run(4, 0.25)[1].trace.to_frame()
    c = _run(5, 0.25)[1].trace.to_frame()
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_large_batches_of_one_kind_are_traced_completely() -> None:
    """A flood of uncoupler hops (batched with emit_many) is traced row for row and replays exactly."""
    run = Run(6)
    world = MembraneWorld(run, initial_delta_psi_mV=150.0, capacitance_uF_cm2=50.0, nadh_supply=0.0)
    world.add_uncoupler(100.0)
    run.drive(world, world.dt)
    run.run_until(0.02)
    frame = run.trace.to_frame()
    hops = frame[frame.kind == "uncoupler"]
    assert len(hops) > 64 * 5
    assert hops.entity_id.notna().all() and set(hops.src.astype(str)) <= {"P", "N"}
    assert replay_membrane_counters(frame)["uncoupler_h"] == world.counters["uncoupler_h"]
