"""Relaxation fits: single and stretched exponentials with confidence intervals (scipy `curve_fit`).

Key names: `exponential`, `stretched_exponential`, `Fit`, `fit_relaxation`, `normalised_curve`.

Both build-up (rising to a plateau) and discharge (falling to a floor) are the same law,
y(t) = y∞ + (y₀ − y∞)·exp(−((t − t₀)/τ)^β), with β = 1 for the single exponential. β < 1 means a spread of
time scales (stretched), β > 1 a compressed, more sudden relaxation. Intervals are 95 % Student-t intervals
from the fit's covariance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


def exponential(t: np.ndarray, y0: float, y_inf: float, tau: float) -> np.ndarray:
    """y∞ + (y₀ − y∞)·exp(−t/τ)."""
    return y_inf + (y0 - y_inf) * np.exp(-t / tau)


def stretched_exponential(t: np.ndarray, y0: float, y_inf: float, tau: float, beta: float) -> np.ndarray:
    """y∞ + (y₀ − y∞)·exp(−(t/τ)^β) (Kohlrausch)."""
    return y_inf + (y0 - y_inf) * np.exp(-np.power(np.maximum(t, 0.0) / tau, beta))


@dataclass(frozen=True)
class Fit:
    """A fitted relaxation.

    Attributes:
        model: ``"exponential"`` or ``"stretched"``.
        y0, y_inf: start and end levels.
        tau: relaxation time, in the unit of the time axis given.
        beta: stretching exponent (1.0 for the single exponential).
        tau_ci, beta_ci: 95 % intervals ((beta, beta) for the single exponential).
        rmse: root-mean-square residual; r2: coefficient of determination.
        t0: time origin subtracted before fitting.
    """

    model: str
    y0: float
    y_inf: float
    tau: float
    beta: float
    tau_ci: tuple[float, float]
    beta_ci: tuple[float, float]
    rmse: float
    r2: float
    t0: float

    def predict(self, t: np.ndarray) -> np.ndarray:
        """The fitted curve at times `t` (same origin as the data)."""
        return stretched_exponential(np.asarray(t, np.float64) - self.t0, self.y0, self.y_inf, self.tau, self.beta)


def _tau_guess(t: np.ndarray, y: np.ndarray, y0: float, y_inf: float) -> float:
    frac = np.abs(y - y_inf) / max(abs(y0 - y_inf), 1e-300)
    below = np.flatnonzero(frac <= np.exp(-1.0))
    span = float(t[-1] - t[0]) or 1.0
    return float(t[below[0]] - t[0]) if below.size and t[below[0]] > t[0] else span / 3.0


def fit_relaxation(t: np.ndarray, y: np.ndarray, model: str = "stretched") -> Fit:
    """Fit a relaxation curve; time is measured from ``t[0]``.

    Args:
        t: increasing times (≥ 4 points; ≥ 5 for the stretched model).
        y: values.
        model: ``"exponential"`` or ``"stretched"``.

    Raises:
        ValueError: bad shapes, too few points, unknown model, or a fit that does not converge.
    """
    t = np.asarray(t, np.float64)
    y = np.asarray(y, np.float64)
    if t.shape != y.shape or t.ndim != 1:
        raise ValueError("t and y must be 1-D arrays of one length")
    if model not in ("exponential", "stretched"):
        raise ValueError(f"model(={model!r}) must be 'exponential' or 'stretched'")
    n_par = 3 if model == "exponential" else 4
    if t.size < n_par + 1 or not np.all(np.isfinite(y)) or np.any(np.diff(t) <= 0):
        raise ValueError(f"need at least {n_par + 1} finite points at increasing times")
    t0 = float(t[0])
    x = t - t0
    tail = max(1, y.size // 10)
    y0, y_inf = float(y[0]), float(np.mean(y[-tail:]))
    tau0 = _tau_guess(t, y, y0, y_inf)
    span = float(x[-1])
    if model == "exponential":
        f, p0 = exponential, [y0, y_inf, tau0]
        lower, upper = [-np.inf, -np.inf, span * 1e-6], [np.inf, np.inf, span * 1e3]
    else:
        f, p0 = stretched_exponential, [y0, y_inf, tau0, 1.0]
        lower, upper = [-np.inf, -np.inf, span * 1e-6, 0.05], [np.inf, np.inf, span * 1e3, 5.0]
    try:
        popt, pcov = optimize.curve_fit(f, x, y, p0=p0, bounds=(lower, upper), maxfev=20000)
    except (RuntimeError, optimize.OptimizeWarning) as exc:
        raise ValueError(f"relaxation fit did not converge: {exc}") from None
    resid = y - f(x, *popt)
    dof = max(1, y.size - n_par)
    q = stats.t.ppf(0.975, dof)
    err = np.sqrt(np.clip(np.diag(pcov), 0, np.inf)) if np.all(np.isfinite(pcov)) else np.full(n_par, np.inf)
    ss_tot = float(np.sum((y - y.mean()) ** 2)) or 1e-300
    tau, tau_e = float(popt[2]), float(err[2])
    beta, beta_e = (float(popt[3]), float(err[3])) if model == "stretched" else (1.0, 0.0)
    return Fit(
        model=model,
        y0=float(popt[0]),
        y_inf=float(popt[1]),
        tau=tau,
        beta=beta,
        tau_ci=(tau - q * tau_e, tau + q * tau_e),
        beta_ci=(beta - q * beta_e, beta + q * beta_e),
        rmse=float(np.sqrt(np.mean(resid**2))),
        r2=1.0 - float(np.sum(resid**2)) / ss_tot,
        t0=t0,
    )


def normalised_curve(t: np.ndarray, y: np.ndarray, fit: Fit, u: np.ndarray) -> np.ndarray:
    """The data as progress φ ∈ [0, 1] against reduced time u = (t − t₀)/τ, interpolated at `u`.

    φ = (y − y₀)/(y∞ − y₀) from the fit's end points: 0 at the start, 1 at the end of the relaxation, for
    build-up and discharge alike. This is the curve whose shape is compared across worlds.
    """
    x = (np.asarray(t, np.float64) - fit.t0) / fit.tau
    span = fit.y_inf - fit.y0
    if span == 0:
        raise ValueError("the fit has no amplitude (y∞ = y₀)")
    phi = (np.asarray(y, np.float64) - fit.y0) / span
    return np.interp(u, x, phi)
