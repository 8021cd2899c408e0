"""The pipe-check scenario: an Ehrenfest urn relaxing at its exact rate, end to end through the runner."""

import math
from pathlib import Path

import numpy as np

from scenarios.runner import execute
from world.clock import Run
from world.ehrenfest import UrnModel, expected_imbalance
from world.trace import read_metrics, read_trace


def test_balls_are_conserved_and_hops_traced() -> None:
    """Every hop is one trace event and the number of balls never changes."""
    run = Run(1)
    urn = UrnModel(run, n_balls=300, p_hop=0.1)
    run.drive(urn, 1.0)
    run.run_until(50.0)
    trace = run.trace.to_frame()
    assert len(trace) == urn.hops and urn.box.size == 300
    left = 300 - (trace.dst == "right").sum() + (trace.dst == "left").sum()
    assert left == urn.n_left


def test_mean_imbalance_decays_at_exact_rate() -> None:
    """Averaged over 40 seeds, the imbalance after k steps matches N/2·(1−2p)^k within 4 standard errors."""
    n, p, k = 400, 0.05, 10
    finals = []
    for seed in range(40):
        run = Run(seed)
        urn = UrnModel(run, n_balls=n, p_hop=p)
        run.drive(urn, 1.0)
        run.run_until(float(k))
        finals.append(urn.n_left - n / 2)
    expected = expected_imbalance(n / 2, p, k)
    stderr = np.std(finals, ddof=1) / math.sqrt(len(finals))
    assert abs(np.mean(finals) - expected) < 4 * stderr + 1e-9


def test_runner_outputs_and_replay(tmp_path: Path) -> None:
    """The metric `hops` at each sample equals the trace's hop count up to that time."""
    summary = execute("ehrenfest", tmp_path, seed=2, overrides={"steps": "40", "n_balls": "500"})
    trace, metrics = read_trace(tmp_path), read_metrics(tmp_path)
    hops = metrics[metrics.metric == "hops"]
    replayed = [int((trace.t <= t).sum()) for t in hops.t]
    assert replayed == hops.value.astype(int).tolist()
    assert summary["results"]["hops"] == len(trace)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    """Two runs with one seed write byte-identical trace.parquet and identical summaries."""
    a = execute("ehrenfest", tmp_path / "a", seed=5, overrides={"steps": "30"})
    b = execute("ehrenfest", tmp_path / "b", seed=5, overrides={"steps": "30"})
    assert (tmp_path / "a/trace.parquet").read_bytes() == (tmp_path / "b/trace.parquet").read_bytes()
    assert a == b
