"""Crashes and reports: a killed run leaves a readable trace prefix, no completion claim, and says so."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scenarios.cli import main
from world.outputs import is_complete
from world.trace import read_metrics, read_trace


@pytest.mark.slow
def test_sigkill_midway_leaves_readable_prefix(out_dir: Path) -> None:
    """SIGKILL during a run leaves trace.parquet readable up to its last flushed row group, no summary.json,
    and `gradient report` exits 1 saying the run is incomplete."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scenarios.cli", "run", "ehrenfest", "--out", str(out_dir), "--quiet",
         "--set", "n_balls=20000", "--set", "steps=1000000", "--flush-every", "5000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    parts = out_dir / "trace.parquet"
    deadline = time.monotonic() + 60
    # parts are written one after another: once a fourth exists, the first three are complete
    while time.monotonic() < deadline and len(list(parts.glob("part-*.parquet"))) < 4:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(list(parts.glob("part-*.parquet"))) >= 4, "the run never flushed three row groups"
    trace = read_trace(out_dir)
    flushed = 0
    for part in sorted(parts.glob("part-*.parquet")):
        try:
            flushed += pq.ParquetFile(part).metadata.num_rows
        except (OSError, pa.ArrowInvalid):
            break  # killed while writing this part: the prefix ends before it
    assert len(trace) == flushed >= 15000
    assert trace["seq"].tolist() == list(range(len(trace)))
    assert trace["t"].is_monotonic_increasing
    metrics = read_metrics(out_dir)  # flushed with the trace: a killed run can still be plotted
    assert len(metrics) > 0 and metrics["t"].max() <= trace["t"].max()
    assert not (out_dir / "summary.json").exists() and not is_complete(out_dir)
    report = subprocess.run(
        [sys.executable, "-m", "scenarios.cli", "report", str(out_dir)], capture_output=True, text=True, timeout=60
    )
    assert report.returncode == 1 and "incomplete" in report.stderr


def test_report_rerenders_from_outputs(out_dir: Path) -> None:
    """`gradient report DIR` rewrites report.md and its figures from the outputs alone."""
    assert main(["run", "ehrenfest", "--out", str(out_dir), "--quiet", "--set", "steps=60"]) == 0
    (out_dir / "report.md").unlink()
    for png in (out_dir / "figures").glob("*.png"):
        png.unlink()
    assert main(["report", str(out_dir)]) == 0
    text = (out_dir / "report.md").read_text()
    for link in ("figures/imbalance.png", "figures/entropy.png"):
        assert link in text
        png = out_dir / link
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert json.loads((out_dir / "summary.json").read_text())["complete"] is True
