"""Trace recording throughput and memory: events/s to Parquet against appending tuples to a Python list.

Usage: ``python benchmarks/trace_throughput.py [--n 1000000] [--rss]``

Prints, from one process (the machine is shared and noisy, so ratios matter, not absolute rates):
- baseline: appending the same event tuples to a Python list;
- ``emit``: one Python call per event (what a token process does), streamed to Parquet;
- ``emit_many``: vectorised batches of 10 000 events (what the membrane world does per step), to Parquet.
With ``--rss``, runs the ``emit_many`` path in fresh processes for 10⁶ and 10⁷ events and prints each peak RSS
(flat memory means the two are close).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from world.trace import TraceRecorder

BATCH = 10_000


def baseline(n: int) -> float:
    rows: list[tuple] = []
    t0 = time.perf_counter()
    for i in range(n):
        rows.append(
            ("run", "membrane", i * 1e-3, i, "leak", i, "P", "N", None, None, None, 1.0, "H+", 1e-21, None, None)
        )
    return time.perf_counter() - t0


def single(n: int, out: Path) -> float:
    rec = TraceRecorder(out / "trace.parquet", "run")
    t0 = time.perf_counter()
    for i in range(n):
        rec.emit(i * 1e-3, "membrane", "leak", i, "P", "N", value=1.0, unit="H+", energy_J=1e-21)
    rec.close()
    return time.perf_counter() - t0


def batched(n: int, out: Path) -> float:
    rec = TraceRecorder(out / "trace.parquet", "run")
    ids = np.arange(BATCH, dtype=np.int64)
    t0 = time.perf_counter()
    for b in range(n // BATCH):
        rec.emit_many(b * 1e-3, "membrane", "leak", entity_id=ids + b * BATCH, src="P", dst="N", value=1.0,
                      unit="H+", energy_J=1e-21)  # fmt: skip
    rec.close()
    return time.perf_counter() - t0


def rss_child(n: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        batched(n, Path(d))
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--rss", action="store_true", help="also measure peak RSS at 1e6 and 1e7 events")
    ap.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child:
        rss_child(args.rss_child)
        return
    n = args.n
    with tempfile.TemporaryDirectory() as d:
        base = baseline(n)
        one = single(n, Path(d) / "a")
        many = batched(n, Path(d) / "b")
    print(f"events: {n:,}")
    print(f"list.append baseline : {n / base / 1e6:7.2f} M events/s")
    print(f"emit (one call/event): {n / one / 1e6:7.2f} M events/s  ratio to baseline {base / one:.3f}")
    print(f"emit_many (batches)  : {n / many / 1e6:7.2f} M events/s  ratio to baseline {base / many:.3f}")
    print(f"target >= 1 M events/s: emit_many {'met' if n / many >= 1e6 else 'NOT met'}, "
          f"emit {'met' if n / one >= 1e6 else 'not met'}")  # fmt: skip
    if args.rss:
        for size in (1_000_000, 10_000_000):
            out = subprocess.run([sys.executable, __file__, "--rss-child", str(size)], capture_output=True, text=True)
            print(f"peak RSS, {size:>10,} events via emit_many: {float(out.stdout):7.1f} MiB")


if __name__ == "__main__":
    main()
