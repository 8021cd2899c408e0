"""Relaxation fits recover the time constant and stretching exponent of synthetic curves."""

import numpy as np
import pytest

from analysis.relaxation import exponential, fit_relaxation, normalised_curve, stretched_exponential


@pytest.mark.parametrize(("tau", "beta"), [(2.0, 1.0), (5.0, 0.6), (1.5, 1.6)])
def test_stretched_fit_recovers_tau_and_beta_within_ci(tau: float, beta: float) -> None:
    """With noise, the true τ and β lie inside the fit's 95 % intervals."""
    rng = np.random.default_rng(0)
    t = np.linspace(0, 6 * tau, 200)
    y = stretched_exponential(t, 0.0, 180.0, tau, beta) + rng.normal(0, 1.0, t.size)
    fit = fit_relaxation(t, y, "stretched")
    assert fit.tau_ci[0] <= tau <= fit.tau_ci[1]
    assert fit.beta_ci[0] <= beta <= fit.beta_ci[1]
    assert fit.r2 > 0.99


def test_exponential_fit_on_discharge() -> None:
    """A falling curve (discharge) with an offset time origin is fitted by the single exponential."""
    t = np.linspace(10, 30, 100)
    y = exponential(t - 10, 5.0, 1.0, 3.0)
    fit = fit_relaxation(t, y, "exponential")
    assert fit.tau == pytest.approx(3.0, rel=1e-4) and fit.beta == 1.0
    np.testing.assert_allclose(fit.predict(t), y, atol=1e-6)


def test_normalised_curve_runs_zero_to_one() -> None:
    """φ(t/τ) of a clean exponential is 1 − exp(−u) for build-up and discharge alike."""
    u = np.linspace(0, 4, 50)
    for y0, y1 in ((0.0, 2.0), (2.0, 0.0)):
        t = np.linspace(0, 20, 400)
        y = exponential(t, y0, y1, 4.0)
        fit = fit_relaxation(t, y, "exponential")
        np.testing.assert_allclose(normalised_curve(t, y, fit, u), 1 - np.exp(-u), atol=1e-3)


def test_bad_input() -> None:
    """Too few points, unsorted times and unknown models are ValueErrors."""
    with pytest.raises(ValueError):
        fit_relaxation(np.arange(3.0), np.arange(3.0))
    with pytest.raises(ValueError):
        fit_relaxation(np.array([0, 2, 1, 3, 4.0]), np.arange(5.0))
    with pytest.raises(ValueError, match="model"):
        fit_relaxation(np.arange(10.0), np.arange(10.0), "power")
