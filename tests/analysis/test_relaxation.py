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


def test_well_sampled_fit_is_determined_and_records_numbers() -> None:
    """A curve seen over six time constants is determined: its record holds the fitted numbers and their SEs."""
    rng = np.random.default_rng(1)
    t = np.linspace(0, 6.0, 120)
    fit = fit_relaxation(t, stretched_exponential(t, 0.0, 180.0, 1.0, 1.2) + rng.normal(0, 1.0, t.size))
    rec = fit.record()
    assert fit.determined and rec["reason"] == ""
    assert rec["tau"] == fit.tau and rec["se"]["tau"] > 0
    assert rec["tau_ci"][0] < rec["tau"] < rec["tau_ci"][1]


def _short_window() -> tuple[np.ndarray, np.ndarray]:
    """A 200 mV curve watched for a twentieth of its time constant: barely a bend, as at the start of a discharge."""
    rng = np.random.default_rng(2)
    t = np.linspace(0, 0.05, 40)
    return t, exponential(t, 200.0, 0.0, 1.0) + rng.normal(0, 1.0, t.size)


def test_fit_of_a_window_too_short_is_not_determined() -> None:
    """The end level and time scale of a barely-started relaxation are not determined; its record holds no numbers."""
    t, y = _short_window()
    fit = fit_relaxation(t, y)
    assert not fit.determined and fit.reason
    rec = fit.record()
    numbers = [rec[k] for k in ("y0", "y_inf", "tau", "beta", "r2", "rmse")] + rec["tau_ci"] + list(rec["se"].values())
    assert all(np.isnan(v) for v in numbers)
    with pytest.raises(ValueError, match="not determined"):
        normalised_curve(t, y, fit, np.linspace(0, 1, 5))


def test_parameter_at_its_search_bound_is_not_determined() -> None:
    """A step far sharper than any β ≤ 5 allows pins β at its bound: not determined, and the reason says so."""
    t = np.linspace(0, 2.0, 200)
    y = np.where(t < 1.0, 0.0, 100.0) + np.random.default_rng(3).normal(0, 0.5, t.size)
    fit = fit_relaxation(t, y)
    assert not fit.determined
    assert "bound" in fit.reason


def test_noise_without_a_relaxation_is_not_determined() -> None:
    """Pure noise has no relaxation in it: the fit is reported as not determined."""
    t = np.linspace(0, 1.0, 100)
    fit = fit_relaxation(t, np.random.default_rng(4).normal(0, 1.0, t.size))
    assert not fit.determined


def test_time_to_fraction_finds_the_first_crossing() -> None:
    """On 1 − e^{−t} sampled every 0.01, 90 % of the steady value 1 is first reached at the first sample at or
    after ln 10 = 2.3026; a course that never gets there, or a steady value ≤ 0, gives None."""
    from analysis.relaxation import time_to_fraction

    t = np.round(np.arange(0, 5, 0.01), 9)
    assert time_to_fraction(t, 1 - np.exp(-t), 1.0) == pytest.approx(2.31)
    assert time_to_fraction(t, 0.5 * (1 - np.exp(-t)), 1.0) is None
    assert time_to_fraction(t, 1 - np.exp(-t), 0.0) is None
