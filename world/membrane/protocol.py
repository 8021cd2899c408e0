"""Timetables for membrane experiments: drive a world, apply perturbations at set times, measure windows.

Key names: `Protocol`.

Scenarios stay wiring only::

    proto = Protocol(run, world, sample_dt=0.05)       # world.drive() + run.every(world.sample)
    proto.at(3.0, world.add_adp, 1200)                   # a SimPy process calls it at t = 3.0
    state3 = proto.measure(3.2, 4.2)                     # window averages, filled in as the clock passes
    run.run_until(7.5)
    state3["ocr"], state3["pmf_mV"], ...

A measurement is two snapshots taken by SimPy processes at the window's ends, so its numbers are the exact
averages of the counters over the window (`MembraneWorld.window`), independent of the sampling interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from world.clock import Run


class Protocol:
    """One membrane world on the run's clock, with a timetable.

    Args:
        run: the run.
        world: a `MembraneWorld` (stepped every ``world.dt`` from now on, `MembraneWorld.drive`).
        sample_dt: interval of metric samples (s); None records none.
    """

    def __init__(self, run: Run, world: Any, sample_dt: float | None = 0.05) -> None:
        self.run = run
        self.world = world
        world.drive()
        if sample_dt is not None:
            run.every(sample_dt, world.sample)

    def at(self, t: float, fn: Callable[..., Any], *args: Any) -> simpy.Process:
        """Call ``fn(*args)`` at simulated time `t` (after the world's step due then)."""
        if t < self.run.now:
            raise ValueError(f"t(={t}) is before now (={self.run.now})")

        def proc(env: simpy.Environment):  # type: ignore[no-untyped-def]
            yield env.timeout(t - env.now)
            yield env.timeout(0)
            fn(*args)

        return self.run.env.process(proc(self.run.env))

    def measure(self, t0: float, t1: float) -> dict[str, float]:
        """Window averages between `t0` and `t1` (rates per second, mean Δψ, Δp, ΔpH); the returned dict is
        filled when the clock passes `t1`."""
        if not t1 > t0 >= self.run.now:
            raise ValueError(f"window ({t0}, {t1}) must satisfy now <= t0 < t1")
        out: dict[str, float] = {}
        snaps: list[dict[str, float]] = []
        self.at(t0, lambda: snaps.append(self.world.snapshot()))

        def close() -> None:
            snaps.append(self.world.snapshot())
            out.update(self.world.window(snaps[0], snaps[1]))
            out["atp_made"] = snaps[1]["atp_made"] - snaps[0]["atp_made"]
            out["o2_consumed"] = snaps[1]["o2_consumed"] - snaps[0]["o2_consumed"]
            out["rotor_steps"] = snaps[1]["rotor_steps"] - snaps[0]["rotor_steps"]
            out["atp_exported"] = snaps[1]["atp_exported"] - snaps[0]["atp_exported"]

        self.at(t1, close)
        return out
