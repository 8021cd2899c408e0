"""`gradient sweep` on a real local Dask cluster: byte identity with a serial sweep in another process, a
SIGKILLed worker, resume, a run that kills its worker every time, and listeners on 127.0.0.1.

All tests that start Dask workers share one module-scoped cluster and one xdist group ("dask"), so the suite's
2 cores are not oversubscribed (`make test` runs pytest with ``--dist loadgroup``). The workers import the
test-only instrumentation `tests/scenarios/sweep_hooks.py` (see its docstring); this process never does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from scenarios.sweep import SweepFailedError, run_sweep
from scenarios.sweep_table import read_sweep
from world.outputs import is_complete

pytestmark = [pytest.mark.xdist_group("dask"), pytest.mark.timeout(300)]

HOOKS = str(Path(__file__).with_name("sweep_hooks.py"))
SMOKE = {"n_balls": 300, "steps": 40}
SEEDS = "0-2"
GRID = ["p_hop=0.02,0.05"]
FILES = ("summary.json", "metrics.parquet", "trace.parquet")
SERIAL_HASHSEED = "12345"


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One local cluster (2 single-threaded workers) whose workers preload the test hooks.

    A task is declared `KilledWorker` at its second worker death (``allowed-failures`` 1) to keep the test short.
    """
    import dask

    from scenarios.sweep_engine import open_scheduler

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), open_scheduler("local", 2, [HOOKS]) as c:
        yield c


@pytest.fixture(scope="module")
def serial_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 6-run sweep, serial, through the command line in a fresh process with another PYTHONHASHSEED."""
    out = tmp_path_factory.mktemp("serial") / "sw"
    sets = [a for k, v in SMOKE.items() for a in ("--set", f"{k}={v}")]
    cmd = [sys.executable, "-m", "scenarios.cli", "sweep", "ehrenfest", "--seeds", SEEDS, "--grid", *GRID, *sets]
    env = {**os.environ, "PYTHONHASHSEED": SERIAL_HASHSEED}
    proc = subprocess.run(
        [*cmd, "--out", str(out), "--scheduler", "serial", "--quiet"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return out


def _control(root: Path, **control: Any) -> None:
    (root / "sweep-hook.json").write_text(json.dumps(control))


def _assert_same_runs(a: Path, b: Path) -> None:
    runs = sorted(p.name for p in a.iterdir() if p.name.startswith("p_hop="))
    assert runs == sorted(p.name for p in b.iterdir() if p.name.startswith("p_hop=")) and len(runs) == 6
    for run in runs:
        for f in FILES:
            assert (a / run / f).read_bytes() == (b / run / f).read_bytes(), f"{run}/{f} differs"


def test_every_listener_is_on_localhost(client: Any) -> None:
    """Scheduler, nannies and workers of the local cluster listen on 127.0.0.1 only."""
    procs = [psutil.Process(), *psutil.Process().children(recursive=True)]
    listening = [c.laddr for p in procs for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert len(listening) >= 3  # scheduler + one per worker at least
    assert {a.ip for a in listening} == {"127.0.0.1"}
    info = client.scheduler_info()
    assert info["address"].startswith("tcp://127.0.0.1:")
    assert all(w.startswith("tcp://127.0.0.1:") for w in info["workers"]) and len(info["workers"]) == 2


def test_local_cluster_matches_serial_bytes(client: Any, serial_reference: Path, tmp_path: Path) -> None:
    """Runs on the cluster write the same trace, metrics and summary bytes as the serial sweep elsewhere."""
    hashseeds = set(client.run(lambda: os.environ.get("PYTHONHASHSEED")).values())
    assert SERIAL_HASHSEED not in hashseeds  # the two sides hash strings differently
    table = run_sweep("ehrenfest", SEEDS, GRID, SMOKE, out=tmp_path / "sw", scheduler=client, progress=False)
    assert table["status"].tolist() == ["ok"] * 6
    _assert_same_runs(tmp_path / "sw", serial_reference)
    assert read_sweep(tmp_path / "sw").equals(read_sweep(serial_reference))


def test_sigkilled_worker_is_replaced_and_the_sweep_completes(
    client: Any, serial_reference: Path, tmp_path: Path
) -> None:
    """A worker SIGKILLed in the middle of a run is replaced; the run is redone; the outputs are unchanged."""
    _control(tmp_path, record_starts=True, kill_once=["p_hop=0.05_s1"])
    table = run_sweep("ehrenfest", SEEDS, GRID, SMOKE, out=tmp_path / "sw", scheduler=client, progress=False)
    assert table["status"].tolist() == ["ok"] * 6
    starts = [p.name.split(".")[0] + "." + p.name.split(".")[1] for p in (tmp_path / "starts").iterdir()]
    killed = [s for s in starts if s.startswith("p_hop=0.05_s1")]
    assert len(killed) == 2 and (tmp_path / "killed-once-p_hop=0.05_s1").exists()
    assert len(starts) <= 6 + 2
    _assert_same_runs(tmp_path / "sw", serial_reference)
    assert not (tmp_path / "sw" / ".partial").exists()


def test_resume_redoes_exactly_the_deleted_runs(client: Any, tmp_path: Path) -> None:
    """After removing k=2 summaries, a second call reruns exactly those 2 and leaves the others untouched."""
    out = tmp_path / "sw"
    _control(tmp_path, record_starts=True)
    run_sweep("ehrenfest", "0-3", None, SMOKE, out=out, scheduler=client, progress=False, report=False)
    before = {p.name: (p / "summary.json").stat().st_mtime_ns for p in out.iterdir() if p.is_dir() and p.name[0] == "s"}
    trace_bytes = {name: (out / name / "trace.parquet").read_bytes() for name in before}
    deleted = ["s1", "s3"]
    for name in deleted:
        (out / name / "summary.json").unlink()
    shutil.rmtree(tmp_path / "starts")
    table = run_sweep("ehrenfest", "0-3", None, SMOKE, out=out, scheduler=client, progress=False, report=False)
    assert table.set_index("run")["resumed"].to_dict() == {"s0": True, "s1": False, "s2": True, "s3": False}
    assert sorted(p.name.split(".")[0] for p in (tmp_path / "starts").iterdir()) == deleted
    assert all(is_complete(out / name) for name in before)
    assert all((out / n / "summary.json").stat().st_mtime_ns == before[n] for n in before if n not in deleted)
    assert all((out / n / "trace.parquet").read_bytes() == trace_bytes[n] for n in deleted)


def test_run_that_always_kills_its_worker_fails_alone_and_is_retried(client: Any, tmp_path: Path) -> None:
    """A run that kills every worker it lands on is recorded as failed, the others complete, the next call retries."""
    out, bad = tmp_path / "sw", "p_hop=0.05_s1"
    _control(tmp_path, kill_always=[bad])
    with pytest.raises(SweepFailedError, match=r"1 of 4 runs failed \(first: p_hop=0.05_s1: "):
        run_sweep("ehrenfest", "0-1", GRID, SMOKE, out=out, scheduler=client, progress=False)
    table = read_sweep(out).set_index("run")
    assert table.loc[bad, "status"] == "failed" and "KilledWorker" in table.loc[bad, "error"]
    assert "\n" not in table.loc[bad, "error"]
    assert (table.drop(bad)["status"] == "ok").all() and table.drop(bad)["error"].isna().all()
    assert not (out / bad).exists() and all(is_complete(out / r) for r in table.drop(bad).index)
    assert "## Failed runs" in (out / "report.md").read_text()
    (tmp_path / "sweep-hook.json").unlink()
    table = run_sweep("ehrenfest", "0-1", GRID, SMOKE, out=out, scheduler=client, progress=False).set_index("run")
    assert (table["status"] == "ok").all() and table["resumed"].sum() == 3 and not table.loc[bad, "resumed"]
