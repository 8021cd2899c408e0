"""A run's numbers never depend on the caller's BLAS thread setting: `execute` pins the BLAS pool itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from scenarios.runner import BLAS_THREADS

_SPY = """
import json, sys, threadpoolctl
from pathlib import Path
from scenarios.registry import all_scenarios
from scenarios.runner import execute

sc = all_scenarios()["training_builds_gradient"]
seen = []
func = sc.func

def spy(run, **params):
    seen.append(max(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"))
    return func(run, **params)

object.__setattr__(sc, "func", spy)
execute(sc.name, Path(sys.argv[1]), overrides=dict(sc.smoke))
outside = max(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas")
print(json.dumps({"inside": seen, "outside": outside}))
"""


def test_run_uses_the_fixed_blas_thread_count_whatever_the_environment(tmp_path: Path) -> None:
    """With OPENBLAS_NUM_THREADS=2 in the caller's environment, the scenario still computes on one BLAS thread."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    proc = subprocess.run(
        [sys.executable, "-c", _SPY, str(tmp_path / "out")], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["outside"] == 2, "the caller's setting should hold outside the run (the spy must see a change)"
    assert seen["inside"] == [BLAS_THREADS]
