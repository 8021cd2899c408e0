"""Metabolic control analysis: flux control coefficients from perturbed runs, with confidence intervals.

Key names: `control_coefficient`, `mean_ci`, `control_table`, `pool_runs`, `LITERATURE`.

A flux control coefficient is ``C_i = d ln J / d ln E_i``: the relative change of a steady flux J (here the
oxygen consumption) per relative change of the amount of enzyme i. Measured by central differences in
log–log: one run with E_i·f and one with E_i/f, so ``C_i ≈ (ln J₊ − ln J₋) / (2 ln f)``, exact for a power
law and second-order accurate otherwise. The summation theorem says that over *every* step of the system
(anything whose amount scales a rate) the coefficients sum to 1: scaling all of them by one factor scales
time, so the steady flux scales by the same factor.

Replicates are independent runs; the coefficient of each step and their sum are taken per replicate, so the
sum's interval carries the replicates' own covariance. Intervals are Student-t intervals of the replicate
mean (`scipy.stats.t`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["LITERATURE", "control_coefficient", "control_table", "mean_ci", "pool_runs"]

LITERATURE: dict[str, dict[str, str]] = {
    "exchanger": {
        "state 4": "≈ 0 (Groen et al. 1982, rat liver)",
        "state 3": "≈ 0.3 at ≈ 80 % of state 3; shares control with substrate carriers and oxidase (Groen 1982)",
    },
    "complex_IV": {"state 3": "shares control in state 3 (Groen 1982)"},
    "supply": {"state 3": "substrate carriers share control in state 3 (Groen 1982)"},
    "leak": {"state 4": "most of the control without phosphorylation (Hafner, Brown & Brand 1990)"},
    "synthase": {"state 3": "phosphorylating system shares control with the chain (Hafner 1990)"},
}
"""What the measurements say, per step and state (`../shared/reference/bioenergetics.md`, "Who controls the
flux"); qualitative where the sources are."""


def control_coefficient(j_up: float, j_down: float, factor: float) -> float | None:
    """``(ln J₊ − ln J₋) / (2 ln f)``: the log–log central difference for amounts E·f and E/f.

    None when a flux is not positive (no log; e.g. a window with net O₂ production).
    """
    if not factor > 1:
        raise ValueError(f"factor(={factor!r}) must be > 1")
    if not (j_up > 0 and j_down > 0):
        return None
    return (math.log(j_up) - math.log(j_down)) / (2.0 * math.log(factor))


def mean_ci(values: Sequence[float], level: float = 0.95) -> dict[str, Any]:
    """Mean of `values` with its Student-t interval at `level` (``lo``/``hi`` None with fewer than 2 values).

    Returns ``mean``, ``lo``, ``hi``, ``half`` (half-width), ``se`` and ``n``.
    """
    x = np.asarray([v for v in values if v is not None], float)
    n = int(x.size)
    if n == 0:
        return {"mean": None, "lo": None, "hi": None, "half": None, "se": None, "n": 0}
    mean = float(x.mean())
    if n < 2:
        return {"mean": mean, "lo": None, "hi": None, "half": None, "se": None, "n": n}
    se = float(x.std(ddof=1) / math.sqrt(n))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * se)
    return {"mean": mean, "lo": mean - half, "hi": mean + half, "half": half, "se": se, "n": n}


_EXACT_ZERO = {"mean": 0.0, "lo": 0.0, "hi": 0.0, "half": 0.0, "se": 0.0, "n": 0}
"""The `mean_ci` fields of a coefficient that is exactly 0 (a step absent at a level), not measured."""


def _holds_one(ci: Mapping[str, Any]) -> bool | None:
    """Whether 1 lies in a `mean_ci` interval (None without one)."""
    return None if ci["lo"] is None else bool(ci["lo"] <= 1.0 <= ci["hi"])


def control_table(
    fluxes: Mapping[str, Sequence[tuple[float, float] | None]], factor: float, level: float = 0.95
) -> dict[str, Any]:
    """Control coefficients of every step and their sum, from paired up/down fluxes per replicate.

    Args:
        fluxes: per step, one ``(J₊, J₋)`` per replicate (same replicate count for every step); None for a step
            that is absent in this state (amount 0: its coefficient is exactly 0 and it is not measured).
        factor: the amount factor f (> 1).
        level: confidence level of the intervals.

    Returns:
        ``steps``: per step ``absent`` (bool), ``replicates`` (C per replicate) and the `mean_ci` fields;
        ``sum``: the `mean_ci` of the per-replicate sums plus ``replicates``; ``summation_holds``: whether 1 lies
        in the sum's interval (None without an interval).
    """
    counts = {len(v) for v in fluxes.values() if v is not None and len(v)}
    if len(counts) > 1:
        raise ValueError(f"every step needs the same number of replicates (got {sorted(counts)})")
    n_rep = counts.pop() if counts else 0
    steps: dict[str, Any] = {}
    sums = np.zeros(n_rep)
    valid = np.ones(n_rep, bool)
    for name, pairs in fluxes.items():
        if pairs is None:
            steps[name] = {"absent": True, "replicates": [], **_EXACT_ZERO}
            continue
        cs = [None if p is None else control_coefficient(p[0], p[1], factor) for p in pairs]
        for r, c in enumerate(cs):
            if c is None:
                valid[r] = False
            else:
                sums[r] += c
        steps[name] = {"absent": False, "replicates": cs, **mean_ci(cs, level)}
    rep_sums = [float(s) if ok else None for s, ok in zip(sums, valid, strict=True)]
    total = {**mean_ci(rep_sums, level), "replicates": rep_sums}
    return {"steps": steps, "sum": total, "summation_holds": _holds_one(total), "factor": factor, "level": level}


def pool_runs(results: Sequence[Mapping[str, Any]], level: float = 0.95) -> list[dict[str, Any]]:
    """The replicates of several `control_analysis` runs (different seeds, otherwise the same protocol) taken as
    one sample: per demand level, the `mean_ci` of every run's per-replicate sums, of each step's per-replicate
    coefficients and (when every step ran) of the all-together coefficient.

    Replicates are independent within a run and across seeds, so pooling n runs of r replicates gives one
    interval over n·r of them, about √n narrower than one run's: the summation theorem then meets a sharper
    test than any one run gives it.

    Args:
        results: the ``results`` of each run's ``summary.json``.
        level: confidence level of the intervals.

    Returns:
        One dict per level, in the runs' level order: ``demand``, ``name``, ``runs`` (how many), ``sum`` and
        ``together`` (`mean_ci` fields, ``together`` None when a run left steps out), ``steps`` (per step the
        `mean_ci` fields, or ``absent`` True), and ``summation_holds`` (whether 1 lies in the pooled sum's
        interval; None without one).

    Raises:
        ValueError: when the runs disagree on the factor, the levels or the steps (they are not one protocol).
    """
    if not results:
        raise ValueError("no runs to pool")
    first = results[0]
    for r in results[1:]:
        if r["factor"] != first["factor"]:
            raise ValueError(f"runs with factors {first['factor']} and {r['factor']} are not one protocol")
        if [lv["demand"] for lv in r["levels"]] != [lv["demand"] for lv in first["levels"]]:
            raise ValueError("runs with different demand levels are not one protocol")
        if [sorted(lv["steps"]) for lv in r["levels"]] != [sorted(lv["steps"]) for lv in first["levels"]]:
            raise ValueError("runs that perturb different steps are not one protocol")
    out = []
    for i, lv in enumerate(first["levels"]):
        levels = [r["levels"][i] for r in results]
        steps: dict[str, Any] = {}
        for name, st in lv["steps"].items():
            if st["absent"]:
                steps[name] = {"absent": True, **_EXACT_ZERO}
            else:
                cs = [c for x in levels for c in x["steps"][name]["replicates"]]
                steps[name] = {"absent": False, **mean_ci(cs, level)}
        total = mean_ci([s for x in levels for s in x["sum"]["replicates"]], level)
        complete = all("together" in x for x in levels)
        together = mean_ci([c for x in levels for c in x["together"]["replicates"]], level) if complete else None
        out.append(
            {
                "demand": lv["demand"],
                "name": lv["name"],
                "runs": len(results),
                "steps": steps,
                "sum": total,
                "together": together,
                "summation_holds": _holds_one(total),
            }
        )
    return out
