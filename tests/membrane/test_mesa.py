"""Mesa's own tools on the membrane world: `mesa.batch_run` builds it from keyword arguments, steps it with
``model.step()`` and reports its `DataCollector`; a direct step is the same as driving it from the clock."""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Iterator

import mesa
import pandas as pd
import pytest

from world.clock import Run
from world.membrane import MODEL_REPORTERS, MembraneWorld

STEPS = 500
DT = 1e-3
DEMAND = 3000.0


@pytest.fixture
def keep_start_method() -> Iterator[None]:
    """`mesa.batch_run` forces the "spawn" start method for the whole process; put the previous one back."""
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def test_direct_steps_advance_the_clock_and_match_a_driven_world() -> None:
    """Stepping a world built from keywords alone 150 times moves its clock to 150·dt and writes the same
    trace, row for row, as the same seed driven by `Run.drive` to that time."""
    direct = MembraneWorld(seed=5, atp_demand=600.0)
    for _ in range(150):
        direct.step()
    run = Run(5)
    driven = MembraneWorld(run, atp_demand=600.0)
    run.drive(driven, driven.dt)
    run.run_until(150 * DT)
    assert direct.run.now == run.now == pytest.approx(150 * DT, rel=1e-12)
    assert direct.steps == driven.steps == 150
    a, b = direct.run.trace.to_frame(), run.trace.to_frame()
    assert len(a) > 1000
    pd.testing.assert_frame_equal(a, b)
    assert direct.counters == driven.counters


def test_a_run_and_a_different_seed_are_refused() -> None:
    """A seed that contradicts the given run is refused (it would be silently ignored otherwise)."""
    with pytest.raises(ValueError, match="seed"):
        MembraneWorld(Run(1), seed=2)


@pytest.mark.usefixtures("keep_start_method")
def test_batch_run_sweeps_atp_demand_with_the_expected_physics() -> None:
    """`mesa.batch_run` over ATP demand 0 and 3000 ATP/s, seeds 1, 2 and 1 again, 500 steps (0.5 s from rest).

    Predicted before measuring: the demand hydrolyses cytosolic ATP faster than the synthases can replace it
    while the gradient is still building, so after 0.5 s the cytosol holds fewer ATP with demand, by at least
    half the demanded 1500 and at most 1500 + 4·√1500 (Poisson demand); the synthases draw on Δp to make ATP
    for the demand, so Δp is lower with demand (respiratory control); the chain runs faster against the lower
    back-pressure, so more O₂ is consumed (summed over the two seeds). Identical seeds give identical rows.
    """
    rows = mesa.batch_run(
        MembraneWorld,
        parameters={"atp_demand": [0.0, DEMAND]},
        rng=[1, 2, 1],  # `iterations=` is deprecated in Mesa 3.5; one run per seed, the seed passed as `seed=`
        max_steps=STEPS,
        number_processes=1,
        data_collection_period=100,
        display_progress=False,
    )
    df = pd.DataFrame(rows)
    assert set(MODEL_REPORTERS) <= set(df.columns)
    assert sorted(df["Step"].unique()) == [0, 100, 200, 300, 400, 500]
    assert df.loc[df.Step == 500, "t_s"].to_numpy() == pytest.approx(STEPS * DT)
    end = df[df.Step == STEPS].set_index(["iteration", "atp_demand"])
    demanded = DEMAND * STEPS * DT
    for it in (0, 1):
        drop = end.loc[(it, 0.0), "atp_cytosol"] - end.loc[(it, DEMAND), "atp_cytosol"]
        assert 0.5 * demanded <= drop <= demanded + 4 * math.sqrt(demanded)
        assert end.loc[(it, DEMAND), "pmf_mV"] < end.loc[(it, 0.0), "pmf_mV"]
    o2 = end["o2_consumed"].loc[[0, 1]].groupby(level="atp_demand").sum()
    assert o2[DEMAND] > o2[0.0]
    cols = ["Step", "atp_demand", *MODEL_REPORTERS]
    same = [df[df.iteration == it][cols].reset_index(drop=True) for it in (0, 2)]
    pd.testing.assert_frame_equal(same[0], same[1])
    assert not df[df.iteration == 1][cols].reset_index(drop=True).equals(same[0])
