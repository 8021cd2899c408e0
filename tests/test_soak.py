"""Soak: a long token stream through the attention world keeps memory flat, because the trace and the metrics
stream to disk in row groups and the attention graph holds at most two context windows.

Two lengths, each in a fresh interpreter writing its trace to disk (`Run(out_dir=...)`); the child prints its
peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, KiB on Linux). Tokens, not membrane steps: the
membrane world makes ~1.3 k steps/s, so 10⁶ steps would take ~13 minutes, while 10⁵ tokens take ~15 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SHORT, LONG = 20_000, 100_000
BOUND_MIB = 64
"""Allowed growth of peak RSS from the short to the long run. By design only `AttentionWorld.records` grows
with the stream (one 7-tuple per token, ≈ 0.2 kB: 80 000 more tokens ≈ 16 MiB); trace and metrics buffers are
flushed every 65 536 rows and the graph is bounded by two windows. 64 MiB leaves room for allocator noise and
the Parquet merge at close, and is far below a leak of even 1 kB per token (78 MiB)."""
ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys
from pathlib import Path
from world.attention.stream import AttentionWorld
from world.clock import Run
from world.attention.training import build_source_and_model

n, out = int(sys.argv[1]), Path(sys.argv[2])
run = Run(0, out_dir=out)
source, model = build_source_and_model(run)
world = AttentionWorld(run, model, source, name="soak")
world.start(n)
run.run_until(n + 1.0)
run.close()
rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"tokens_done": world.tokens_done, "trace_events": run.trace.events, "rss_kib": rss_kib}))
"""


def _soak(n: int, out: Path) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_long_token_stream_keeps_memory_flat(tmp_path: Path) -> None:
    """Peak RSS of a 10⁵-token stream is at most 64 MiB above that of a 2·10⁴-token stream, and all tokens end."""
    short = _soak(SHORT, tmp_path / "short")
    long = _soak(LONG, tmp_path / "long")
    assert short["tokens_done"] == SHORT and long["tokens_done"] == LONG
    assert (tmp_path / "long" / "trace.parquet").is_file()
    growth_mib = (long["rss_kib"] - short["rss_kib"]) / 1024
    print(f"peak RSS: {SHORT} tokens {short['rss_kib'] / 1024:.1f} MiB, {LONG} tokens {long['rss_kib'] / 1024:.1f} MiB")
    assert growth_mib <= BOUND_MIB, f"peak RSS grew by {growth_mib:.1f} MiB from {SHORT} to {LONG} tokens"
