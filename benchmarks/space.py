"""Benchmark of the membrane world's space options: CPU cost of the exact proton walk and of local access.

Run: ``.venv/bin/python benchmarks/space.py [--quick]`` (a script, not a test; ~1 min, ~15 s with --quick).

Each configuration runs the same protocol (demand 0 for half the time, then 1 200 ATP/s) on the default patch,
best of 3 CPU times, and is reported as a ratio to the default configuration (lazy walk, bulk access) measured
in the same process, so a busy machine moves the ratios far less than the seconds.
"""

from __future__ import annotations

import sys
import time

from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.params import D_FREE_PROTON_UM2_S

CONFIGS: dict[str, dict] = {
    "lazy walk, bulk (default)": {},
    "exact walk 9300 um2/s, bulk": {"d_proton_um2_s": D_FREE_PROTON_UM2_S},
    "exact walk 9300 um2/s, local": {"d_proton_um2_s": D_FREE_PROTON_UM2_S, "proton_access": "local"},
    "exact walk 0.05 um2/s, local": {"d_proton_um2_s": 0.05, "proton_access": "local"},
}


def cpu_seconds(params: dict, t_end: float) -> float:
    """CPU seconds of one run of the protocol up to `t_end` simulated seconds."""
    run = Run(1)
    world = MembraneWorld(run, **params)
    run.drive(world, world.dt)
    t0 = time.process_time()
    run.run_until(t_end / 2)
    world.set_atp_demand(1200.0)
    run.run_until(t_end)
    return time.process_time() - t0


def main(quick: bool = False) -> None:
    t_end = 1.0 if quick else 4.0
    rows = []
    for name, params in CONFIGS.items():
        best = min(cpu_seconds(params, t_end) for _ in range(3))
        rows.append((name, best))
    base = rows[0][1]
    print(f"{'configuration':<32} {'CPU s':>7} {'sim s per CPU s':>16} {'ratio to default':>17}")
    for name, sec in rows:
        print(f"{name:<32} {sec:7.2f} {t_end / sec:16.2f} {sec / base:17.2f}")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])
