"""Interpretability methods on a kept attention model, scored with the source's exact conditionals.

Every cross-entropy here is the exact expected one, −Σ_b P(b | context) log q(b), averaged over the scored
positions (t ≥ order − 1) of a batch, so ablation effects carry no sampling noise from the next token.
The methods run the model through `world.attention.hooks` (a saved model is read back as the object that
computes with it; that is the one thing this module takes from `world`).

Ablation kinds (per head, on ``L{l}.attn.head_out``): ``zero`` (the head outputs nothing), ``mean`` (its
per-position mean output over the batch), ``resample`` (its output on another sequence of the batch: the batch
rolled by one). Zero ablation moves the residual off its trained distribution; mean and resample do not.

Key names: `ABLATIONS`, `expected_ce`, `ablation_hooks`, `head_table`, `ablation_curve`, `importance_order`,
`patching_effects`, `logit_lens`, `direct_logit_attribution`, `lag_tables`, `circuit_table`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.attention_graph import induction_score, normalised_head_entropy, previous_token_score
from world.attention.hooks import Hook, run_with_hooks
from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, log_softmax

__all__ = [
    "ABLATIONS",
    "ablation_curve",
    "ablation_hooks",
    "circuit_table",
    "direct_logit_attribution",
    "expected_ce",
    "head_table",
    "importance_order",
    "lag_tables",
    "logit_lens",
    "patching_effects",
]

ABLATIONS = ("zero", "mean", "resample")


def expected_ce(logits: np.ndarray, source: MarkovSource, x: np.ndarray) -> float:
    """Mean exact expected cross-entropy (nats) of ``logits`` (B, T, V) on inputs ``x`` (B, T), t ≥ order − 1."""
    k = source.order - 1
    P = source.conditional(x)[:, k:]
    return float(-(P * log_softmax(logits[:, k:])).sum(-1).mean())


def ablation_hooks(heads: Sequence[tuple[int, int]], kind: str, clean: dict[str, np.ndarray]) -> dict[str, Hook]:
    """Hooks ablating ``heads`` ((layer, head) pairs) by ``kind``, with statistics from the clean cache.

    Args:
        heads: the heads to ablate.
        kind: one of `ABLATIONS`.
        clean: the activation cache of the un-ablated model on the batch (mean and resample read it).
    """
    if kind not in ABLATIONS:
        raise ValueError(f"kind(={kind!r}) must be one of: {', '.join(ABLATIONS)}")
    by_layer: dict[int, list[int]] = {}
    for layer, head in heads:
        by_layer.setdefault(layer, []).append(head)
    hooks: dict[str, Hook] = {}
    for layer, hs in by_layer.items():
        ref = clean[f"L{layer}.attn.head_out"]
        if kind == "zero":
            repl = np.zeros_like(ref)
        elif kind == "mean":
            repl = np.broadcast_to(ref.mean(axis=0, keepdims=True), ref.shape)
        else:
            repl = np.roll(ref, 1, axis=0)

        def hook(value: np.ndarray, hs: list[int] = hs, repl: np.ndarray = repl) -> np.ndarray:
            out = value.copy()
            out[:, hs] = repl[:, hs]
            return out

        hooks[f"L{layer}.attn.head_out"] = hook
    return hooks


def _ablated_ce(
    model: AttentionModel,
    source: MarkovSource,
    x: np.ndarray,
    heads: Sequence[tuple[int, int]],
    kind: str,
    clean: dict[str, np.ndarray],
) -> float:
    logits, _ = run_with_hooks(model, x, ablation_hooks(heads, kind, clean), keep=False)
    return expected_ce(logits, source, x)


def head_table(model: AttentionModel, source: MarkovSource, x: np.ndarray) -> pd.DataFrame:
    """One row per head: attention scores and the CE change (nats) under each ablation kind.

    Columns: ``layer, head, previous_token_score, induction_score, attention_entropy_norm, dce_zero,
    dce_mean, dce_resample`` (scores averaged over the batch ``x`` (B, T); the resample ablation needs B ≥ 2).
    """
    logits, clean = run_with_hooks(model, x)
    base = expected_ce(logits, source, x)
    rows = []
    for layer in range(model.config.n_layers):
        pat = clean[f"L{layer}.attn.pattern"]
        prev = np.mean([previous_token_score(p) for p in pat], axis=0)
        ind = np.nanmean(np.stack([induction_score(p, t) for p, t in zip(pat, x, strict=True)]), axis=0)
        ent = np.mean([normalised_head_entropy(p) for p in pat], axis=0)
        for head in range(model.config.n_heads):
            row = {
                "layer": layer,
                "head": head,
                "previous_token_score": float(prev[head]),
                "induction_score": float(ind[head]),
                "attention_entropy_norm": float(ent[head]),
            }
            for kind in ABLATIONS:
                row[f"dce_{kind}"] = _ablated_ce(model, source, x, [(layer, head)], kind, clean) - base
            rows.append(row)
    return pd.DataFrame(rows)


def importance_order(table: pd.DataFrame, kind: str = "mean") -> list[tuple[int, int]]:
    """Heads by measured importance: largest single-head CE change under ``kind`` first (ties: index order)."""
    t = table.sort_values([f"dce_{kind}", "layer", "head"], ascending=[False, True, True], kind="stable")
    return [(int(r.layer), int(r.head)) for r in t.itertuples()]


def ablation_curve(
    model: AttentionModel, source: MarkovSource, x: np.ndarray, order: Sequence[tuple[int, int]], kind: str
) -> list[float]:
    """Expected CE with the first 0, 1, …, len(order) heads of ``order`` ablated by ``kind``."""
    _, clean = run_with_hooks(model, x)
    return [_ablated_ce(model, source, x, list(order[:n]), kind, clean) for n in range(len(order) + 1)]


def patching_effects(
    model: AttentionModel, source: MarkovSource, clean_x: np.ndarray, corrupt_x: np.ndarray
) -> np.ndarray:
    """Activation patching, per (layer, head, position): share of the CE gap at the last position restored.

    Each head's clean output at one position is written into the corrupted run; the value is
    (CE_corrupt − CE_patched) / (CE_corrupt − CE_clean) at the last position, CE measured against the *clean*
    context's true next-symbol distribution (1 = the clean prediction is fully restored, 0 = no effect).

    Returns:
        (L, H, T) array; NaN everywhere when the corruption does not change the last prediction.
    """
    c = model.config
    T = clean_x.shape[1]
    P = source.conditional(clean_x)[:, -1]

    def ce_last(logits: np.ndarray) -> float:
        return float(-(P * log_softmax(logits[:, -1])).sum(-1).mean())

    clean_logits, clean = run_with_hooks(model, clean_x)
    corrupt_logits, _ = run_with_hooks(model, corrupt_x, keep=False)
    lo, hi = ce_last(clean_logits), ce_last(corrupt_logits)
    out = np.full((c.n_layers, c.n_heads, T), math.nan)
    if abs(hi - lo) < 1e-12:
        return out
    for layer in range(c.n_layers):
        donor = clean[f"L{layer}.attn.head_out"]
        for head in range(c.n_heads):
            for pos in range(T):

                def hook(value: np.ndarray, head: int = head, pos: int = pos, donor: np.ndarray = donor) -> np.ndarray:
                    out_v = value.copy()
                    out_v[:, head, pos] = donor[:, head, pos]
                    return out_v

                logits, _ = run_with_hooks(model, corrupt_x, {f"L{layer}.attn.head_out": hook}, keep=False)
                out[layer, head, pos] = (hi - ce_last(logits)) / (hi - lo)
    return out


def logit_lens(model: AttentionModel, source: MarkovSource, x: np.ndarray) -> list[float]:
    """Expected CE of unembedding the residual after the embedding and after each layer (the last = the model)."""
    _, cache = run_with_hooks(model, x)
    p = model.params
    names = ["embed"] + [f"L{li}.resid_post" for li in range(model.config.n_layers)]
    return [expected_ce(cache[n] @ p["unemb"] + p["unemb_b"], source, x) for n in names]


def direct_logit_attribution(model: AttentionModel, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per head, the mean direct contribution of its output to the true next symbol's centred logit.

    The head's output at each position times (U[:, y] − mean_b U[:, b]); averaged over batch and positions.

    Returns:
        (L, H) array in logit units (nats of log-odds).
    """
    _, cache = run_with_hooks(model, x)
    U = model.params["unemb"]
    Uc = U - U.mean(axis=1, keepdims=True)
    direction = Uc.T[y]  # (B, T, d)
    out = np.zeros((model.config.n_layers, model.config.n_heads))
    for li in range(model.config.n_layers):
        out[li] = np.einsum("bhtd,btd->h", cache[f"L{li}.attn.head_out"], direction) / y.size
    return out


def lag_tables(source: MarkovSource, max_lag: int) -> list[np.ndarray]:
    """Exact log P(x_{t+1} = b | x_{t+1−m} = a) for m = 1 … max_lag, each (V, V), from the stationary chain."""
    V, n = source.V, source.n_contexts
    succ = (np.arange(n)[:, None] * V) % n + np.arange(V)[None, :]
    M = np.zeros((n, n))
    np.add.at(M, (np.repeat(np.arange(n), V), succ.ravel()), source.transition.ravel())
    last = np.arange(n) % V
    onehot_last = np.eye(V)[last]  # (n, V)
    dist = source.stationary[:, None] * np.eye(n)
    out = []
    for _ in range(max_lag):
        dist = dist @ M
        joint = onehot_last.T @ dist @ onehot_last  # (V, V): symbol m steps ago, next symbol
        out.append(np.log(joint / joint.sum(axis=1, keepdims=True)))
    return out


def _centred_corr(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    den = math.sqrt(float((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else math.nan


def circuit_table(model: AttentionModel, source: MarkovSource) -> pd.DataFrame:
    """QK and OV circuits of each head against the source.

    Columns: ``layer, head``; ``qk_previous_token`` (share of rows i ≥ 1 of the positional QK circuit
    pos_emb W_Q W_Kᵀ pos_embᵀ whose causal argmax is i − 1); ``ov_vs_lag1`` and ``ov_vs_lag2`` (correlation
    of the row-centred direct OV circuit tok_emb W_V W_O U with the row-centred exact log P(next | symbol 1
    or 2 steps back): a head that copies the current symbol should match lag 1, a previous-token head lag 2);
    and ``direct_path_vs_lag1`` (the same for the embedding → unembedding path tok_emb U, repeated per row).
    """
    c, p = model.config, model.params
    lags = lag_tables(source, 2)
    E, U, P = p["tok_emb"], p["unemb"], p["pos_emb"]
    direct = _centred_corr(E @ U, lags[0])
    T, dh = c.n_ctx, c.d_head
    causal = np.tril(np.ones((T, T), dtype=bool), k=-1)
    rows = []
    for li in range(c.n_layers):
        for h in range(c.n_heads):
            cols = slice(h * dh, (h + 1) * dh)
            wq, wk, wv = (p[f"L{li}.{w}"][:, cols] for w in ("wq", "wk", "wv"))
            wo = p[f"L{li}.wo"][cols]
            qk = np.where(causal, (P @ wq) @ (P @ wk).T, -np.inf)[1:]
            ov = E @ wv @ wo @ U
            rows.append(
                {
                    "layer": li,
                    "head": h,
                    "qk_previous_token": float((qk.argmax(axis=1) == np.arange(T - 1)).mean()) if T > 1 else math.nan,
                    "ov_vs_lag1": _centred_corr(ov, lags[0]),
                    "ov_vs_lag2": _centred_corr(ov, lags[1]),
                    "direct_path_vs_lag1": direct,
                }
            )
    return pd.DataFrame(rows)
