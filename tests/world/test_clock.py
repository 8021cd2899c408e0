"""The run's clock: one generator, Mesa models driven from SimPy time, inclusive run_until."""

import mesa
import numpy as np
import pytest

from world.clock import Run, make_rng


class _Counter(mesa.Model):
    def __init__(self, run: Run) -> None:
        super().__init__(rng=run.rng)
        self.run = run
        self.times: list[float] = []

    def step(self) -> None:
        self.times.append(self.run.now)


def test_same_seed_same_stream() -> None:
    """Two runs with one seed draw identical numbers; another seed differs."""
    a, b, c = Run(7).rng.random(5), Run(7).rng.random(5), Run(8).rng.random(5)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_mesa_model_shares_the_run_generator() -> None:
    """A Mesa model built with rng=run.rng draws from the run's one generator."""
    run = Run(3)
    model = _Counter(run)
    assert model.rng is run.rng


def test_drive_steps_on_the_simpy_clock() -> None:
    """drive() steps the model at dt, 2dt, ... and run_until includes the step at exactly the end time."""
    run = Run(0)
    model = _Counter(run)
    run.drive(model, 0.25)
    run.run_until(1.0)
    assert model.times == [0.25, 0.5, 0.75, 1.0]
    assert model.steps == 4


def test_drive_stops_at_until() -> None:
    """A model driven with until= takes no step after it."""
    run = Run(0)
    model = _Counter(run)
    run.drive(model, 1.0, until=3.0)
    run.run_until(10.0)
    assert model.times == [1.0, 2.0, 3.0]


def test_a_model_is_driven_once_at_a_time() -> None:
    """Driving a model that a running process already steps is refused (it would step twice per tick); once that
    process has stopped (`until`), the model may be driven again, and the steps continue on the clock."""
    run = Run(0)
    model = _Counter(run)
    run.drive(model, 1.0, until=2.0)
    with pytest.raises(ValueError, match=r"model\(=_Counter\) is already driven by this run; drive it once"):
        run.drive(model, 1.0)
    run.run_until(2.0)
    run.drive(model, 1.0)
    run.run_until(4.0)
    assert model.times == [1.0, 2.0, 3.0, 4.0]


def test_every_sees_steps_at_the_same_instant() -> None:
    """A sampler at time t runs after the model step due at t."""
    run = Run(0)
    model = _Counter(run)
    seen: list[int] = []
    run.drive(model, 1.0)
    run.every(1.0, lambda: seen.append(len(model.times)))
    run.run_until(3.0)
    assert seen == [0, 1, 2, 3]


def test_progress_is_reported_and_monotone() -> None:
    """The progress callback sees non-decreasing times ending at the target."""
    calls: list[tuple[float, float]] = []
    run = Run(0, progress=lambda now, target: calls.append((now, target)))
    run.drive(_Counter(run), 0.1)
    run.run_until(2.0)
    times = [c[0] for c in calls]
    assert times == sorted(times) and calls[-1] == (2.0, 2.0)


def test_clock_never_goes_back() -> None:
    """Asking to run to an earlier time is an error."""
    run = Run(0)
    run.run_until(5.0)
    with pytest.raises(ValueError, match="never goes back"):
        run.run_until(4.0)


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seed_is_rejected(seed: object) -> None:
    """A seed that is not a non-negative integer is a ValueError naming it."""
    with pytest.raises(ValueError, match="seed"):
        make_rng(seed)  # type: ignore[arg-type]


def test_replica_shares_clock_and_generator_but_records_nothing() -> None:
    """A replica advances with its run and draws from the same generator, and its events are not stored."""
    run = Run(0)
    rep = run.replica("r1")
    assert rep.env is run.env and rep.rng is run.rng
    rep.trace.emit(1.0, "membrane", "pump")
    rep.metrics.record(1.0, "membrane", "pmf_mV", 1.0, "mV")
    run.trace.emit(1.0, "membrane", "pump")
    assert len(run.trace.to_frame()) == 1 and rep.trace.events == 1
    assert run.metrics.to_frame().empty
