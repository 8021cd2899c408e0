"""Comparing the two worlds: the seeds' analogy table and a pre-declared equivalence test of a shared pattern.

Key names: `DECLARED_FEATURES`, `MIN_SEEDS`, `BETA_MARGIN`, `ALPHA`, `PILOT_BETA_SD`, `power_statement`,
`combine_shape_p`, `pattern_verdict`, `ANALOGY_ROWS`, `analogy_table`.

The claim under test is that both worlds build their gradient the same way. What counts as "the same" is
declared here, before any run, and is dimensionless: (1) the stretching exponent β of each world's build-up,
and (2) the shape of its progress curve φ against reduced time t/τ. A "shared pattern" verdict needs both:
β *equivalent* by a two one-sided tests procedure (`analysis.equivalence.tost`) at margin `BETA_MARGIN` and
level `ALPHA` over at least `MIN_SEEDS` seeds, and the attention curve closer to the membrane's than
monotone relaxations of every rival family with the same noise (`analysis.equivalence.family_null_test`, one
p-value per seed and family, combined over seeds by Fisher's method; every family's combined p < `ALPHA`).
A failed TOST is reported as "different" when the 90 % interval of Δβ excludes 0 and as "not shown" otherwise.

Seeds: `MIN_SEEDS` = 10 is the floor. `power_statement` says what power that buys at the pilot spread of β
(`PILOT_BETA_SD`, measured in a 5-seed run before this test was declared) and how many seeds 80 % would need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.equivalence import seeds_for_power, tost, tost_power

DECLARED_FEATURES = ("beta", "phi_shape")
MIN_SEEDS = 10
BETA_MARGIN = 0.15
ALPHA = 0.05
PILOT_BETA_SD = {"membrane_charge": 0.051, "attention_training": 0.21, "attention_control": 0.065}
"""Seed-to-seed sd of β in the 5-seed pilot run at the defaults (the run that preceded this test)."""


def power_statement(n: int, sd_a: float, sd_b: float, margin: float = BETA_MARGIN) -> dict[str, float | int]:
    """Power of the β TOST with `n` seeds at spreads `sd_a`, `sd_b` (true Δβ = 0), and seeds for 80 %."""
    return {
        "seeds": n,
        "power": tost_power(n, sd_a, sd_b, margin, 0.0, ALPHA),
        "seeds_for_80_percent": seeds_for_power(sd_a, sd_b, margin, 0.8, 0.0, ALPHA),
        "sd_a": sd_a,
        "sd_b": sd_b,
    }


def combine_shape_p(p_by_seed: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Fisher's combination over seeds of each rival family's shape p-value (`scipy.stats.combine_pvalues`)."""
    families = sorted({f for d in p_by_seed for f in d})
    out = {}
    for fam in families:
        ps = [d[fam] for d in p_by_seed if fam in d]
        out[fam] = float(stats.combine_pvalues(ps, method="fisher").pvalue) if ps else 1.0
    return out


def pattern_verdict(
    beta_a: Sequence[float], beta_b: Sequence[float], shape_p_by_seed: Sequence[Mapping[str, float]]
) -> dict[str, object]:
    """The declared test: β equivalent (TOST) over ≥ MIN_SEEDS seeds and the shape beating every rival family."""
    a, b = np.asarray(beta_a, np.float64), np.asarray(beta_b, np.float64)
    n = int(min(np.isfinite(a).sum(), np.isfinite(b).sum()))
    beta = tost(a, b, BETA_MARGIN, ALPHA)
    shape_p = combine_shape_p(shape_p_by_seed)
    worst = max(shape_p.values(), default=1.0)
    shapes_ok = bool(shape_p) and worst < ALPHA
    reasons = []
    kind = "equivalent" if beta.equivalent else "is not shown equivalent"
    if beta.ci_low > 0 or beta.ci_high < 0:
        kind = "differs"
    if n < MIN_SEEDS:
        reasons.append(f"only {n} seeds (need {MIN_SEEDS})")
    if not beta.equivalent:
        reasons.append(
            f"β {kind}: Δβ = {beta.diff:+.3f}, 90% CI {beta.ci_low:+.3f}..{beta.ci_high:+.3f} vs margin ±{BETA_MARGIN}"
        )
    if not shapes_ok:
        fam = max(shape_p, key=shape_p.get) if shape_p else "any family"
        reasons.append(f"φ(t/τ) not closer than rival relaxations ({fam}: combined p = {worst:.3g})")
    shared = not reasons
    return {
        "shared": shared,
        "seeds": n,
        "beta": beta.as_dict(),
        "beta_status": kind,
        "shape_p": shape_p,
        "max_shape_p": float(worst),
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
