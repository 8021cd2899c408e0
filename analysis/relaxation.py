"""Relaxation fits: single and stretched exponentials with confidence intervals (scipy `curve_fit`).

Key names: `exponential`, `stretched_exponential`, `Fit`, `fit_relaxation`, `normalised_curve`, `R2_MIN`.

Both build-up (rising to a plateau) and discharge (falling to a floor) are the same law,
y(t) = y∞ + (y₀ − y∞)·exp(−((t − t₀)/τ)^β), with β = 1 for the single exponential. β < 1 means a spread of
time scales (stretched), β > 1 a compressed, more sudden relaxation. Intervals are 95 % Student-t intervals
from the fit's covariance.

**When a fit is not determined.** A fit is reported as *not determined* (`Fit.determined` False, `Fit.reason`
saying why; `Fit.record()` then gives NaN for every number, written as ``null`` in ``summary.json``) when any of:

1. its covariance is not finite (the data do not constrain the parameters at all);
2. a parameter sits at a bound of the search (within 10⁻⁶ of the bound's scale): the optimum lies outside the
   model's range, e.g. β pinned at 5;
3. the 95 % interval of τ (or of β, for the stretched model) is wider than the value itself (half-width ≥ value):
   the data do not tell the time scale;
4. the end level y∞ lies further outside the range of the data than the data's own span: the window saw too
   little of the relaxation to locate its end (e.g. y∞ ≈ −17 000 mV from a 200 mV curve);
5. r² < `R2_MIN` (0.9): the law does not describe the data.

Such a fit is not a measurement; numbers computed from it must not be reported either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

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
        se: standard errors of ``y0, y_inf, tau, beta`` (beta's is 0 for the single exponential).
        determined: False when the data do not determine the fit (see the module docstring); ``reason`` says why.
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
    se: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    determined: bool = True
    reason: str = field(default="")

    def record(self) -> dict[str, object]:
        """The fit as plain JSON-ready values; every number NaN when the fit is not determined.

        Keys: ``model, determined, reason, t0, y0, y_inf, tau, beta, tau_ci, beta_ci, se`` (a dict of the four
        standard errors), ``r2, rmse``. ``t0`` (the time origin, an input) is kept either way.
        """
        ok = self.determined

        def num(value: float) -> float:
            return float(value) if ok else float("nan")

        return {
            "model": self.model,
            "determined": ok,
            "reason": self.reason,
            "t0": self.t0,
            "y0": num(self.y0),
            "y_inf": num(self.y_inf),
            "tau": num(self.tau),
            "beta": num(self.beta),
            "tau_ci": [num(v) for v in self.tau_ci],
            "beta_ci": [num(v) for v in self.beta_ci],
            "se": {k: num(v) for k, v in zip(("y0", "y_inf", "tau", "beta"), self.se, strict=True)},
            "r2": num(self.r2),
            "rmse": num(self.rmse),
        }

    def predict(self, t: np.ndarray) -> np.ndarray:
        """The fitted curve at times `t` (same origin as the data)."""
        return stretched_exponential(np.asarray(t, np.float64) - self.t0, self.y0, self.y_inf, self.tau, self.beta)


R2_MIN = 0.9
"""Below this coefficient of determination a relaxation law does not describe the data (rule 5)."""
_BOUND_RTOL = 1e-6


def undetermined_reason(
    model: str,
    popt: np.ndarray,
    err: np.ndarray,
    q: float,
    bounds: tuple[list[float], list[float]],
    y: np.ndarray,
    r2: float,
) -> str:
    """Why a fit is not determined by its data, or ``""`` when it is (the rules of the module docstring).

    Args:
        model: ``"exponential"`` or ``"stretched"``.
        popt: fitted ``y0, y_inf, tau[, beta]``; err: their standard errors; q: the Student-t 97.5 % quantile.
        bounds: the search bounds (lower, upper) per parameter.
        y: the data; r2: the fit's coefficient of determination.
    """
    names = ("y0", "y∞", "τ", "β")[: popt.size]
    if not np.all(np.isfinite(err)):
        return "the covariance is not finite: the data do not constrain the parameters"
    for name, value, lo, hi in zip(names, popt, *bounds, strict=True):
        for bound in (lo, hi):
            if math.isfinite(bound) and abs(value - bound) <= _BOUND_RTOL * max(abs(bound), 1e-300):
                return f"{name} sits at its search bound {bound:.4g}"
    checked = [(2, "τ")] + ([(3, "β")] if model == "stretched" else [])
    for i, name in checked:
        if q * err[i] >= abs(popt[i]):
            return f"the 95 % interval of {name} is wider than {name} itself"
    lo_y, hi_y = float(np.min(y)), float(np.max(y))
    span = hi_y - lo_y
    if not lo_y - span <= popt[1] <= hi_y + span:
        return "y∞ lies beyond the range of the data by more than their span"
    if r2 < R2_MIN:
        return f"r² is below {R2_MIN}: the law does not describe the data"
    return ""
    # The reasons carry no fitted numbers on purpose: an undetermined fit's numbers are noise (they move with the
    # BLAS kernel), and the reason is compared exactly by the golden tests.


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
    r2 = 1.0 - float(np.sum(resid**2)) / ss_tot
    reason = undetermined_reason(model, popt, err, float(q), (lower, upper), y, r2)
    return Fit(
        model=model,
        y0=float(popt[0]),
        y_inf=float(popt[1]),
        tau=tau,
        beta=beta,
        tau_ci=(tau - q * tau_e, tau + q * tau_e),
        beta_ci=(beta - q * beta_e, beta + q * beta_e),
        rmse=float(np.sqrt(np.mean(resid**2))),
        r2=r2,
        t0=t0,
        se=(float(err[0]), float(err[1]), tau_e, beta_e),
        determined=not reason,
        reason=reason,
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
    if not fit.determined:
        raise ValueError(f"the fit is not determined ({fit.reason}); its progress curve is not defined")
    phi = (np.asarray(y, np.float64) - fit.y0) / span
    return np.interp(u, x, phi)


def time_to_fraction(t: Sequence[float], y: Sequence[float], steady: float, fraction: float = 0.9) -> float | None:
    """First time in a rising course (`t`, `y`) at which `y` reaches `fraction` of its steady value `steady`
    (e.g. the time a membrane needs to build 90 % of its Δψ); None if it never does, or if `steady` is not
    positive."""
    if not steady > 0:
        return None
    for ti, v in zip(t, y, strict=True):
        if v >= fraction * steady:
            return float(ti)
    return None
