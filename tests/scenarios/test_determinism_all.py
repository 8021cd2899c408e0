"""Determinism of every registered scenario: the same seed gives byte-identical trace.parquet and
metrics.parquet and an identical summary.json, twice in one process and once more in a fresh process
through the command line (`python -m scenarios.cli run NAME --seed 7 --set k=v ... --quiet`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scenarios.registry import all_scenarios
from scenarios.runner import execute

SEED = 7
FILES = ("trace.parquet", "metrics.parquet", "summary.json")
SCENARIOS = sorted(all_scenarios())
ROOT = Path(__file__).resolve().parents[2]


def as_set_value(value: Any) -> str:
    """A typed smoke override written as the text of ``--set key=value``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(as_set_value(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


def _run_in_process(name: str, out: Path) -> Path:
    execute(name, out, seed=SEED, overrides=all_scenarios()[name].smoke)
    return out


def _assert_same_bytes(a: Path, b: Path) -> None:
    for f in FILES:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f"{f} differs between {a} and {b}"


def test_every_scenario_declares_smoke_overrides() -> None:
    """Registry-wide tests run each scenario at its smoke overrides, so every scenario must declare some."""
    missing = [name for name, sc in all_scenarios().items() if not sc.smoke]
    assert not missing, f"scenarios without smoke= overrides in @scenario(...): {missing}"


@pytest.mark.parametrize("name", SCENARIOS)
def test_same_seed_same_bytes_in_one_process_and_in_a_new_one(name: str, tmp_path: Path) -> None:
    """Two runs in one process with the same seed write identical trace, metrics and summary files, and a run
    through the command line in a fresh interpreter writes the same bytes again (one test, so the first run
    serves both comparisons)."""
    here = _run_in_process(name, tmp_path / "a")
    _assert_same_bytes(here, _run_in_process(name, tmp_path / "b"))
    sets = [a for k, v in all_scenarios()[name].smoke.items() for a in ("--set", f"{k}={as_set_value(v)}")]
    cmd = [sys.executable, "-m", "scenarios.cli", "run", name, "--out", str(tmp_path / "cli"), "--seed", str(SEED)]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run([*cmd, *sets, "--quiet"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    _assert_same_bytes(here, tmp_path / "cli")


def test_another_seed_gives_another_trace(tmp_path: Path) -> None:
    """The byte comparison is sensitive: the same scenario at another seed writes a different trace."""
    a = _run_in_process("ehrenfest", tmp_path / "a")
    execute("ehrenfest", tmp_path / "b", seed=SEED + 1, overrides=all_scenarios()["ehrenfest"].smoke)
    assert (a / "trace.parquet").read_bytes() != (tmp_path / "b" / "trace.parquet").read_bytes()
