"""Interrupts: SIGINT exits 130 and SIGTERM 143 with one line; the trace prefix ends at a whole instant and
the metrics are flushed with it. Real subprocesses receive real signals."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from scenarios.params import resolve_params
from scenarios.registry import get
from scenarios.runner import make_run_id
from world.clock import Run
from world.trace import read_metrics, read_trace

ROOT = Path(__file__).resolve().parents[2]
SETS = {"warmup": "50", "window": "1", "rings": "8,14"}


def _interrupted_run(out: Path, sig: int) -> subprocess.CompletedProcess:
    """Start a long two-world c_ring run, wait until two trace parts exist, send `sig`, and wait for it."""
    args = [a for k, v in SETS.items() for a in ("--set", f"{k}={v}")]
    cmd = [sys.executable, "-m", "scenarios.cli", "run", "c_ring", "--out", str(out), "--quiet", "--flush-every",
           "2000", *args]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (out / "trace.parquet" / "part-000002.parquet").exists():
        time.sleep(0.02)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def _reference(t_last: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same run in-process, uninterrupted up to just after `t_last` (half a membrane step later)."""
    sc = get("c_ring")
    params = resolve_params("c_ring", sc.params, None, SETS)
    run = Run(0, run_id=make_run_id("c_ring", 0, params))

    class Stop(Exception):  # noqa: N818 (a control-flow signal of this test, not an error)
        pass

    def stopper(env):  # type: ignore[no-untyped-def]
        yield env.timeout(t_last + 0.5 * params["dt"])
        raise Stop

    run.env.process(stopper(run.env))
    with pytest.raises(Stop):
        sc.func(run, **params)
    assert run.now > t_last, "the reference must run past the interrupted instant"
    return run.trace.to_frame(), run.metrics.to_frame()


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_at_a_whole_instant(sig: int, code: int, tmp_path: Path) -> None:
    """The run exits 128 + signal with one line giving the simulated time and saying the outputs are
    incomplete; its trace is exactly the uninterrupted run's events up to that time (every world finished the
    last instant), and its metrics are the uninterrupted run's samples up to it (flushed with the trace)."""
    out = tmp_path / "run"
    done = _interrupted_run(out, sig)
    lines = done.stderr.splitlines()
    assert done.returncode == code, done.stderr
    assert len(lines) == 1 and lines[0].startswith("error: interrupted by " + signal.Signals(sig).name)
    assert "incomplete" in lines[0]
    t_said = float(re.search(r"t = ([0-9.e+-]+)", lines[0]).group(1))
    assert not (out / "summary.json").exists()
    trace, metrics = read_trace(out), read_metrics(out)
    t_last = float(trace["t"].max())
    assert len(trace) >= 4000 and t_said == pytest.approx(t_last, rel=1e-5)
    ref_trace, ref_metrics = _reference(t_last)
    expected = ref_trace[ref_trace["t"] <= t_last].reset_index(drop=True)
    pd.testing.assert_frame_equal(trace.reset_index(drop=True), expected, check_categorical=False)
    assert len(metrics) > 0
    pd.testing.assert_frame_equal(
        metrics.reset_index(drop=True),
        ref_metrics[ref_metrics["t"] <= t_last].reset_index(drop=True),
        check_categorical=False,
    )


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_signal_before_the_run_starts_is_one_line(sig: int, code: int, tmp_path: Path) -> None:
    """A signal while the command is still starting (before any clock runs) also exits 128 + signal with one
    line (SIGINT used to exit 0 silently)."""
    script = (
        "import os, signal, sys\n"
        "import scenarios.guard as g\n"
        f"g.check_packages = lambda *a, **k: os.kill(os.getpid(), {int(sig)})\n"
        "import scenarios.cli as c\n"
        "c.check_packages = g.check_packages\n"
        f"sys.exit(c.main(['run', 'ehrenfest', '--out', {str(tmp_path / 'o')!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = done.stderr.splitlines()
    assert done.returncode == code and len(lines) == 1 and "interrupted by" in lines[0], done.stderr
    assert not (tmp_path / "o").exists()
    assert os.name == "posix"
