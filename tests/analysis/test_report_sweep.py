"""The sweep report's statistics: the Student-t band of the mean over seeds, against its closed form and its
coverage, and the units read from names."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.report_sweep import choose_results, mean_ci, summarise, unit_of


def test_band_of_three_values_matches_the_closed_form() -> None:
    """For 1, 2, 3: mean 2, s = 1, half-width t/√3 with Student's t for 2 degrees of freedom in closed form,
    t_p = (2p − 1)/√(2p(1 − p)) at p = 0.975 (to 1e-12)."""
    mean, lo, hi, n = mean_ci([1.0, 2.0, 3.0])
    p = 0.975
    half = (2 * p - 1) / math.sqrt(2 * p * (1 - p)) / math.sqrt(3)
    assert (mean, n) == (2.0, 3) and math.isclose(hi - mean, half, rel_tol=1e-12) and math.isclose(mean - lo, half)


def test_band_covers_the_true_mean_95_percent_of_the_time() -> None:
    """2000 samples of 5 normal values: coverage 0.95 within 3 binomial standard errors (±0.0146)."""
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(2000):
        _, lo, hi, _ = mean_ci(rng.normal(3.0, 2.0, size=5).tolist())
        hits += lo <= 3.0 <= hi
    assert abs(hits / 2000 - 0.95) <= 3 * math.sqrt(0.95 * 0.05 / 2000)


def test_one_seed_has_no_band_and_failed_runs_are_left_out() -> None:
    """A single value gives a mean without a band; failed runs and runs without a value are counted apart."""
    table = pd.DataFrame(
        {"status": ["ok", "failed", "ok", "ok", "ok"], "x": [1, 1, 2, 2, 2], "result.y": [5.0, None, 1.0, 3.0, None]}
    )
    s = summarise(table, "y", ["x"]).set_index("x")
    assert s.loc[1, "mean"] == 5.0 and math.isnan(s.loc[1, "ci_low"]) and s.loc[1, "failed"] == 1
    assert s.loc[2, "seeds"] == 2 and s.loc[2, "mean"] == 2.0 and s.loc[2, "ci_low"] < 1.0
    assert s.loc[2, "no_value"] == 1 and s.loc[2, "failed"] == 0 and s.loc[1, "no_value"] == 0


def test_default_results_are_numeric_and_vary() -> None:
    """Constant and text results, and results repeating a parameter, are not plotted by default."""
    table = pd.DataFrame(
        {"status": ["ok", "ok"], "n": [1, 2], "result.n": [1, 2], "result.a": [1.0, 2.0], "result.b": [3.0, 3.0],
         "result.c": ["u", "v"]}
    )  # fmt: skip
    assert choose_results(table) == ["a"]


def test_units_from_names_and_help() -> None:
    """Suffixes carry the unit; a help text ending in (s) does too; anything else is dimensionless."""
    assert unit_of("fitted_relaxation_rate_per_s") == "1/s" and unit_of("pmf_mV") == "mV"
    assert unit_of("t_charge", "charging = training phase (s)") == "s" and unit_of("n_balls", "balls") == "1"
