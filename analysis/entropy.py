"""Entropy accounting for both worlds, in nats unless a name says bits.

Key names: `shannon_entropy`, `kl_divergence`, `spatial_entropy`, `entropy_production_membrane`,
`entropy_production_attention`, `heat_nats`, `slope_with_ci`.

One unit for both worlds: `heat_nats` expresses the membrane's entropy production Q/T in units of k_B (nats),
the unit in which the proton field's Shannon entropy, the cross-entropy and the next-token entropy are already
given, so the two worlds' entropy changes can be set on one axis; `slope_with_ci` measures the sign and size of
a rate dS/dt or dH/dt with its interval.

Membrane: the spatial entropy of the coarse-grained proton distribution and its distance from equilibrium
(the uniform spread over the accessible cells), and entropy production heat/T in J/K. Attention: the entropy
of the next-token distribution, and "entropy production" as the decrease of excess loss (nats/token), the
information-theoretic analogue — the units differ, and every function says which it returns.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from world.constants import K_B

_TOL = 1e-9


def shannon_entropy(p: np.ndarray, axis: int = -1) -> np.ndarray | float:
    """H(p) = −Σ p log p in nats along `axis` (0·log 0 = 0).

    Raises:
        ValueError: negative entries or rows that do not sum to 1 (within 1e-9).
    """
    p = np.asarray(p, dtype=np.float64)
    if np.any(p < 0):
        raise ValueError("probabilities must be >= 0")
    if not np.allclose(p.sum(axis=axis), 1.0, atol=1e-6):
        raise ValueError("probabilities must sum to 1 along the axis")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    h = terms.sum(axis=axis)
    return float(h) if np.ndim(h) == 0 else h


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """D(p‖q) = Σ p log(p/q) in nats; infinite where q = 0 < p."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"shapes {p.shape} and {q.shape} differ")
    mask = p > 0
    if np.any(q[mask] <= 0):
        return float("inf")
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


def spatial_entropy(counts: np.ndarray, block: int = 1) -> tuple[float, float]:
    """Coarse-grained spatial entropy of a particle count field and its distance from equilibrium.

    Args:
        counts: non-negative counts per lattice cell (any shape; e.g. one compartment's band).
        block: cells per coarse-grain block along each axis (blocks at the edges may be smaller).

    Returns:
        ``(S, S_max − S)`` in nats, where S is the entropy of the occupation fractions of the coarse blocks and
        S_max = ln(number of blocks) is its equilibrium (uniform) value; the second number is the KL divergence
        from the uniform distribution, 0 at equilibrium.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if np.any(counts < 0):
        raise ValueError("counts must be >= 0")
    if block < 1:
        raise ValueError(f"block(={block}) must be >= 1")
    coarse = counts
    for axis in range(counts.ndim):
        edges = np.arange(0, counts.shape[axis], block)
        coarse = np.add.reduceat(coarse, edges, axis=axis)
    total = coarse.sum()
    if total <= 0:
        raise ValueError("counts must not all be zero")
    s = float(shannon_entropy(coarse.ravel() / total))
    s_max = float(np.log(coarse.size))
    return s, s_max - s


def entropy_production_membrane(heat_J: np.ndarray, t: np.ndarray, T: float) -> np.ndarray:
    """Rate of entropy production dS/dt = (dQ/dt)/T in J/(K·s) from a cumulative heat series (J)."""
    heat_J, t = np.asarray(heat_J, np.float64), np.asarray(t, np.float64)
    if T <= 0:
        raise ValueError(f"T(={T}) must be > 0")
    return np.gradient(heat_J, t) / T


def entropy_production_attention(excess_loss_nats: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Rate at which training removes excess cross-entropy, −d(excess)/dt, in nats/token per unit time."""
    return -np.gradient(np.asarray(excess_loss_nats, np.float64), np.asarray(t, np.float64))


def heat_nats(heat_J: np.ndarray | float, T: float) -> np.ndarray | float:
    """Entropy produced by dissipating `heat_J` at temperature T, in units of k_B (nats): Q / (k_B·T)."""
    if T <= 0:
        raise ValueError(f"T(={T}) must be > 0")
    return np.asarray(heat_J, np.float64) / (K_B * T) if np.ndim(heat_J) else float(heat_J) / (K_B * T)


def slope_with_ci(t: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """Least-squares slope dy/dt with its t-interval (`scipy.stats.linregress`); NaN with fewer than 3 points."""
    t, y = np.asarray(t, np.float64), np.asarray(y, np.float64)
    ok = np.isfinite(t) & np.isfinite(y)
    t, y = t[ok], y[ok]
    if t.size < 3 or np.ptp(t) == 0:
        return {"slope": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    fit = stats.linregress(t, y)
    half = float(stats.t.ppf(0.5 + confidence / 2, t.size - 2) * fit.stderr)
    return {"slope": float(fit.slope), "ci_low": float(fit.slope - half), "ci_high": float(fit.slope + half)}
