"""Benchmark of the membrane world: proton moves per second, and wall time of each membrane scenario.

Run: ``.venv/bin/python benchmarks/membrane.py [--quick]`` (a script, not a test; an estimated ≈ 25 min on a
quiet 2-core machine, most of it the scenarios at their defaults, whose quiet windows are 250 s long since the
recalibration; ``--quick`` runs only the first).

Proton moves per second at N = 1e4 and 1e5 protons for
  (a) `MembraneWorld.step` — the whole step: vectorised diffusion of every proton plus every transition,
      trace row and counter of the world (the protons are Mesa agents whose state lives in numpy arrays);
  (b) an idiomatic Mesa `CellAgent` random walk on an `OrthogonalMooreGrid` of the same size, with the same
      barrier (a move into the membrane row is refused);
  (c) a plain numpy random walk on the same lattice with the same barrier (no agents, no chemistry).
It prints the ratios a/b and a/c (targets at N = 1e5: a/b >= 100, a/c >= 1/3), then the wall time of every
membrane scenario at its defaults (run through `scenarios.runner.execute` into a temporary directory).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import mesa
import numpy as np
from mesa.discrete_space import CellAgent, OrthogonalMooreGrid

from scenarios.runner import execute
from world.clock import Run
from world.membrane import MembraneWorld

SCENARIOS = ("respiratory_control", "mito_stress_test", "demand_titration", "c_ring", "inhibitors")


def world_rate(n: int, steps: int) -> float:
    """(a) proton moves per second of the membrane world's full step with `n` proton agents."""
    run = Run(0)
    world = MembraneWorld(run, protons_n=2 * n // 3, protons_p=n - 2 * n // 3, reserve=600)
    run.drive(world, world.dt)
    run.run_until(0.05)  # warm up (the world energises)
    t0 = time.perf_counter()
    run.run_until(run.now + steps * world.dt)
    return world.lattice.size * steps / (time.perf_counter() - t0)


class Walker(CellAgent):
    """An idiomatic Mesa random walker that may not enter the membrane row."""

    def __init__(self, model: mesa.Model, cell, membrane_row: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(model)
        self.cell = cell
        self.membrane_row = membrane_row

    def step(self) -> None:
        """Move to a random Moore neighbour unless it lies in the membrane row."""
        target = self.cell.neighborhood.select_random_cell()
        if target.coordinate[1] != self.membrane_row:
            self.cell = target


def mesa_rate(n: int, steps: int, width: int, height: int, membrane_row: int) -> float:
    """(b) moves per second of `n` `CellAgent`s walking on an `OrthogonalMooreGrid` of the lattice's size."""
    model = mesa.Model(rng=0)
    grid = OrthogonalMooreGrid((width, height), torus=False, random=model.random)
    rng = np.random.default_rng(1)
    ys = rng.integers(0, height - 1, size=n)
    ys[ys >= membrane_row] += 1
    xs = rng.integers(0, width, size=n)
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        Walker(model, grid[(x, y)], membrane_row)
    walkers = model.agents
    t0 = time.perf_counter()
    for _ in range(steps):
        walkers.shuffle_do("step")
    return n * steps / (time.perf_counter() - t0)


def numpy_rate(n: int, steps: int, width: int, height: int, membrane_row: int) -> float:
    """(c) moves per second of a plain numpy walk with the same barrier (periodic x, walls in y)."""
    rng = np.random.default_rng(2)
    x = rng.integers(0, width, size=n, dtype=np.int32)
    y = rng.integers(0, height - 1, size=n, dtype=np.int32)
    y[y >= membrane_row] += 1
    dx = np.array([1, -1, 0, 0, 0], dtype=np.int32)
    dy = np.array([0, 0, 1, -1, 0], dtype=np.int32)
    ok_row = np.ones(height + 2, dtype=bool)
    ok_row[[0, membrane_row + 1, height + 1]] = False
    t0 = time.perf_counter()
    for _ in range(steps):
        d = rng.integers(0, 5, size=n, dtype=np.int8)
        x = (x + dx[d]) % width
        yn = y + dy[d]
        y = np.where(ok_row[yn + 1], yn, y)
    return n * steps / (time.perf_counter() - t0)


def main(quick: bool = False) -> None:
    """Print throughput, ratios and scenario wall times."""
    probe = MembraneWorld(Run(0))
    w, h, m = probe.params.width, probe.lattice.height, probe.lattice.membrane_row
    print(f"lattice {w} x {h} (membrane row {m}); rates in million proton moves per second")
    print(f"{'N':>8} {'(a) world':>10} {'(b) Mesa':>10} {'(c) numpy':>10} {'a/b':>8} {'a/c':>6}")
    for n, mesa_steps in ((10_000, 5), (100_000, 1 if quick else 2)):
        a = world_rate(n, 100 if n < 50_000 else 40)
        b = mesa_rate(n, mesa_steps, w, h, m)
        c = numpy_rate(n, 200 if n < 50_000 else 60, w, h, m)
        print(f"{n:>8} {a / 1e6:>10.2f} {b / 1e6:>10.3f} {c / 1e6:>10.2f} {a / b:>8.0f} {a / c:>6.2f}")
    print("\nscenario wall times at defaults (seed 0)")
    for name in SCENARIOS if not quick else SCENARIOS[:1]:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            summary = execute(name, Path(tmp) / "out", seed=0)
            print(f"  {name:<22} {time.perf_counter() - t0:6.2f} s  ({summary['trace_events']} trace events)")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
