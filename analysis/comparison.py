"""Comparing the two worlds: the seeds' analogy table and a pre-declared test of a shared pattern.

Key names: `DECLARED_FEATURES`, `phase_randomised`, `surrogate_test`, `SurrogateResult`, `beta_agreement`,
`pattern_verdict`, `ANALOGY_ROWS`, `analogy_table`.

The claim under test is that both worlds relax the same way. What counts as "the same" is declared here,
before any run, and is dimensionless: (1) the stretching exponent β of each world's relaxation, and (2) the
shape of its progress curve φ against reduced time t/τ. A "same pattern" verdict needs both: β agreeing across
at least `MIN_SEEDS` seeds (the mean difference within `BETA_TOLERANCE` and inside the 95 % interval of the
difference), and the φ(t/τ) curves closer to each other than to phase-randomised surrogates (rank p-value
below `ALPHA` for every seed). Otherwise the verdict says the pattern is not shared, and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

DECLARED_FEATURES = ("beta", "phi_shape")
MIN_SEEDS = 5
BETA_TOLERANCE = 0.15
ALPHA = 0.05
N_SURROGATES = 199


def phase_randomised(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A surrogate of `x` with the same power spectrum (and mean) and random Fourier phases."""
    x = np.asarray(x, np.float64)
    spec = np.fft.rfft(x - x.mean())
    phases = rng.uniform(0.0, 2.0 * np.pi, spec.size)
    phases[0] = 0.0
    if x.size % 2 == 0:
        phases[-1] = 0.0  # the Nyquist term must stay real
    return np.fft.irfft(np.abs(spec) * np.exp(1j * phases), n=x.size) + x.mean()


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


@dataclass(frozen=True)
class SurrogateResult:
    """Distance between two curves, and where it ranks among distances to surrogates of the second."""

    distance: float
    p_value: float
    n_surrogates: int

    @property
    def same_shape(self) -> bool:
        """True when the observed distance is smaller than would be expected by chance (p < ALPHA)."""
        return self.p_value < ALPHA


def surrogate_test(
    a: np.ndarray, b: np.ndarray, rng: np.random.Generator, n_surrogates: int = N_SURROGATES
) -> SurrogateResult:
    """Rank test: is RMS(a − b) smaller than RMS(a − s) for phase-randomised surrogates s of b?

    p = (1 + #{surrogates at least as close as b}) / (n + 1).
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size < 8:
        raise ValueError("curves must be 1-D, of one length, with at least 8 points")
    observed = _distance(a, b)
    closer = sum(_distance(a, phase_randomised(b, rng)) <= observed for _ in range(n_surrogates))
    return SurrogateResult(observed, (1 + closer) / (n_surrogates + 1), n_surrogates)


def beta_agreement(beta_a: Sequence[float], beta_b: Sequence[float]) -> dict[str, float | bool]:
    """Do two worlds' β agree across seeds? Mean difference, its 95 % interval (Welch), and the verdict."""
    a, b = np.asarray(beta_a, np.float64), np.asarray(beta_b, np.float64)
    diff = float(a.mean() - b.mean())
    if a.size < 2 or b.size < 2:
        return {"diff": diff, "ci_low": -np.inf, "ci_high": np.inf, "agree": False}
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = float(np.sqrt(va + vb))
    if se == 0:
        lo = hi = diff
    else:
        dof = (va + vb) ** 2 / ((va**2 / (a.size - 1) if va else 0) + (vb**2 / (b.size - 1) if vb else 0) or 1e-300)
        q = float(stats.t.ppf(0.975, dof))
        lo, hi = diff - q * se, diff + q * se
    agree = bool(abs(diff) <= BETA_TOLERANCE and lo <= 0.0 <= hi)
    return {"diff": diff, "ci_low": float(lo), "ci_high": float(hi), "agree": agree}


def pattern_verdict(beta_a: Sequence[float], beta_b: Sequence[float], p_values: Sequence[float]) -> dict[str, object]:
    """The declared test: same pattern only if β agrees over ≥ MIN_SEEDS seeds and every shape p < ALPHA."""
    n = min(len(beta_a), len(beta_b), len(p_values))
    beta = beta_agreement(beta_a, beta_b)
    shapes_ok = bool(n > 0 and all(p < ALPHA for p in p_values))
    reasons = []
    if n < MIN_SEEDS:
        reasons.append(f"only {n} seeds (need {MIN_SEEDS})")
    if not beta["agree"]:
        reasons.append(f"β differs by {beta['diff']:+.3f} (95% CI {beta['ci_low']:+.3f}..{beta['ci_high']:+.3f})")
    if not shapes_ok:
        reasons.append(f"φ(t/τ) shape not closer than surrogates (max p = {max(p_values, default=1.0):.3f})")
    shared = not reasons
    return {
        "shared": shared,
        "seeds": n,
        "beta": beta,
        "max_shape_p": float(max(p_values, default=1.0)),
        "statement": "the relaxation pattern is shared"
        if shared
        else "the pattern is not shared: " + "; ".join(reasons),
    }


ANALOGY_ROWS = (
    ("electron transport chain", "gradient descent", "builds the gradient"),
    ("proton gradient", "weights", "stored order"),
    ("ATP", "logits", "spendable currency"),
    ("ATP synthase", "attention", "the engine that spends the gradient"),
    ("metabolism", "inference", "spending order to do work"),
)


def analogy_table(measured: Mapping[str, Mapping[str, tuple[str, float, str]]]) -> pd.DataFrame:
    """The seeds' analogy with the measured quantity on each side.

    Args:
        measured: ``{"membrane": {row_name: (quantity, value, unit)}, "attention": {...}}`` keyed by the
            membrane-side name of each `ANALOGY_ROWS` row for the membrane, the attention-side name for attention.

    Returns:
        One row per analogy: membrane term, its quantity, value and unit, attention term, quantity, value, unit.
    """
    rows = []
    for mem, att, role in ANALOGY_ROWS:
        mq, mv, mu = measured["membrane"].get(mem, ("not measured", float("nan"), ""))
        aq, av, au = measured["attention"].get(att, ("not measured", float("nan"), ""))
        rows.append(
            {
                "role": role,
                "membrane": mem,
                "membrane_quantity": mq,
                "membrane_value": float(mv),
                "membrane_unit": mu,
                "attention": att,
                "attention_quantity": aq,
                "attention_value": float(av),
                "attention_unit": au,
            }
        )
    return pd.DataFrame(rows)
