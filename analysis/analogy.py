"""Every row of the analogy decided by a measurement made in both worlds.

Key names: `RowPrediction`, `ROW_PREDICTIONS`, `world_status`, `decide_row`, `decide_rows`.

Each row of `analysis.comparison.ANALOGY_ROWS` pairs a part of the membrane with a part of the attention
world. A pairing is only worth something if it predicts: whatever the membrane part does, its partner should
do too. For every row one prediction is declared here, before any run, as a dimensionless effect measured per
seed in each world and a threshold that says "the world shows it". A world *shows* the prediction when the
95 % t-interval of its seed mean lies on the "yes" side of the threshold, does *not* show it when the
interval lies on the other side, and shows it *partly* when the interval straddles the threshold (with one
seed, the value alone decides). The row then **holds** (both worlds show it), **breaks** (one shows it and
the other does not — or neither does), or holds **partly** (any world partly).

The predictions (effect, threshold):
1. ETC ↔ gradient descent, back-pressure: the builder slows as its gradient rises — builder rate over the last
   quarter of the build-up ÷ its peak rate < 0.8 (membrane: H⁺ pumped per second; attention: gradient norm).
2. proton gradient ↔ weights, the store is spent by use: order left after the discharge window ÷ order at its
   start < 0.9 (membrane: Δp; attention: held-out 1 − excess/(ln V − h) before and after the token stream).
3. ATP ↔ logits, the currency dwindles with the store: output rate in the last quarter of the discharge window ÷
   the first quarter < 0.8 (membrane: ATP synthesised per second; attention: bits saved per token).
4. ATP synthase ↔ attention, blocking the converter stops the output: output with the converter blocked ÷
   output without < 0.2 (membrane: oligomycin, ATP made while discharging; attention: every head ablated,
   bits saved per token).
5. metabolism ↔ inference, the engine runs at the pace of demand: |output ÷ demand − 1| < 0.2 (membrane: ATP
   made ÷ ATP hydrolysed by the demand over the second half of charging; attention: tokens completed ÷
   tokens arrived over the discharge window).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class RowPrediction:
    """A declared, measurable prediction of one analogy row.

    Attributes:
        role: the role of the row (as in `ANALOGY_ROWS`).
        prediction: what the analogy predicts, in words.
        membrane_effect, attention_effect: what is measured in each world (a dimensionless effect).
        threshold: the effect's threshold.
        yes_below: True when an effect below the threshold means "shows it".
        around_one: the effect is |x − 1| (compared with the threshold) rather than x itself.
    """

    role: str
    prediction: str
    membrane_effect: str
    attention_effect: str
    threshold: float
    yes_below: bool = True
    around_one: bool = False


ROW_PREDICTIONS: tuple[RowPrediction, ...] = (
    RowPrediction(
        "builds the gradient",
        "back-pressure: the builder slows as its gradient rises",
        "H⁺ pumping rate, last quarter of charging ÷ peak",
        "gradient norm, last quarter of training ÷ peak",
        0.8,
    ),
    RowPrediction(
        "stored order",
        "the store is spent by use",
        "Δp after discharging ÷ Δp charged",
        "held-out order after the token stream ÷ before",
        0.9,
    ),
    RowPrediction(
        "spendable currency",
        "the currency dwindles as the store is spent",
        "ATP synthesis rate, last ÷ first quarter of discharge",
        "bits saved per token, last ÷ first quarter of inference",
        0.8,
    ),
    RowPrediction(
        "the engine that spends the gradient",
        "blocking the converter stops the output",
        "ATP made while discharging, oligomycin ÷ none",
        "bits saved per token, all heads ablated ÷ none",
        0.2,
    ),
    RowPrediction(
        "spending order to do work",
        "the engine runs at the pace of demand",
        "|ATP made ÷ ATP demanded − 1|, second half of charging",
        "|tokens completed ÷ tokens arrived − 1|, inference",
        0.2,
        around_one=True,
    ),
)


def world_status(values: Sequence[float], pred: RowPrediction, confidence: float = 0.95) -> dict[str, object]:
    """Does one world show `pred`? Mean, 95 % interval over seeds and "yes" / "no" / "partly".

    NaN values (undetermined measurements) are dropped; with none left the status is "not measured".
    """
    x = np.asarray(values, np.float64)
    x = x[np.isfinite(x)]
    if pred.around_one:
        x = np.abs(x - 1.0)
    if x.size == 0:
        nan = float("nan")
        return {"mean": nan, "ci": [nan, nan], "n": 0, "status": "not measured", "values": []}
    mean = float(x.mean())
    if x.size > 1 and x.std(ddof=1) > 0:
        half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    else:
        half = 0.0
    lo, hi = mean - half, mean + half
    below, above = hi < pred.threshold, lo >= pred.threshold
    status = ("yes" if below == pred.yes_below else "no") if below or above else "partly"
    return {"mean": mean, "ci": [lo, hi], "n": int(x.size), "status": status, "values": x.tolist()}


def decide_row(pred: RowPrediction, membrane: Sequence[float], attention: Sequence[float]) -> dict[str, object]:
    """Decide one row from per-seed effects in each world: holds / breaks / partly, with the numbers."""
    m, a = world_status(membrane, pred), world_status(attention, pred)
    sm, sa = m["status"], a["status"]
    if "not measured" in (sm, sa):
        verdict = "not measured"
    elif sm == sa == "yes":
        verdict = "holds"
    elif "partly" in (sm, sa):
        verdict = "partly"
    else:
        verdict = "breaks"
    side = "< " if pred.yes_below else "≥ "

    def fmt(s: Mapping[str, object]) -> str:
        lo, hi = s["ci"]  # type: ignore[misc]
        return f"{s['mean']:.3g} [{lo:.3g}, {hi:.3g}]"

    reason = (
        f"membrane {fmt(m)} → {sm}; attention {fmt(a)} → {sa} (shows it if {side}{pred.threshold:g}; "
        f"{m['n']} and {a['n']} seeds)"
    )
    return {
        "role": pred.role,
        "prediction": pred.prediction,
        "membrane_effect": pred.membrane_effect,
        "attention_effect": pred.attention_effect,
        "threshold": pred.threshold,
        "membrane": m,
        "attention": a,
        "verdict": verdict,
        "reason": reason,
    }


def decide_rows(effects: Mapping[str, Mapping[str, Sequence[float]]]) -> list[dict[str, object]]:
    """Decide every row of `ROW_PREDICTIONS`.

    Args:
        effects: role → ``{"membrane": per-seed effects, "attention": per-seed effects}``.
    """
    empty: dict[str, Sequence[float]] = {"membrane": [], "attention": []}
    return [
        decide_row(p, effects.get(p.role, empty)["membrane"], effects.get(p.role, empty)["attention"])
        for p in ROW_PREDICTIONS
    ]


# ------------------------------------------------------------------------------------- effects from series
def late_over_peak(rate: np.ndarray, smooth: int = 5, late_fraction: float = 0.25) -> float:
    """Mean of `rate` over its last `late_fraction` ÷ the peak of its running mean over `smooth` points.

    The effect of row 1 (the builder slows as its gradient rises). NaN when the series is too short.
    """
    x = np.asarray(rate, np.float64)
    if x.size < max(smooth, 4):
        return float("nan")
    peak = float(np.max(np.convolve(x, np.ones(smooth) / smooth, mode="valid")))
    late = float(np.mean(x[-max(1, round(late_fraction * x.size)) :]))
    return late / peak if peak > 0 else float("nan")


def last_over_first(values: np.ndarray, fraction: float = 0.25) -> float:
    """Mean of the last `fraction` of `values` ÷ mean of the first `fraction` (row 3; NaN if the first is 0)."""
    x = np.asarray(values, np.float64)
    k = max(1, round(fraction * x.size))
    if x.size < 2 * k:
        return float("nan")
    first = float(np.mean(x[:k]))
    return float(np.mean(x[-k:])) / first if first != 0 else float("nan")


def rate_series(t: np.ndarray, cumulative: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Finite-difference rate of a cumulative counter sampled at times `t`: (mid-times, rate per unit time)."""
    t, c = np.asarray(t, np.float64), np.asarray(cumulative, np.float64)
    return 0.5 * (t[1:] + t[:-1]), np.diff(c) / np.diff(t)
