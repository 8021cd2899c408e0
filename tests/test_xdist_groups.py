"""The test command's `--dist loadgroup` really keeps an `xdist_group` on one worker (the Dask and browser tests
rely on it so the two cores are not oversubscribed). pytest 9.2 with pytest-xdist 3.8 silently broke this
(pytest-xdist issue 1386), hence the pin in setup.cfg; this test fails if a lock brings the breakage back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GROUPED = """
import os
import pytest

@pytest.mark.xdist_group("one")
@pytest.mark.parametrize("i", range(8))
def test_grouped(i):
    with open(os.environ["GROUP_WORKERS_FILE"], "a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def test_loadgroup_runs_a_group_on_one_worker(tmp_path: Path) -> None:
    """Eight tests of one group, two workers: every test reports the same worker."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_grouped.py").write_text(GROUPED, encoding="utf-8")
    workers_file = tmp_path / "workers"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-p",
            "no:cacheprovider",
            "test_grouped.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GROUP_WORKERS_FILE": str(workers_file)},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    workers = workers_file.read_text(encoding="utf-8").split()
    assert len(workers) == 8
    assert len(set(workers)) == 1, f"the group ran on several workers: {sorted(set(workers))}"
