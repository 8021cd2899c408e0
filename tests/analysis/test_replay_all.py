"""The trace loses nothing, for every registered scenario: counters replayed from trace.parquet alone equal the
cumulative counters in metrics.parquet at every sample time and the counter-named numbers of summary.json.

Scenarios are taken from the registry at collection time, so a scenario added later is covered by adding it;
each runs at its ``smoke`` overrides. The name mapping and the limits are documented in `analysis.replay`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.replay import COUNTER_METRICS, check_metrics, check_run, replay
from scenarios.registry import all_scenarios
from scenarios.runner import execute
from world.trace import read_metrics, read_trace

SCENARIOS = sorted(all_scenarios())


def _run(name: str, out: Path) -> Path:
    execute(name, out, seed=0, overrides=all_scenarios()[name].smoke)
    return out


def _expected_checks(metrics: pd.DataFrame) -> dict[str, int]:
    """How many comparisons a full check makes per counter metric: membrane per sample time, attention per row."""
    out = {}
    for world, names in COUNTER_METRICS.items():
        m = metrics[(metrics["world"].astype(str) == world) & metrics["metric"].astype(str).isin(names)]
        for name, rows in m.groupby(m["metric"].astype(str)):
            n = rows["t"].nunique() if world == "membrane" else len(rows)
            out[f"metric:{world}/{name}"] = n
    return out


@pytest.mark.parametrize("name", SCENARIOS)
def test_replay_equals_metrics_and_summary(name: str, smoke_run) -> None:
    """Every counter metric at every sample time and every counter-named result equals its replay from the trace
    (of the session's seed-0 smoke run, `smoke_run`)."""
    run_dir = smoke_run(name)
    report = check_run(run_dir)
    assert report.mismatches == [], "\n".join(report.mismatches[:20])
    assert report.unchecked == {}, f"{name}: values that cannot be replayed: {report.unchecked}"
    for key, n in _expected_checks(read_metrics(run_dir)).items():
        assert report.checked.get(key, 0) == n, f"{key}: {report.checked.get(key, 0)} of {n} samples checked"
    assert report.checked["summary:trace_events"] == 1


def _child_runs(run_dir: Path) -> list[Path]:
    """The run directories of the sweeps inside a run directory (an ensemble's replicates or grid points)."""
    return sorted(p.parent for sweep in run_dir.glob("*/sweep.json") for p in sweep.parent.glob("*/summary.json"))


@pytest.mark.parametrize("name", SCENARIOS)
def test_replay_finds_at_least_one_world(name: str, smoke_run) -> None:
    """Every scenario's trace replays into at least one world's counters, each with events behind it; an
    ensemble (side_by_side, analogy_robustness) runs no world itself, and then every one of its child runs does,
    and replays exactly."""
    run_dir = smoke_run(name)
    replayed = replay(run_dir)
    children = _child_runs(run_dir)
    if children:
        assert replayed["trace_events"] == 0, f"{name}: an ensemble with child runs traces events of its own"
    for d in children or [run_dir]:
        replayed = replay(d)
        worlds = {k for k in ("membrane", "attention", "pipe") if k in replayed}
        assert worlds, f"{d}: its trace holds no counter events"
        assert replayed["trace_events"] > 0
        if d != run_dir:
            assert check_run(d).mismatches == []


def test_replay_detects_a_dropped_pump_event(smoke_run) -> None:
    """Removing one proton-pump row from a membrane trace makes the h_pumped samples after it disagree (the
    trace is changed in memory only)."""
    run_dir = smoke_run("respiratory_control")
    trace, metrics = read_trace(run_dir), read_metrics(run_dir)
    pumps = trace.index[trace["kind"].astype(str) == "pump"]
    tampered = trace.drop(index=pumps[len(pumps) // 2])
    bad = check_metrics(tampered, metrics).mismatches
    assert any(m.startswith("h_pumped") for m in bad)
    assert check_metrics(trace, metrics).mismatches == []


def test_replay_detects_a_changed_bit_count(smoke_run) -> None:
    """Changing one token's info_bits by one ulp makes the inference_bits_saved samples after it disagree (in
    memory only)."""
    run_dir = smoke_run("training_builds_gradient")
    trace, metrics = read_trace(run_dir), read_metrics(run_dir)
    ends = trace.index[trace["kind"].astype(str) == "token_end"]
    tampered = trace.copy()
    i = ends[3]
    tampered.loc[i, "info_bits"] = float(tampered.loc[i, "info_bits"]) * (1 + 2**-50)
    bad = check_metrics(tampered, metrics).mismatches
    assert any("inference_bits_saved" in m for m in bad)


def test_replay_detects_a_wrong_summary_counter(tmp_path: Path) -> None:
    """A summary whose hop count differs by one from the trace's hop rows is reported."""
    run_dir = _run("ehrenfest", tmp_path / "urn")
    summary_path = run_dir / "summary.json"
    text = summary_path.read_text()
    hops = replay(run_dir)["pipe"]["hops"]
    summary_path.write_text(text.replace(f'"hops": {hops},', f'"hops": {hops + 1},'))
    assert any("results.hops" in m for m in check_run(run_dir).mismatches)
