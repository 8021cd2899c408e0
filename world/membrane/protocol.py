"""Timetables for membrane experiments: drive a world, apply perturbations at set times, measure windows.

Key names: `Protocol`.

Scenarios stay wiring only::

    proto = Protocol(run, world, sample_dt=0.05)       # run.drive + run.every(world.sample)
    proto.at(3.0, world.add_adp, 1200)                   # a SimPy process calls it at t = 3.0
    state3 = proto.measure(3.2, 4.2)                     # window averages, filled in as the clock passes
    run.run_until(7.5)
    state3["ocr"], state3["pmf_mV"], ...

A measurement is three snapshots taken by SimPy processes at the window's ends and midpoint, so its numbers are
the exact averages of the counters over the window (`MembraneWorld.window`), independent of the sampling
interval, plus evenly spaced pool readings; scenarios pass them to `analysis.steady` to say whether the window
was a steady state (OCR and Δψ of the two halves agree, the ATP and NADH fractions stopped moving).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import simpy

from world.clock import Run
from world.membrane.observe import REDOX_FRACTIONS, redox_fractions

STEADY_POOLS = ("atp_c", "adp_c", "nadh", "nad", "q", "qh2", "cox", "cred")
"""Pools a measurement window samples: for the steady-state check and the window's mean redox fractions."""
POOL_SAMPLES = 20
"""Pool readings per measurement window (half in each half: their means are compared, not two single readings)."""


class Protocol:
    """One membrane world on the run's clock, with a timetable.

    Args:
        run: the run.
        world: a `MembraneWorld` (stepped every ``world.dt`` from now on).
        sample_dt: interval of metric samples (s); None records none.
    """

    def __init__(self, run: Run, world: Any, sample_dt: float | None = 0.05) -> None:
        self.run = run
        self.world = world
        run.drive(world, world.dt)
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

    def measure(self, t0: float, t1: float, steady_pools: tuple[str, ...] | None = None) -> dict[str, Any]:
        """Window averages between `t0` and `t1` (rates per second, mean Δψ, Δp, ΔpH; the redox fractions of
        `REDOX_FRACTIONS` and ``move_dG_kJ_per_mol``, the ΔG of one forward move of each site class
        (`MembraneWorld.move_dG_kJ_per_mol`), as means of the pool readings — for ΔG, of the readings at which
        the move was possible: NaN only if its substrate was missing at every one), the ``snapshots`` at t0,
        the midpoint and t1, and ``pool_samples`` (`POOL_SAMPLES` evenly spaced readings of `STEADY_POOLS` inside
        the window) for `analysis.steady.steadiness`; the dict is filled when the clock passes `t1`.
        `steady_pools` (a subset of `analysis.steady.POOLS`, recorded as ``steady_pools``) narrows the
        steadiness check's pool item for this window; None checks every pool."""
        if not t1 > t0 >= self.run.now:
            raise ValueError(f"window ({t0}, {t1}) must satisfy now <= t0 < t1")
        out: dict[str, Any] = {} if steady_pools is None else {"steady_pools": tuple(steady_pools)}
        snaps: list[dict[str, float]] = []
        pools: list[dict[str, float]] = []
        dgs: list[dict[str, float]] = []

        def read() -> None:
            pools.append(self._pools())
            dgs.append(self.world.move_dG_kJ_per_mol())

        self.at(t0, lambda: snaps.append(self.world.snapshot()))
        self.at(t0 + (t1 - t0) / 2, lambda: snaps.append(self.world.snapshot()))
        for i in range(POOL_SAMPLES):
            self.at(t0 + (i + 0.5) * (t1 - t0) / POOL_SAMPLES, read)

        def close() -> None:
            snaps.append(self.world.snapshot())
            a, mid, b = snaps
            out.update(self.world.window(a, b))
            for key in ("atp_made", "o2_consumed", "rotor_steps", "atp_exported", "transport_h"):
                out[key] = b[key] - a[key]
            out["snapshots"] = (a, mid, b)
            out["pool_samples"] = pools
            fractions = [redox_fractions(p) for p in pools]
            for name in REDOX_FRACTIONS:
                out[name] = sum(f[name] for f in fractions) / len(fractions)
            out["move_dG_kJ_per_mol"] = {k: _mean_defined([d[k] for d in dgs]) for k in dgs[0]}

        self.at(t1, close)
        return out

    def _pools(self) -> dict[str, float]:
        """Time and the pools the steady-state check reads."""
        pool = self.world.pool
        return {"t": float(self.run.now), **{k: float(pool[k]) for k in STEADY_POOLS}}


def _mean_defined(values: list[float]) -> float:
    """Mean of the values that are not NaN (NaN if none is)."""
    ok = [v for v in values if not math.isnan(v)]
    return sum(ok) / len(ok) if ok else math.nan
