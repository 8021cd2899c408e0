"""What every live-view model shares: a run that stores nothing, a frame clock, a perturbation queue, bounded series.

Key names: `FrameModel`, `FrameSeries`, `view_run`.

SolaraViz drives a model by calling ``model.step()`` from its play loop and rebuilds it on Reset with
``type(model)(**model_params)``. A `FrameModel` owns its own `world.clock.Run` (its one SimPy environment and
its one generator from the seed), with recorders that store nothing, so a page left open does not grow: what
the page shows lives in `FrameSeries`, a ring of the last ``maxlen`` frames. ``step()`` advances the run's clock
by exactly one frame, ``frame_dt`` simulated seconds, to ``frames · frame_dt`` (no drift). Widget callbacks run
on other threads than the play loop, so they never touch the worlds: they `enqueue` a perturbation, and
``step()`` applies every queued one at the frame boundary, before the clock moves, in the order queued.

Mesa 3.5 replaces ``step`` on the instance with a wrapper that advances Mesa's own event clock by 1.0 per call;
these models keep time on the run's SimPy clock instead, so the wrapper is removed and ``model.time`` mirrors
the simulated seconds (``model.steps`` counts frames).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

import mesa
import numpy as np

from world.clock import Run
from world.trace import NullMetricsRecorder, NullTraceRecorder


def view_run(seed: int, label: str) -> Run:
    """A run whose trace and metrics recorders store nothing (a live page must not grow memory)."""
    run = Run(seed, run_id=f"view-{label}-s{seed}")
    run.trace = NullTraceRecorder(run.run_id)
    run.metrics = NullMetricsRecorder(run.run_id)
    return run


class FrameSeries:
    """The last ``maxlen`` frames of named series (one value per frame each), for the page's charts.

    Args:
        names: the series.
        maxlen: frames kept (older ones are dropped).
    """

    def __init__(self, names: Iterable[str], maxlen: int = 400) -> None:
        if maxlen < 2:
            raise ValueError(f"maxlen(={maxlen}) must be >= 2")
        self.maxlen = maxlen
        self.t: deque[float] = deque(maxlen=maxlen)
        self.values: dict[str, deque[float]] = {n: deque(maxlen=maxlen) for n in names}

    def append(self, t: float, row: dict[str, float]) -> None:
        """Add one frame: a value for every series (missing ones count as NaN)."""
        self.t.append(float(t))
        for name, ring in self.values.items():
            ring.append(float(row.get(name, math.nan)))

    def points(self, name: str, digits: int = 4) -> list[list[float | None]]:
        """``[[t, value], ...]`` of one series, NaN as None (JSON for a chart)."""
        return [
            [round(t, 6), None if not math.isfinite(v) else round(v, digits)]
            for t, v in zip(self.t, self.values[name], strict=True)
        ]

    def last(self, name: str) -> float:
        """The newest value of a series (NaN if there is none)."""
        ring = self.values[name]
        return ring[-1] if ring else math.nan

    def __len__(self) -> int:
        return len(self.t)


class FrameModel(mesa.Model):
    """Base of the live-view models: a `Run`, a frame clock and a queue of perturbations.

    Subclasses build their worlds on ``self.run`` in ``__init__`` (after calling this one), implement
    `apply` (one queued perturbation) and `after_frame` (readouts and series), and declare keyword-only
    constructor arguments with defaults (SolaraViz rebuilds the model from them on Reset).

    Args:
        seed: the run's seed (its one generator; also Mesa's ``rng``).
        frame_dt: simulated seconds per frame (> 0).
        label: the run's label (``run_id`` = ``view-LABEL-sSEED``).
    """

    def __init__(self, *, seed: int, frame_dt: float, label: str) -> None:
        if not (isinstance(frame_dt, int | float) and math.isfinite(frame_dt) and frame_dt > 0):
            raise ValueError(f"frame_dt(={frame_dt!r}) must be a finite number > 0 (seconds)")
        run = view_run(seed, label)
        super().__init__(rng=run.rng)
        del self.step  # Mesa's per-instance wrapper (see the module docstring): step() is this class's own
        self.run = run
        self.seed = int(seed)
        self.frame_dt = float(frame_dt)
        self.frames = 0
        self.time = 0.0
        self._queue: deque[tuple[str, tuple[Any, ...]]] = deque()
        self._lock = threading.Lock()
        self.targets: dict[str, tuple[Any, ...]] = {}
        """The latest value asked for per control (queued or applied), so a widget shows what was asked."""
        self.applied: deque[tuple[float, str]] = deque(maxlen=12)
        """The last perturbations applied: (simulated time, description)."""

    # ------------------------------------------------------------------ perturbations
    def enqueue(self, action: str, *args: Any) -> None:
        """Queue a perturbation (from any thread); ``step()`` applies it at the next frame boundary."""
        self.check(action, *args)
        self.targets[action if action != "head" else f"head{args[:2]}"] = args
        self._queue.append((action, args))

    @property
    def pending(self) -> int:
        """Perturbations queued and not yet applied."""
        return len(self._queue)

    def check(self, action: str, *args: Any) -> None:
        """Raise ValueError if `action` is not one this model knows (subclasses validate the arguments)."""
        if action not in self.actions():
            raise ValueError(f"action(={action!r}) must be one of: {', '.join(self.actions())}")

    def actions(self) -> tuple[str, ...]:
        """Names of the perturbations `apply` knows."""
        return ()

    def apply(self, action: str, *args: Any) -> str:
        """Apply one perturbation to the worlds now; return a one-line description for the page."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the frame
    def step(self) -> None:
        """Apply the queued perturbations at the frame boundary, then advance the clock by one frame."""
        with self._lock:  # the play loop and a Step click may both call step(); one frame at a time
            while self._queue:
                action, args = self._queue.popleft()
                self.applied.append((self.run.now, self.apply(action, *args)))
            self.frames += 1
            self.steps = self.frames
            t_end = self.frames * self.frame_dt
            self.before_frame(t_end)
            self.run.run_until(t_end)
            self.time = self.run.now
            self.after_frame()

    def before_frame(self, t_end: float) -> None:
        """Schedule what the frame ending at `t_end` needs (subclasses; e.g. token arrivals)."""

    def after_frame(self) -> None:
        """Update readouts and series after the clock moved (subclasses)."""


def state_digest(arrays: Iterable[np.ndarray | float | int]) -> str:
    """A short hash of numbers and arrays (compare two models' states in tests and on the page)."""
    import hashlib

    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(np.asarray(a, dtype=np.float64)).tobytes())
    return h.hexdigest()[:12]
