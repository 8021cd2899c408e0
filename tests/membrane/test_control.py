"""Metabolic control analysis: the estimator on known laws, and the summation theorem on real runs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.control import control_coefficient, control_table, mean_ci, pool_runs
from scenarios.control_analysis import STEPS, run_control_analysis
from world.clock import Run
from world.testing import FERMI_STACK

_QUICK = {
    "factor": 1.25,
    "replicates": 2,
    "kinetics": "fermi",
    "site_events": "poisson",
    "transport": "lumped",
    "settle": 0.05,
    "warmup": 0.05,
    "window": 0.1,
    "dt": 5e-4,
    "sample_dt": 10.0,
    "patch": 1,
    "world_params": (),
}
"""The scenario's arguments for short in-process runs (each test overrides what it is about)."""


def _control(run: Run, **over) -> dict:
    """`run_control_analysis` with `_QUICK` and the test's overrides."""
    return run_control_analysis(run, **{**_QUICK, **over})


@given(
    c=st.floats(-3, 3),
    e=st.floats(0.1, 10),
    f=st.floats(1.01, 3),
    scale=st.floats(0.01, 100),
)
def test_coefficient_is_exact_for_a_power_law(c: float, e: float, f: float, scale: float) -> None:
    """For J = a·E^c the log–log central difference returns c (to rounding), whatever a, E and f."""
    j = lambda x: scale * x**c  # noqa: E731
    assert control_coefficient(j(e * f), j(e / f), f) == pytest.approx(c, abs=1e-9)


def test_coefficient_of_a_saturating_law_is_its_local_slope() -> None:
    """For J = E/(1 + E) the coefficient at E is 1/(1 + E); the central difference with f = 1.2 is within 1 %
    (second order in ln f)."""
    j = lambda x: x / (1 + x)  # noqa: E731
    for e in (0.1, 1.0, 10.0):
        assert control_coefficient(j(e * 1.2), j(e / 1.2), 1.2) == pytest.approx(1 / (1 + e), rel=0.01)


def test_coefficient_refuses_what_has_no_log() -> None:
    """A flux that is not positive has no log-log slope; a factor of 1 or less is no perturbation."""
    assert control_coefficient(0.0, 1.0, 1.2) is None
    assert control_coefficient(1.0, -2.0, 1.2) is None
    with pytest.raises(ValueError, match=r"factor\(=1.0\) must be > 1"):
        control_coefficient(1.0, 1.0, 1.0)


@settings(max_examples=50)
@given(st.lists(st.floats(-10, 10), min_size=2, max_size=20), st.sampled_from([0.9, 0.95, 0.99]))
def test_mean_ci_is_the_student_t_interval(values: list[float], level: float) -> None:
    """`mean_ci` equals scipy's t interval of the mean."""
    got = mean_ci(values, level)
    x = np.asarray(values)
    sem = stats.sem(x)
    if sem == 0:
        assert got["half"] == 0
        return
    lo, hi = stats.t.interval(level, x.size - 1, loc=x.mean(), scale=sem)
    assert got["lo"] == pytest.approx(lo, rel=1e-9, abs=1e-12)
    assert got["hi"] == pytest.approx(hi, rel=1e-9, abs=1e-12)


def test_control_table_sums_per_replicate_and_zeroes_absent_steps() -> None:
    """The sum's replicates are the per-replicate sums of the coefficients; an absent step is exactly 0."""
    f = 1.5
    fluxes = {
        "a": [(f**0.3, f**-0.3), (f**0.5, f**-0.5), (f**0.4, f**-0.4)],
        "b": [(f**0.7, f**-0.7), (f**0.5, f**-0.5), (f**0.6, f**-0.6)],
        "c": None,
    }
    t = control_table(fluxes, f)
    assert t["steps"]["c"]["absent"] and t["steps"]["c"]["mean"] == 0.0
    assert t["sum"]["replicates"] == pytest.approx([1.0, 1.0, 1.0])
    assert t["sum"]["half"] == pytest.approx(0.0, abs=1e-12)
    assert t["steps"]["a"]["mean"] == pytest.approx(0.4)
    with pytest.raises(ValueError, match="same number of replicates"):
        control_table({"a": [(1.0, 1.0)], "b": [(1.0, 1.0), (1.0, 1.0)]}, f)


def _run_results(sums: list[list[float]], factor: float = 1.25) -> dict:
    """A control_analysis ``results`` with two steps whose per-replicate coefficients make the given sums."""
    f = factor
    levels = []
    for demand, reps in zip((0.0, 330.0), sums, strict=True):
        fluxes = {"a": [(f**0.25, f**-0.25)] * len(reps), "b": [(f ** (s - 0.25), f ** (0.25 - s)) for s in reps]}
        levels.append({"demand": demand, "name": str(demand), **control_table(fluxes, f)})
    return {"factor": f, "levels": levels}


def test_pooled_runs_are_one_sample_of_their_replicates() -> None:
    """Pooling runs takes every replicate of every run as one sample: the pooled sum is `mean_ci` of all the
    per-replicate sums, and each step's coefficient of all its replicates. Two runs whose own intervals hold 1
    (3 replicates each, t₂ = 4.30) can together exclude it (6 replicates, t₅ = 2.57): the sharper test."""
    a = _run_results([[0.9, 1.1, 1.0], [0.85, 0.90, 1.02]])
    b = _run_results([[1.05, 0.95, 1.0], [0.86, 0.88, 1.00]])
    for run in (a, b):
        assert run["levels"][1]["summation_holds"] is True
    pooled = pool_runs([a, b])
    assert [lv["runs"] for lv in pooled] == [2, 2]
    want = mean_ci([0.85, 0.90, 1.02, 0.86, 0.88, 1.00])
    for key in ("mean", "lo", "hi", "n"):
        assert pooled[1]["sum"][key] == pytest.approx(want[key]), key
    assert pooled[1]["summation_holds"] is False  # 0.918 ± 0.072 excludes 1
    assert pooled[0]["summation_holds"] is True and pooled[0]["sum"]["n"] == 6
    assert pooled[1]["steps"]["a"]["mean"] == pytest.approx(0.25) and pooled[1]["steps"]["a"]["n"] == 6
    assert pooled[1]["together"] is None  # the runs left steps out


def test_pooling_refuses_runs_of_different_protocols() -> None:
    """Runs with another factor, other levels or other steps are not replicates of one protocol."""
    a = _run_results([[1.0, 1.1], [0.9, 1.0]])
    with pytest.raises(ValueError, match="factors"):
        pool_runs([a, _run_results([[1.0, 1.1], [0.9, 1.0]], factor=1.5)])
    other = _run_results([[1.0, 1.1], [0.9, 1.0]])
    other["levels"][1]["demand"] = 600.0
    with pytest.raises(ValueError, match="demand levels"):
        pool_runs([a, other])
    fewer = _run_results([[1.0, 1.1], [0.9, 1.0]])
    for lv in fewer["levels"]:
        del lv["steps"]["b"]
    with pytest.raises(ValueError, match="different steps"):
        pool_runs([a, fewer])
    with pytest.raises(ValueError, match="no runs"):
        pool_runs([])


@pytest.mark.slow
def test_summation_theorem_holds_under_load(tmp_path) -> None:
    """Σ C over every step of the system is 1 (scaling all amounts only rescales time).

    Real runs at the scenario's defaults but shorter: all eight steps at ATP demand 600/s (a steady state at
    ≈ 80 % of the ADP-saturated rate), 3 replicates, f = 1.25, dt = 0.5 ms, 0.8 s windows after 1 s of settling.
    Tolerances fixed before the run: 1 lies in the 95 % interval of Σ C, which is narrower than ±0.35 (power to
    see a sum of 0.6 or 1.4: a step left out, or one whose amount does not scale its rate); and the pair with
    every amount scaled at once (the theorem's premise, measured directly) has a coefficient whose interval
    holds 1 and is narrower than ±0.2. (At dt = 1 ms that coefficient is 0.93 ± 0.02, seed 5, 4 s windows: the
    τ-leap's per-step rate update does not scale with the rates, which is why the scenario's dt is 0.5 ms.)

    The worlds are those these tolerances were fixed for, the pre-recalibration stack (`FERMI_STACK`): `_QUICK`
    names its kinetics and transport, and `world_params` restores the rest of it (constants, supply law and
    standards) that the test used to take from the world's defaults; site events stay Poisson (dt above)."""
    run = Run(11, out_dir=tmp_path)  # 57 worlds' events stream to disk, as in a scenario run
    taken = {"kinetics", "site_events", "transport"}
    old = tuple(f"{k}={v}" for k, v in FERMI_STACK.items() if k not in taken)
    res = _control(
        run,
        steps=tuple(STEPS),
        levels=(600.0,),
        replicates=3,
        settle=0.0,
        warmup=1.0,
        window=0.8,
        world_params=old,
    )
    run.close()
    level = res["levels"][0]
    total = level["sum"]
    assert total["half"] < 0.35, total
    assert level["summation_holds"], total
    together = level["together"]
    assert together["half"] < 0.2, together
    assert together["holds"], together


def test_the_declared_steps_are_the_scenarios_steps() -> None:
    """The `steps` parameter is written out as literals (so `gradient list` need not import the world); it must
    offer exactly `STEPS`, in order, and default to all of them."""
    from scenarios.registry import all_scenarios

    param = all_scenarios()["control_analysis"].params["steps"]
    assert param.choices == tuple(STEPS) == param.default


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (  # one move per step: k·dt <= 0.5, and the default rotor (1 040/s) alone is over it at 1 ms
            {"factor": 1.5, "dt": 1e-3, "site_events": "one"},
            r"world_params: k_rotor\(=1040.0\) times dt\(=0.001\) must be <= 0.5 under site_events='one'",
        ),
        ({"steps": ("leak", "leak")}, r"steps\(=leak,leak\) must name each step at most once"),
        (  # the translocase's 500 × 1.25 = 625/s, × 1 ms > 0.5 (the rotor set to the old 400/s, which fits)
            {"transport": "ant_pic", "dt": 1e-3, "site_events": "one", "world_params": ("k_rotor=400",)},
            r"factor\(=1.25\) is too large for dt\(=0.001\): k_ant\(=625.0\) times dt",
        ),
        (  # the steps scale from the world_params values: 900 × 1.25 = 1125/s, × 0.5 ms > 0.5
            {"world_params": ("k_rotor=900",), "steps": ("synthase",), "site_events": "one"},
            r"factor\(=1.25\) is too large for dt\(=0.0005\): k_rotor\(=1125.0\) times dt",
        ),
        (  # the default batch moves: k·dt <= 2, and 1 700 × 1.25 = 2 125/s, × 1 ms > 2
            {"world_params": ("k_rotor=1700",), "steps": ("synthase",), "dt": 1e-3},
            r"factor\(=1.25\) is too large for dt\(=0.001\): k_rotor\(=2125.0\) times dt\(=0.001\) must be <= 2 "
            r"under site_events='batch'",
        ),
        ({"world_params": ("site_events=one",)}, r"site_events\(='one'\) is set by this scenario itself"),
    ],
)
def test_bad_parameters_are_refused_before_anything_is_written(tmp_path, overrides, message) -> None:
    """A perturbation the world's step cannot resolve (or a base world it cannot: the default rotor under one
    move per step at 1 ms), or a step named twice, is refused with one line naming the value; no output
    directory appears."""
    from scenarios.params import ParameterError
    from scenarios.runner import execute

    out = tmp_path / "run"
    with pytest.raises(ParameterError, match=message):
        execute("control_analysis", out, seed=0, overrides=overrides)
    assert not out.exists()


def test_a_level_without_demand_switches_every_world_s_demand_off() -> None:
    """Levels (600, 0): from the second level's start no world hydrolyses cytosolic ATP, the demand step's
    perturbed worlds included (whose level-0 window is not measured, but whose demand must still follow the
    timetable)."""
    run = Run(3)
    switch = _QUICK["settle"] + _QUICK["warmup"] + _QUICK["window"]  # the second level's start
    _control(run, steps=("demand",), levels=(600.0, 0.0))
    trace = run.trace.to_frame()
    demand = trace[trace.kind == "atp_demand"]
    assert (demand.t < switch).sum() > 0  # the loaded level did hydrolyse ATP
    assert not (demand.t > switch + 1e-3).any()


def test_the_phosphate_carrier_is_absent_from_the_lumped_exchanger_and_a_step_of_the_split_one() -> None:
    """Under the lumped exchanger the phosphate carrier has nothing of its own to scale: coefficient exactly 0
    at every level and no world built for it (only the base worlds run). Under ant_pic it is a step: its two
    perturbed worlds per replicate run and its coefficient is measured."""
    counts = {}
    for transport in ("lumped", "ant_pic"):
        run = Run(2)
        res = _control(run, steps=("phosphate_carrier",), levels=(0.0, 300.0), transport=transport)
        trace = run.trace.to_frame()
        counts[transport] = int((trace.kind == "membrane_config").sum())
        for level in res["levels"]:
            step = level["steps"]["phosphate_carrier"]
            if transport == "lumped":
                assert step.get("absent") and step["mean"] == 0.0, step
            else:
                assert not step.get("absent") and len(step["replicates"]) == 2, step
    assert counts == {"lumped": 2, "ant_pic": 2 + 2 * 2}
