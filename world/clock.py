"""One clock per run: the SimPy environment, the run's single random generator, and its recorders.

Key names: `Run` (`drive`, `every`, `run_until`, `replica`, `request_stop`, `close`), `RunInterruptedError`,
`make_rng`.

A `Run` owns exactly one `simpy.Environment` (the master clock: the membrane world's time unit is the
second; the attention world counts model time, see its docs), exactly one `numpy.random.Generator` built from
`numpy.random.SeedSequence(seed)` and passed explicitly to everything random, a `run_id`, and the trace and
metrics recorders. Mesa models are advanced from the SimPy clock with `Run.drive`, so membrane steps, token
processes and training steps interleave on one time axis with no glue.

Interrupts: a signal handler calls `Run.request_stop`; `run_until` then finishes the instant the clock is in
(every world's events stamped at that time) and raises `RunInterruptedError`, so a trace prefix never holds half
an instant.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import simpy

from world.errors import SimulationError
from world.trace import MetricsRecorder, NullMetricsRecorder, NullTraceRecorder, TraceRecorder


class RunInterruptedError(SimulationError):
    """The run stopped early on a signal (SIGINT, SIGTERM) at the end of a whole instant.

    Attributes:
        signum: the signal's number.
        t: the simulated time reached (every event at or before it was processed, none after).
    """

    def __init__(self, signum: int, t: float) -> None:
        self.signum, self.t = int(signum), float(t)
        super().__init__(f"interrupted by {signal.Signals(self.signum).name} at simulated time t = {self.t:.6g}")


class _Steppable(Protocol):
    def step(self) -> Any: ...


def make_rng(seed: int) -> np.random.Generator:
    """The run's generator: PCG64 seeded from ``SeedSequence(seed)``."""
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed(={seed!r}) must be a non-negative integer")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed))))


class Run:
    """The clock, randomness and recorders of one run.

    Args:
        seed: non-negative integer; the whole run is a function of it.
        out_dir: where ``trace.parquet``/``trace.jsonl`` and ``metrics.parquet`` stream; None keeps both in
            memory (``run.trace.to_frame()``), which is what unit tests use.
        run_id: stamped on every trace and metrics row (default ``"run-<seed>"``).
        trace_format: ``"parquet"`` or ``"jsonl"``.
        flush_every: events buffered before each flush (one Parquet row group per flush).
        progress: optional callback ``progress(now, target)`` called as `run_until` advances.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        out_dir: Path | None = None,
        run_id: str | None = None,
        trace_format: str = "parquet",
        flush_every: int = 65536,
        progress: Callable[[float, float], None] | None = None,
    ) -> None:
        self.seed = int(seed)
        self.rng = make_rng(seed)
        self.env = simpy.Environment()
        self.run_id = run_id or f"run-{seed}"
        self.out_dir = None if out_dir is None else Path(out_dir)
        if trace_format not in ("parquet", "jsonl"):
            raise ValueError(f"trace_format(={trace_format!r}) must be one of: parquet, jsonl")
        trace_file = None if out_dir is None else self.out_dir / f"trace.{trace_format}"
        metrics_file = None if out_dir is None else self.out_dir / "metrics.parquet"
        self.metrics = MetricsRecorder(metrics_file, self.run_id, flush_every)
        self.trace = TraceRecorder(trace_file, self.run_id, trace_format, flush_every, on_flush=self.metrics.flush)
        self.progress = progress
        self._progress_chunks = 200
        self._stop: list[int | None] = [None]  # shared with replicas: the signal that asked the run to stop
        self._driving: dict[int, simpy.Process] = {}  # id(model) → the process that steps it

    @property
    def now(self) -> float:
        """Current simulated time."""
        return float(self.env.now)

    def every(self, dt: float, fn: Callable[[], Any], start: float = 0.0) -> simpy.Process:
        """Call ``fn()`` at ``start``, ``start + dt``, ... for as long as the run goes.

        At each time, ``fn`` runs after the events already due then (a model step at the same instant, for
        one), so a sample at time t sees everything stamped ≤ t: replaying the trace to t reproduces it.
        """
        if not dt > 0:
            raise ValueError(f"dt(={dt}) must be > 0")
        if start < self.env.now:
            raise ValueError(f"start(={start}) is before now (={self.env.now})")

        def loop(env: simpy.Environment):  # type: ignore[no-untyped-def]
            if start > env.now:
                yield env.timeout(start - env.now)
            k = 0
            while True:
                yield env.timeout(0)  # queue behind the events scheduled earlier for this same instant
                fn()
                k += 1
                # multiply, do not accumulate: t_k = start + k*dt has no drift
                yield env.timeout(max(0.0, start + k * dt - env.now))

        return self.env.process(loop(self.env))

    def drive(self, model: _Steppable, dt: float, until: float | None = None) -> simpy.Process:
        """Advance a Mesa model from the SimPy clock: ``model.step()`` at ``now + dt``, ``now + 2dt``, ...

        The model's own Mesa time (``model.time``) then counts steps; physical time is ``run.now``.
        Stops after ``until`` if given. A model already driven by a process that is still running is refused
        (two processes would step it twice per tick).
        """
        if not dt > 0:
            raise ValueError(f"dt(={dt}) must be > 0")
        running = self._driving.get(id(model))
        if running is not None and running.is_alive:
            raise ValueError(f"model(={type(model).__name__}) is already driven by this run; drive it once")
        t0 = float(self.env.now)

        def loop(env: simpy.Environment):  # type: ignore[no-untyped-def]
            k = 0
            while True:
                k += 1
                t_next = t0 + k * dt
                if until is not None and t_next > until + 1e-12 * max(1.0, abs(until)):
                    return
                yield env.timeout(max(0.0, t_next - env.now))
                model.step()

        process = self.env.process(loop(self.env))
        self._driving[id(model)] = process
        return process

    def run_until(self, t: float) -> None:
        """Advance the clock to `t`, running every event stamped at or before `t` (as Mesa's `run_until`
        does; plain SimPy `run(until=t)` would leave the events at exactly `t` pending), with progress.

        Raises:
            RunInterruptedError: `request_stop` was called (by a signal handler); the clock stopped after the
                last event of the instant it was in, so every world has finished that instant.
        """
        if t < self.env.now:
            raise ValueError(f"run_until(t={t}) is before now (={self.env.now}); the clock never goes back")
        start = float(self.env.now)
        chunks = 1 if self.progress is None else self._progress_chunks
        for i in range(1, chunks + 1):
            target = start + (t - start) * i / chunks
            self._advance(target, inclusive=False)
            if self.progress is not None:
                self.progress(float(self.env.now), t)
        self._advance(t, inclusive=True)

    def _advance(self, t: float, inclusive: bool) -> None:
        """Process events before `t` (and at `t` if `inclusive`), stopping at an instant boundary on request."""
        env, stop = self.env, self._stop
        while True:
            nxt = env.peek()
            if nxt > t or (nxt == t and not inclusive):
                break
            if stop[0] is not None and nxt > env.now:
                raise RunInterruptedError(stop[0], float(env.now))
            env.step()
        if not inclusive and t > env.now:
            env.run(until=t)  # no event is left before t: this only moves the clock to t, as run(until=t) does
        if stop[0] is not None and inclusive and env.peek() > env.now:
            raise RunInterruptedError(stop[0], float(env.now))

    def request_stop(self, signum: int) -> None:
        """Ask the run to stop at the end of the current instant (safe to call from a signal handler)."""
        if self._stop[0] is None:
            self._stop[0] = int(signum)

    @property
    def stop_requested(self) -> int | None:
        """The signal number that asked the run to stop, or None."""
        return self._stop[0]

    def replica(self, label: str) -> Run:
        """A view of this run for a replicate world: the same clock and the same generator, but recorders that
        store nothing, so companion worlds (a control training, blocked converters beside the traced ones) run on
        one clock without mixing their events into the run's trace. Their numbers reach ``summary.json`` through
        the scenario's results."""
        view = Run.__new__(Run)
        view.seed, view.rng, view.env, view.out_dir = self.seed, self.rng, self.env, None
        view.run_id = f"{self.run_id}/{label}"
        view.trace = NullTraceRecorder(view.run_id)
        view.metrics = NullMetricsRecorder(view.run_id)
        view.progress, view._progress_chunks, view._stop = None, self._progress_chunks, self._stop
        return view

    def close(self) -> None:
        """Flush and finalise the trace and metrics files; both are attempted even if one fails."""
        try:
            self.trace.close()
        finally:
            self.metrics.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
