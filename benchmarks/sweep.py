"""Overhead of a sweep on the local Dask cluster against the serial loop, and the cluster's start and close times.

Each configuration (scheduler × number of runs) runs in a fresh Python process, so both sides pay their
imports; CPU is that process's user + system time plus that of its finished children (the Dask workers).
The marginal CPU per run, (CPU(N₂) − CPU(N₁)) / (N₂ − N₁), separates the per-run cost from the fixed cost
(imports, cluster start, worker start-up); the ratios compare the local cluster with the serial loop.

Usage: ``python benchmarks/sweep.py [--runs 2,10] [--workers 2] [--set key=value ...]`` (default: `ehrenfest`
at its default parameters, ≈ 0.5 s of CPU per run).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def one(scheduler: str, runs: int, workers: int, sets: list[str], out: str) -> None:
    """Run one sweep of `runs` seeds and print its wall and CPU seconds as JSON."""
    from scenarios.params import parse_set
    from scenarios.sweep import run_sweep

    t0, c0 = time.perf_counter(), _cpu()
    run_sweep("ehrenfest", f"0-{runs - 1}", None, parse_set(sets), out=out, scheduler=scheduler, workers=workers,
              report=False, progress=False)  # fmt: skip
    print(json.dumps({"wall": time.perf_counter() - t0, "cpu_in_sweep": _cpu() - c0, "cpu_total": _cpu()}))


def start_close(workers: int, repeats: int = 3) -> tuple[float, float]:
    """Median seconds to start the local cluster (all workers connected) and to close it."""
    from scenarios.sweep_engine import open_scheduler

    starts, closes = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        cm = open_scheduler("local", workers)
        cm.__enter__()
        t1 = time.perf_counter()
        cm.__exit__(None, None, None)
        starts.append(t1 - t0)
        closes.append(time.perf_counter() - t1)
    return statistics.median(starts), statistics.median(closes)


def main() -> None:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", default="2,10", help="N1,N2 runs per sweep")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--one", nargs=2, metavar=("SCHEDULER", "RUNS"), help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one[0], int(args.one[1]), args.workers, args.sets, args.out)
        return
    n1, n2 = (int(x) for x in args.runs.split(","))
    res: dict[tuple[str, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (n1, n2):
            for sched in ("serial", "local"):
                out = Path(tmp) / f"{sched}-{n}"
                cmd = [sys.executable, __file__, "--one", sched, str(n), "--workers", str(args.workers)]
                cmd += [a for s in args.sets for a in ("--set", s)] + ["--out", str(out)]
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
                res[sched, n] = {**json.loads(proc.stdout.splitlines()[-1]), "process_wall": time.perf_counter() - t0}
    start, close = start_close(args.workers)
    print(f"sweep of ehrenfest {' '.join(args.sets) or '(defaults)'}; local cluster of {args.workers} workers")
    print(f"{'scheduler':>9} {'runs':>5} {'wall s':>8} {'CPU s':>8} {'CPU s/run':>10}")
    for (sched, n), r in sorted(res.items()):
        print(f"{sched:>9} {n:>5} {r['process_wall']:>8.2f} {r['cpu_total']:>8.2f} {r['cpu_total'] / n:>10.3f}")
    marginal = {s: (res[s, n2]["cpu_total"] - res[s, n1]["cpu_total"]) / (n2 - n1) for s in ("serial", "local")}
    print(f"marginal CPU per run: serial {marginal['serial']:.3f} s, local {marginal['local']:.3f} s, "
          f"ratio local/serial {marginal['local'] / marginal['serial']:.2f}")  # fmt: skip
    for n in (n1, n2):
        ratio = res["local", n]["cpu_total"] / res["serial", n]["cpu_total"]
        wall = res["local", n]["process_wall"] / res["serial", n]["process_wall"]
        print(f"{n} runs: CPU local/serial {ratio:.2f}, wall local/serial {wall:.2f}")
    print(f"local cluster start {start:.2f} s, close {close:.2f} s (median of 3, no tasks run)")


if __name__ == "__main__":
    main()
