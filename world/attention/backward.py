"""Hand-written backward pass of `world.attention.model.AttentionModel` and its cross-entropy loss.

Key names:
    cross_entropy: weighted mean next-token cross-entropy of logits and its gradient w.r.t. the logits.
    backward: gradients of every parameter from a forward cache and dL/dlogits.
    loss_and_grads: forward + loss + backward in one call (what training uses).
    grad_norm: global L2 norm of a gradient dict.
The gradient of every parameter tensor is checked against central finite differences in float64 by
``tests/attention/test_model.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from world.attention.model import AttentionModel, log_softmax

__all__ = ["backward", "cross_entropy", "grad_norm", "loss_and_grads"]


def cross_entropy(
    logits: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None
) -> tuple[float, np.ndarray, np.ndarray]:
    """Weighted mean of −log softmax(logits)[target] and its gradient.

    Args:
        logits: (B, T, V).
        targets: int (B, T).
        weights: (B, T) non-negative weights (None = all ones); the loss is Σ w·nll / Σ w.

    Returns:
        ``(loss_nats, dlogits (B, T, V), nll (B, T))``.
    """
    logp = log_softmax(logits)
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    w = np.ones(targets.shape) if weights is None else np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    if total <= 0:
        raise ValueError(f"weights must have a positive sum; got {total}")
    loss = float((w * nll).sum() / total)
    d = np.exp(logp)
    np.put_along_axis(d, targets[..., None], np.take_along_axis(d, targets[..., None], axis=-1) - 1.0, axis=-1)
    d *= (w / total)[..., None]
    return loss, d, nll


def backward(model: AttentionModel, cache: dict[str, Any], dlogits: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients of every parameter given ``cache`` from `AttentionModel.forward` and dL/dlogits.

    Returns:
        name → gradient array, same names and shapes as ``model.params``.
    """
    c, p = model.config, model.params
    x = cache["tokens"]
    B, T = x.shape
    H, dh_ = c.n_heads, c.d_head
    mask = cache["mask"]
    s_scale = cache["s_scale"]
    g: dict[str, np.ndarray] = {}
    dl = (dlogits / cache["out_temperature"]).reshape(B * T, -1)
    h_out = cache["h_out"].reshape(B * T, -1)
    g["unemb"] = h_out.T @ dl
    g["unemb_b"] = dl.sum(axis=0)
    dh = dl @ p["unemb"].T  # (B*T, d)
    for li in range(c.n_layers - 1, -1, -1):
        rec = cache["layers"][li]
        if c.mlp:
            a, z = rec["a"], rec["z"]
            g[f"L{li}.w2"] = a.T @ dh
            g[f"L{li}.b2"] = dh.sum(axis=0)
            dz = (dh @ p[f"L{li}.w2"].T) * (z > 0)
            g[f"L{li}.w1"] = rec["h_mid"].reshape(B * T, -1).T @ dz
            g[f"L{li}.b1"] = dz.sum(axis=0)
            dh = dh + dz @ p[f"L{li}.w1"].T
        g[f"L{li}.wo"] = rec["o_cat"].T @ dh
        do = (dh @ p[f"L{li}.wo"].T).reshape(B, T, H, dh_).transpose(0, 2, 1, 3)
        do = do * mask[li][None, :, None, None]
        A, q, k, v = rec["A"], rec["q"], rec["k"], rec["v"]
        dA = do @ v.transpose(0, 1, 3, 2)
        dv = A.transpose(0, 1, 3, 2) @ do
        ds = A * (dA - (dA * A).sum(axis=-1, keepdims=True)) * s_scale
        dq = ds @ k
        dk = ds.transpose(0, 1, 3, 2) @ q
        h_in = rec["h_in"].reshape(B * T, -1)
        dh_in = dh
        for name, dm in (("wq", dq), ("wk", dk), ("wv", dv)):
            dmf = dm.transpose(0, 2, 1, 3).reshape(B * T, H * dh_)
            g[f"L{li}.{name}"] = h_in.T @ dmf
            dh_in = dh_in + dmf @ p[f"L{li}.{name}"].T
        dh = dh_in
    onehot = np.zeros((B * T, c.vocab), dtype=dh.dtype)
    onehot[np.arange(B * T), x.ravel()] = 1.0
    g["tok_emb"] = onehot.T @ dh
    g["pos_emb"] = np.zeros_like(p["pos_emb"])
    g["pos_emb"][:T] = dh.reshape(B, T, -1).sum(axis=0)
    return {name: g[name] for name in p}


def loss_and_grads(
    model: AttentionModel,
    tokens: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray | None = None,
    **forward_kwargs: Any,
) -> tuple[float, dict[str, np.ndarray], np.ndarray, dict[str, Any]]:
    """Forward, weighted cross-entropy and backward.

    Returns:
        ``(loss_nats, grads, nll (B, T), cache)``.
    """
    logits, cache = model.forward(tokens, **forward_kwargs)
    loss, dlogits, nll = cross_entropy(logits, targets, weights)
    return loss, backward(model, cache, dlogits), nll, cache


def grad_norm(grads: dict[str, np.ndarray]) -> float:
    """Global L2 norm over all gradient tensors."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
