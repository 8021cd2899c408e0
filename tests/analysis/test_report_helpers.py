"""Numbers behind the report figures: the Ehrenfest rate fit, the wide metrics table, the stoichiometry lines."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.report_ehrenfest import fit_relaxation_rate
from analysis.report_membrane_steady import h_per_atp, p_o_max
from scenarios.runner import execute
from world.clock import Run
from world.trace import METRICS_SCHEMA, read_metrics


def test_rate_fit_recovers_an_exact_exponential() -> None:
    """ln-linear data with rate 0.04/s give back 0.04 with a standard error of (numerically) zero."""
    k = np.arange(0, 60, 5.0)
    fit = fit_relaxation_rate(k, 1000.0 * np.exp(-0.04 * 2.0 * k), n_balls=100, dt=2.0)
    assert fit is not None
    assert math.isclose(fit["rate_per_s"], 0.04, rel_tol=1e-12)
    assert fit["rate_se_per_s"] < 1e-12


def test_rate_fit_matches_the_scenario_and_its_error_scales_with_noise(tmp_path: Path) -> None:
    """On an ehrenfest run the report's fit reproduces the scenario's fitted rate (same samples, same rule);
    noise added to the data widens the standard error."""
    summary = execute("ehrenfest", tmp_path / "u", seed=1, overrides={"n_balls": 4000, "steps": 120})
    m = read_metrics(tmp_path / "u", wide=True)
    steps = np.rint(m.index.to_numpy(float) / summary["params"]["dt"])
    fit = fit_relaxation_rate(steps, m["imbalance"].to_numpy(), 4000, summary["params"]["dt"])
    assert fit is not None
    assert math.isclose(fit["rate_per_s"], summary["results"]["fitted_relaxation_rate_per_s"], rel_tol=1e-9)
    rng = np.random.default_rng(0)
    k = np.arange(0, 60, 5.0)
    clean = 1000.0 * np.exp(-0.04 * k)
    noisy = fit_relaxation_rate(k, clean * np.exp(rng.normal(0, 0.05, k.size)), 100, 1.0)
    assert noisy is not None and noisy["rate_se_per_s"] > 1e-4


def test_wide_metrics_pivot_and_world_filter(tmp_path: Path) -> None:
    """`read_metrics(wide=True)` has one row per time and one column per metric, equal to the long table."""
    run = Run(0, out_dir=tmp_path, run_id="w")
    for t in (0.0, 0.5, 1.0):
        run.metrics.record_many(t, "membrane", {"pmf_mV": (150 + t, "mV"), "ocr": (10 * t, "O2/s")})
        run.metrics.record(t, "attention", "loss_nats", 2.0 - t, "nats")
    run.close()
    wide = read_metrics(tmp_path, wide=True, world="membrane")
    assert list(wide.index) == [0.0, 0.5, 1.0] and sorted(wide.columns) == ["ocr", "pmf_mV"]
    assert wide.loc[0.5, "pmf_mV"] == 150.5
    both = read_metrics(tmp_path, wide=True)
    assert both.loc[1.0, "loss_nats"] == 1.0
    assert len(read_metrics(tmp_path)) == 9


def test_wide_metrics_refuses_two_worlds_of_one_kind(tmp_path: Path) -> None:
    """Two membrane worlds sampled at the same time cannot share one wide row: a ValueError says why."""
    run = Run(0, out_dir=tmp_path, run_id="d")
    run.metrics.record(0.0, "membrane", "pmf_mV", 1.0, "mV")
    run.metrics.record(0.0, "membrane", "pmf_mV", 2.0, "mV")
    run.close()
    with pytest.raises(ValueError, match="several samples"):
        read_metrics(tmp_path, wide=True)


def test_wide_metrics_of_a_killed_run(tmp_path: Path) -> None:
    """A run killed before any metrics flush (an empty part directory) reads as an empty table; one killed
    after a flush reads its flushed prefix, a torn last part ignored."""
    parts = tmp_path / "metrics.parquet"
    parts.mkdir()
    assert read_metrics(tmp_path, wide=True).empty
    table = pa.table(
        {
            "run_id": ["k", "k"],
            "world": ["membrane", "membrane"],
            "t": [0.0, 0.1],
            "metric": ["pmf_mV", "pmf_mV"],
            "value": [1.0, 2.0],
            "unit": ["mV", "mV"],
        }
    ).cast(METRICS_SCHEMA)
    pq.write_table(table, parts / "part-000000.parquet")
    (parts / "part-000001.parquet").write_bytes(b"PAR1 torn")
    wide = read_metrics(tmp_path, wide=True)
    assert list(wide["pmf_mV"]) == [1.0, 2.0]


def test_stoichiometry_lines() -> None:
    """n/3 H⁺ per ATP at the rotor, one more with transport, and P/O = 10/(n/3 + 1) (8 → 2.727, 15 → 1.667)."""
    assert h_per_atp(9) == 3.0 and h_per_atp(9, transport=True) == 4.0
    assert math.isclose(p_o_max(8), 10 / (8 / 3 + 1)) and math.isclose(p_o_max(15), 10 / 6)
    assert math.isclose(p_o_max(12, electrons_h=6.0), 6 / 5)
