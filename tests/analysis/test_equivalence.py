"""TOST, its power, and the monotone-family shape null, against cases whose answer is known."""

import numpy as np
import pytest
from scipy import stats

from analysis.equivalence import family_null_test, rival_fits, seeds_for_power, tost, tost_power

U = np.linspace(0.0, 3.0, 64)


def test_identical_populations_are_equivalent() -> None:
    """Two large samples of one normal population (sd 0.1) are equivalent at margin 0.15."""
    rng = np.random.default_rng(1)
    r = tost(rng.normal(1.0, 0.1, 60), rng.normal(1.0, 0.1, 60), margin=0.15)
    assert r.equivalent and r.p_value < 1e-6
    assert -0.15 < r.ci_low < r.diff < r.ci_high < 0.15


def test_shifted_populations_are_not_equivalent() -> None:
    """A true shift of 0.3 (twice the margin) is never called equivalent, however large the samples."""
    rng = np.random.default_rng(2)
    r = tost(rng.normal(1.3, 0.1, 200), rng.normal(1.0, 0.1, 200), margin=0.15)
    assert not r.equivalent and r.p_value > 0.99 and r.ci_low > 0.15


def test_noisy_small_samples_are_not_equivalent() -> None:
    """Equal means but sd 0.5 with 4 seeds: the interval is far wider than the margin, so no equivalence.

    (The old test, 0 inside the 95 % interval, passes this case: noise made agreement easier.)
    """
    rng = np.random.default_rng(3)
    a, b = rng.normal(1.0, 0.5, 4), rng.normal(1.0, 0.5, 4)
    r = tost(a, b, margin=0.15)
    assert not r.equivalent and r.ci_high - r.ci_low > 0.3
    welch = stats.ttest_ind(a, b, equal_var=False)
    assert welch.pvalue > 0.05  # the difference test sees nothing either


def test_tost_p_values_match_the_closed_form() -> None:
    """p_upper equals the Welch t tail P(T ≤ (diff − m)/SE) with Welch–Satterthwaite degrees of freedom."""
    a = np.array([1.0, 1.2, 0.9, 1.1, 1.05])
    b = np.array([0.95, 1.0, 1.1, 0.9])
    r = tost(a, b, margin=0.2)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / 4 + vb**2 / 3)
    diff = a.mean() - b.mean()
    assert r.p_upper == pytest.approx(stats.t.cdf((diff - 0.2) / se, dof), rel=1e-9)
    assert r.p_lower == pytest.approx(stats.t.sf((diff + 0.2) / se, dof), rel=1e-9)
    assert r.ci_high - r.diff == pytest.approx(stats.t.ppf(0.95, dof) * se, rel=1e-9)


def test_bad_margin_is_rejected() -> None:
    """A margin of 0 cannot be tested against and says so."""
    with pytest.raises(ValueError, match="margin"):
        tost([1.0, 2.0], [1.0, 2.0], margin=0.0)


def test_power_matches_simulation() -> None:
    """The t-approximation power agrees with a Monte Carlo of TOST itself within 0.05."""
    rng = np.random.default_rng(4)
    n, sd_a, sd_b, m = 12, 0.2, 0.05, 0.15
    hits = [tost(rng.normal(0, sd_a, n), rng.normal(0, sd_b, n), m).equivalent for _ in range(2000)]
    assert abs(np.mean(hits) - tost_power(n, sd_a, sd_b, m)) < 0.05


def test_seeds_for_power_is_the_smallest_sufficient_n() -> None:
    """The returned n reaches the power and n − 1 does not; power rises with n and falls with a true shift."""
    n = seeds_for_power(0.2, 0.05, 0.15, power=0.8)
    assert tost_power(n, 0.2, 0.05, 0.15) >= 0.8 > tost_power(n - 1, 0.2, 0.05, 0.15)
    assert tost_power(30, 0.2, 0.05, 0.15, true_diff=0.1) < tost_power(30, 0.2, 0.05, 0.15)


def _stretched(beta: float) -> np.ndarray:
    return 1.0 - np.exp(-np.power(U, beta))


def test_rival_fits_recover_their_own_family() -> None:
    """A logistic curve is fitted best by the logistic family (RMS < 1e-3)."""
    y = 1 / (1 + np.exp(-(U - 1.0) / 0.3)) - 1 / (1 + np.exp(1.0 / 0.3))
    fits = rival_fits(U, y, beta=1.5)
    assert set(fits) >= {"exponential", "logistic", "power law"}
    assert np.sqrt(np.mean((fits["logistic"] - y) ** 2)) < 1e-3
    assert np.sqrt(np.mean((fits["exponential"] - y) ** 2)) > 0.02


def test_same_compressed_shape_beats_every_rival_family() -> None:
    """Two noisy copies of one compressed relaxation (β = 1.8) are closer than every rival family (p < 0.05)."""
    rng = np.random.default_rng(5)
    a = _stretched(1.8) + rng.normal(0, 0.01, U.size)
    b = _stretched(1.8) + rng.normal(0, 0.01, U.size)
    r = family_null_test(a, b, U, 1.8, rng)
    assert r.same_shape() and r.p_value < 0.05


def test_different_monotone_shape_is_not_called_same() -> None:
    """A compressed curve (β = 1.8) against a stretched one (β = 0.6): both monotone, yet not the same shape."""
    rng = np.random.default_rng(6)
    a = _stretched(1.8) + rng.normal(0, 0.01, U.size)
    b = _stretched(0.6) + rng.normal(0, 0.01, U.size)
    assert not family_null_test(a, b, U, 0.6, rng).same_shape()


def test_plain_exponentials_are_not_a_specific_match() -> None:
    """Two exponentials match each other no better than the exponential family itself: the null is not beaten."""
    rng = np.random.default_rng(7)
    a = _stretched(1.0) + rng.normal(0, 0.02, U.size)
    b = _stretched(1.0) + rng.normal(0, 0.02, U.size)
    r = family_null_test(a, b, U, 1.0, rng)
    assert r.p_values["exponential"] > 0.05 and not r.same_shape()
