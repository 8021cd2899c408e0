"""Attribution methods scored against the truth: the positions an order-k source's next symbol depends on.

For the prediction made at position i (of x_{i+1}), the true parents are positions i − k + 1 … i: the next
symbol is independent of everything earlier given them, and depends on each of them for a generic table.
Each method gives a non-negative attribution over positions 0 … i; it is scored by

    ``parent_mass``  the share of its attribution on the true parents (1 = none wasted elsewhere);
    ``recall_at_k``  the share of the k parents among its k top-ranked positions (ties broken at random).

Methods (the prediction at the last position of each sequence):
    ``attention_mean``     last layer's attention row, averaged over heads;
    ``attention_best``     the single head (any layer) with the highest parent mass on this batch — an
                           optimistic, selected-after-the-fact score, reported as such;
    ``rollout``            attention rollout with the residual (Abnar & Zuidema 2020);
    ``flow``               attention flow (max-flow on the window's graph, networkx);
    ``grad_x_input``       |∂(centred logit of the predicted symbol)/∂h⁰_j · h⁰_j| (h⁰ = embedding);
    ``ablation``           KL(q_clean ‖ q) after replacing position j's token embedding by the mean one;
    ``resample``           the same KL, averaged over re-drawing x_j uniformly (activation patching of the
                           input with a resampled token).

Key names: `METHODS`, `true_parents`, `attributions`, `score_attribution`, `score_model`, `interval`,
`leaderboard`, `window_graph`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import networkx as nx
import numpy as np
import pandas as pd
from scipy import stats

from analysis.attention_graph import attention_flow, attention_rollout
from world.attention.backward import backward
from world.attention.hooks import run_with_hooks
from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, log_softmax

__all__ = [
    "METHODS",
    "attributions",
    "interval",
    "leaderboard",
    "score_attribution",
    "score_model",
    "true_parents",
    "window_graph",
]

METHODS = ("attention_mean", "attention_best", "rollout", "flow", "grad_x_input", "ablation", "resample")


def true_parents(i: int, order: int) -> list[int]:
    """Positions the prediction at position i depends on for an order-``order`` source."""
    return list(range(max(0, i - order + 1), i + 1))


def window_graph(pats: list[np.ndarray]) -> nx.DiGraph:
    """The stream's graph layout for one window: edges (l, j) → (l+1, i) with head-mean ``weight``."""
    G = nx.DiGraph()
    T = pats[0].shape[-1]
    for li, A in enumerate(pats):
        mean = A.mean(axis=0)
        for i in range(T):
            for j in range(i + 1):
                G.add_edge((li, j), (li + 1, i), weight=float(mean[i, j]), heads=tuple(A[:, i, j].tolist()))
    return G


def _kl_last(clean: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """KL(softmax(clean) ‖ softmax(logits)) of the last position, per row of a batch."""
    lp, lq = log_softmax(clean[..., -1, :]), log_softmax(logits[..., -1, :])
    return (np.exp(lp) * (lp - lq)).sum(-1)


def attributions(
    model: AttentionModel, x: np.ndarray, rng: np.random.Generator, n_resample: int = 4
) -> dict[str, np.ndarray]:
    """Every method's attribution of the last position's prediction, per sequence.

    Args:
        model: the model.
        x: int (B, T) sequences; the prediction at position T − 1 is explained.
        rng: for the resampled tokens.
        n_resample: resampled tokens per position.

    Returns:
        method → (B, T) non-negative array (``attention_best`` → (B, L·H, T): every head, chosen in scoring).
    """
    c, p = model.config, model.params
    B, T = x.shape
    logits, cache = run_with_hooks(model, x)
    pats = [cache[f"L{li}.attn.pattern"] for li in range(c.n_layers)]
    out: dict[str, np.ndarray] = {"attention_mean": pats[-1].mean(axis=1)[:, -1]}
    out["attention_best"] = np.concatenate([A[:, :, -1] for A in pats], axis=1)
    out["rollout"] = np.stack([attention_rollout([A[b].mean(axis=0) for A in pats])[-1] for b in range(B)])
    flow = np.zeros((B, T))
    for b in range(B):
        f = attention_flow(window_graph([A[b] for A in pats]), (c.n_layers, T - 1))
        flow[b] = [f.get(j, 0.0) for j in range(T)]
    out["flow"] = flow
    gxi = np.zeros((B, T))
    for b in range(B):
        lg, fcache = model.forward(x[b : b + 1])
        d = np.zeros_like(lg)
        d[0, -1] = -1.0 / c.vocab
        d[0, -1, int(lg[0, -1].argmax())] += 1.0
        grad_h0 = backward(model, fcache, d)["pos_emb"][:T]  # with B = 1 this is ∂/∂h⁰ at each position
        h0 = p["tok_emb"][x[b]] + p["pos_emb"][:T]
        gxi[b] = np.abs((grad_h0 * h0).sum(-1))
    out["grad_x_input"] = gxi
    mean_emb = p["tok_emb"].mean(axis=0)
    xs = np.repeat(x, T, axis=0)  # (B·T, T): copy j of sequence b has position j ablated

    def occlude(value: np.ndarray) -> np.ndarray:
        v = value.copy()
        j = np.tile(np.arange(T), B)
        v[np.arange(B * T), j] = mean_emb + p["pos_emb"][j]
        return v

    occl, _ = run_with_hooks(model, xs, {"embed": occlude}, keep=False)
    out["ablation"] = _kl_last(np.repeat(logits, T, axis=0), occl).reshape(B, T)
    res = np.zeros((B, T))
    for _ in range(n_resample):
        xr = xs.copy()
        xr[np.arange(B * T), np.tile(np.arange(T), B)] = rng.integers(0, c.vocab, size=B * T)
        lr, _ = run_with_hooks(model, xr, keep=False)
        res += _kl_last(np.repeat(logits, T, axis=0), lr).reshape(B, T) / n_resample
    out["resample"] = res
    return out


def score_attribution(a: np.ndarray, parents: Sequence[int], rng: np.random.Generator) -> tuple[float, float]:
    """``(parent_mass, recall_at_k)`` of one attribution vector (k = number of parents)."""
    a = np.maximum(np.asarray(a, dtype=np.float64), 0.0)
    total = a.sum()
    mass = float(a[list(parents)].sum() / total) if total > 0 else math.nan
    k = len(parents)
    ranked = np.lexsort((rng.random(a.size), -a))[:k]
    return mass, len(set(ranked.tolist()) & set(parents)) / k


def score_model(
    model: AttentionModel, source: MarkovSource, x: np.ndarray, rng: np.random.Generator
) -> dict[str, dict[str, float]]:
    """Mean ``parent_mass`` and ``recall_at_k`` of every method over the sequences ``x`` (B, T)."""
    T = x.shape[1]
    parents = true_parents(T - 1, source.order)
    att = attributions(model, x, rng)
    out = {}
    for method in METHODS:
        if method == "attention_best":
            per_head = np.array(
                [
                    [score_attribution(att[method][b, h], parents, rng) for b in range(x.shape[0])]
                    for h in range(att[method].shape[1])
                ]
            )  # (heads, B, 2)
            best = int(np.nanargmax(np.nanmean(per_head[:, :, 0], axis=1)))
            scores = per_head[best]
        else:
            scores = np.array([score_attribution(att[method][b], parents, rng) for b in range(x.shape[0])])
        out[method] = {"parent_mass": float(np.nanmean(scores[:, 0])), "recall_at_k": float(np.nanmean(scores[:, 1]))}
    return out


def interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: Student-t interval of the mean over seeds (low = high = mean for one value)."""
    v = np.asarray([x for x in values if not math.isnan(x)], dtype=np.float64)
    if v.size == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if v.size < 2:
        return m, m, m
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, m - half, m + half


def leaderboard(records: pd.DataFrame) -> pd.DataFrame:
    """Per method, the mean and 95 % interval over models of parent mass and recall@k, best parent mass first.

    Both scores lie in [0, 1], so the Student-t interval ends are clipped to [0, 1].
    """
    rows = []
    for method, g in records.groupby("method", sort=False):
        m, lo, hi = interval(g["parent_mass"].tolist())
        r, rlo, rhi = interval(g["recall_at_k"].tolist())
        lo, hi, rlo, rhi = (float(np.clip(v, 0.0, 1.0)) for v in (lo, hi, rlo, rhi))
        rows.append(
            {
                "method": method,
                "parent_mass": m,
                "parent_mass_low": lo,
                "parent_mass_high": hi,
                "recall_at_k": r,
                "recall_low": rlo,
                "recall_high": rhi,
                "models": len(g),
            }
        )
    return pd.DataFrame(rows).sort_values("parent_mass", ascending=False, kind="stable").reset_index(drop=True)
