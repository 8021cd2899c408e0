"""Equivalence testing: two one-sided tests (TOST), their power, and a monotone-family null for curve shapes.

Key names: `TostResult`, `tost`, `tost_power`, `seeds_for_power`, `RIVAL_FAMILIES`, `rival_fits`,
`family_null_test`, `FamilyNullResult`.

Why TOST. "The two worlds have the same β" is a claim of *equivalence*. A difference test that fails to reject
(0 inside the 95 % interval) is no evidence of sameness: noisier data makes it easier to pass. TOST (Schuirmann
1987) turns the burden around: equivalence is shown at level α only when the difference is significantly above
−margin *and* significantly below +margin, i.e. when the (1 − 2α) interval of the difference lies inside
(−margin, +margin). Noise then makes equivalence harder to show, as it should. The two one-sided tests are
Welch t-tests (`scipy.stats.ttest_ind`, unequal variances) on samples shifted by the margin.

Power. With per-seed standard deviations s_a, s_b and n seeds per world the standard error of the difference
is SE = √(s_a²/n + s_b²/n); with a true difference δ, TOST at level α has power
≈ T((m − δ)/SE − t₁₋α) + T((m + δ)/SE − t₁₋α) − 1, T the Student-t distribution with the Welch–Satterthwaite
degrees of freedom (clipped at 0; Chow, Shao & Wang, *Sample Size Calculations in Clinical Research*, §3.2,
with t for z). `seeds_for_power` inverts it.

Why a monotone-family null. Phase-randomised surrogates destroy monotonicity, so any two smooth relaxations beat
them. `family_null_test` asks instead whether curve b is closer to curve a than curves that are *also* smooth
monotone relaxations, with b's own noise, but of another family (single exponential, stretched with another β,
logistic, power law), each fitted to b as well as it can be. b counts as having a's shape only if it beats every
rival family: then the match is specific to the shape, not to "rises and saturates".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


@dataclass(frozen=True)
class TostResult:
    """Outcome of a two one-sided tests (TOST) equivalence test of mean(a) − mean(b) at ±margin.

    Attributes:
        diff: mean(a) − mean(b).
        ci_low, ci_high: the (1 − 2α) Welch interval of the difference (the interval TOST inspects).
        p_lower: p of H0 diff ≤ −margin; p_upper: p of H0 diff ≥ +margin.
        p_value: max(p_lower, p_upper), the TOST p-value.
        margin, alpha: the declared margin and level.
        n_a, n_b: sample sizes.
        equivalent: p_value < alpha (the interval lies inside ±margin).
    """

    diff: float
    ci_low: float
    ci_high: float
    p_lower: float
    p_upper: float
    p_value: float
    margin: float
    alpha: float
    n_a: int
    n_b: int
    equivalent: bool

    def as_dict(self) -> dict[str, float | int | bool]:
        """Plain numbers for a summary."""
        return dict(self.__dict__)


def tost(a: Sequence[float], b: Sequence[float], margin: float, alpha: float = 0.05) -> TostResult:
    """Two one-sided Welch t-tests of |mean(a) − mean(b)| < margin.

    Args:
        a, b: samples (NaN entries are dropped: an undetermined measurement is not a number).
        margin: equivalence margin (> 0), in the unit of the samples, declared before the data are seen.
        alpha: level of each one-sided test (the interval inspected is the 1 − 2α one).

    Returns:
        A `TostResult`; fewer than 2 values on a side, or no spread at all, gives p = 1 unless the samples are
        constant and their difference lies inside the margin.

    Raises:
        ValueError: margin ≤ 0 or alpha outside (0, 0.5).
    """
    if not margin > 0:
        raise ValueError(f"margin(={margin}) must be > 0")
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha(={alpha}) must lie in (0, 0.5)")
    xa = np.asarray(a, np.float64)
    xb = np.asarray(b, np.float64)
    xa, xb = xa[np.isfinite(xa)], xb[np.isfinite(xb)]
    diff = float(xa.mean() - xb.mean()) if xa.size and xb.size else float("nan")
    if xa.size < 2 or xb.size < 2:
        return TostResult(diff, -np.inf, np.inf, 1.0, 1.0, 1.0, margin, alpha, xa.size, xb.size, False)
    va, vb = xa.var(ddof=1) / xa.size, xb.var(ddof=1) / xb.size
    if va + vb == 0:
        inside = abs(diff) < margin
        p = 0.0 if inside else 1.0
        return TostResult(diff, diff, diff, p, p, p, margin, alpha, xa.size, xb.size, inside)
    p_lower = float(stats.ttest_ind(xa + margin, xb, equal_var=False, alternative="greater").pvalue)
    p_upper = float(stats.ttest_ind(xa - margin, xb, equal_var=False, alternative="less").pvalue)
    se = float(np.sqrt(va + vb))
    dof = (va + vb) ** 2 / (va**2 / (xa.size - 1) + vb**2 / (xb.size - 1))
    q = float(stats.t.ppf(1 - alpha, dof))
    p = max(p_lower, p_upper)
    return TostResult(
        diff, diff - q * se, diff + q * se, p_lower, p_upper, p, margin, alpha, xa.size, xb.size, bool(p < alpha)
    )


def tost_power(n: int, sd_a: float, sd_b: float, margin: float, true_diff: float = 0.0, alpha: float = 0.05) -> float:
    """Approximate power of `tost` with n values per side (t approximation, see the module docstring)."""
    if n < 2:
        return 0.0
    se = float(np.sqrt(sd_a**2 / n + sd_b**2 / n))
    if se == 0:
        return 1.0 if abs(true_diff) < margin else 0.0
    va, vb = sd_a**2 / n, sd_b**2 / n
    dof = (va + vb) ** 2 / ((va**2 + vb**2) / (n - 1))
    q = float(stats.t.ppf(1 - alpha, dof))
    d = abs(true_diff)
    power = stats.t.cdf((margin - d) / se - q, dof) + stats.t.cdf((margin + d) / se - q, dof) - 1.0
    return float(max(0.0, power))


def seeds_for_power(
    sd_a: float, sd_b: float, margin: float, power: float = 0.8, true_diff: float = 0.0, alpha: float = 0.05,
    n_max: int = 1000,
) -> int:  # fmt: skip
    """Smallest n per side with `tost_power` ≥ `power` (n_max + 1 when even n_max is not enough)."""
    for n in range(2, n_max + 1):
        if tost_power(n, sd_a, sd_b, margin, true_diff, alpha) >= power:
            return n
    return n_max + 1


# ---------------------------------------------------------------------------------------------- shape null
def _exponential(u: np.ndarray, c: float, a: float) -> np.ndarray:
    return c * (1.0 - np.exp(-u / a))


def _logistic(u: np.ndarray, c: float, m: float, s: float) -> np.ndarray:
    return c * (1.0 / (1.0 + np.exp(-(u - m) / s)) - 1.0 / (1.0 + np.exp(m / s)))


def _power_law(u: np.ndarray, c: float, a: float, k: float) -> np.ndarray:
    return c * (1.0 - np.power(1.0 + u / a, -k))


def _stretched(beta: float) -> Callable[..., np.ndarray]:
    def f(u: np.ndarray, c: float, a: float) -> np.ndarray:
        return c * (1.0 - np.exp(-np.power(u / a, beta)))

    return f


BETA_OFFSET = 0.5
"""A rival stretched exponential has β shifted by ± this much from the curve's own fitted β."""

RIVAL_FAMILIES = ("exponential", "stretched β−0.5", "stretched β+0.5", "logistic", "power law")
"""Monotone relaxation families that a shared shape has to beat (all start at 0 and saturate)."""


def rival_fits(u: np.ndarray, y: np.ndarray, beta: float) -> dict[str, np.ndarray]:
    """The best curve of every rival family fitted to progress curve `y` on reduced time `u` (least squares).

    Args:
        u: reduced times t/τ (≥ 0, increasing).
        y: progress φ(u), ≈ 0 at u = 0 and ≈ 1 at the end.
        beta: the curve's own stretching exponent (the stretched rivals use β ± `BETA_OFFSET`, at least 0.2).

    Returns:
        Family name → fitted curve on `u`. A family whose fit fails is left out.
    """
    u = np.asarray(u, np.float64)
    y = np.asarray(y, np.float64)
    specs: dict[str, tuple[Callable[..., np.ndarray], list[float], tuple[list[float], list[float]]]] = {
        "exponential": (_exponential, [1.0, 1.0], ([0.0, 1e-3], [10.0, 1e3])),
        "stretched β−0.5": (_stretched(max(0.2, beta - BETA_OFFSET)), [1.0, 1.0], ([0.0, 1e-3], [10.0, 1e3])),
        "stretched β+0.5": (_stretched(beta + BETA_OFFSET), [1.0, 1.0], ([0.0, 1e-3], [10.0, 1e3])),
        "logistic": (_logistic, [1.0, 1.0, 0.5], ([0.0, -10.0, 1e-3], [10.0, 10.0, 1e2])),
        "power law": (_power_law, [1.0, 1.0, 1.0], ([0.0, 1e-3, 1e-2], [10.0, 1e3, 1e2])),
    }
    out = {}
    for name, (f, p0, bounds) in specs.items():
        try:
            popt, _ = optimize.curve_fit(f, u, y, p0=p0, bounds=bounds, maxfev=5000)
        except (RuntimeError, ValueError):
            continue
        out[name] = f(u, *popt)
    return out


@dataclass(frozen=True)
class FamilyNullResult:
    """Distance of curve b from curve a, ranked against rival-family surrogates of b (one p per family).

    Attributes:
        distance: RMS(a − b).
        p_values: family → (1 + #surrogates at least as close to a as b) / (n + 1).
        p_value: the largest of them (b must beat every family).
        n_surrogates: surrogates per family.
    """

    distance: float
    p_values: dict[str, float]
    p_value: float
    n_surrogates: int

    def same_shape(self, alpha: float = 0.05) -> bool:
        """True when b is closer to a than every rival family's surrogates (max p < alpha)."""
        return self.p_value < alpha


def family_null_test(
    a: np.ndarray, b: np.ndarray, u: np.ndarray, beta_b: float, rng: np.random.Generator, n_surrogates: int = 99
) -> FamilyNullResult:
    """Is b closer to a than monotone relaxations of other families with b's own noise?

    Surrogates of b: the best fit of a rival family to b plus b's residual about its own stretched-exponential
    progress curve 1 − exp(−u^β_b), circularly shifted by a random lag and sign-flipped (which keeps the
    residual's size and autocorrelation). p for a family = rank of RMS(a − b) among RMS(a − surrogate).

    Args:
        a, b: progress curves on the reduced-time grid `u` (a is the reference world).
        u: the reduced-time grid.
        beta_b: stretching exponent of b's own fit.
        rng: the run's generator.
        n_surrogates: surrogates per family.
    """
    a, b, u = (np.asarray(x, np.float64) for x in (a, b, u))
    if not (a.shape == b.shape == u.shape and a.ndim == 1 and a.size >= 8):
        raise ValueError("curves and grid must be 1-D, of one length, with at least 8 points")
    observed = float(np.sqrt(np.mean((a - b) ** 2)))
    resid = b - (1.0 - np.exp(-np.power(u, beta_b)))
    p_values = {}
    for name, curve in rival_fits(u, b, beta_b).items():
        closer = 0
        for _ in range(n_surrogates):
            noise = np.roll(resid, int(rng.integers(resid.size))) * (1.0 if rng.random() < 0.5 else -1.0)
            closer += float(np.sqrt(np.mean((a - curve - noise) ** 2))) <= observed
        p_values[name] = (1 + closer) / (n_surrogates + 1)
    return FamilyNullResult(observed, p_values, max(p_values.values(), default=1.0), n_surrogates)
