"""Activation cache and hooks for `AttentionModel`: every intermediate by name, and edits during a forward.

`run_with_hooks` runs the same computation as `AttentionModel.forward` (equal to ≈1e-13: the attention output
is summed head by head here) and returns every intermediate in an activation cache. A hook is a function of
the intermediate's array that returns a replacement (or None to leave it); it runs before the value is used
downstream, so ablation and patching are hooks. Hook points (B = batch, T = positions, H = heads):

    ``embed``               (B, T, d)      token + position embedding (the residual entering layer 0)
    ``L{l}.attn.scores``    (B, H, T, T)   scaled attention scores (−inf above the diagonal)
    ``L{l}.attn.pattern``   (B, H, T, T)   attention probabilities
    ``L{l}.attn.z``         (B, H, T, dh)  per-head mixed values (pattern · V, after the head mask)
    ``L{l}.attn.head_out``  (B, H, T, d)   per-head contribution to the residual (z_h W_O^h)
    ``L{l}.resid_mid``      (B, T, d)      residual after the attention block
    ``L{l}.mlp_out``        (B, T, d)      MLP contribution (only with an MLP)
    ``L{l}.resid_post``     (B, T, d)      residual after layer l (the input of layer l+1)
    ``logits``              (B, T, V)

Hook factories: `zero_head`, `mean_head` (replace a head's output by its per-position mean over a reference
batch), `resample_head` (by its output on other sequences), `patch` (write a donor activation into chosen
positions / heads). The KV-cached path (`AttentionModel.forward_one`) computes the same patterns and logits
one token at a time; `incremental_patterns` runs it over a sequence for comparison.

Key names: `HOOK_POINTS`, `hook_names`, `run_with_hooks`, `zero_head`, `mean_head`, `resample_head`,
`patch`, `incremental_patterns`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from world.attention.model import AttentionModel, softmax

__all__ = [
    "HOOK_POINTS",
    "Hook",
    "hook_names",
    "incremental_patterns",
    "mean_head",
    "patch",
    "resample_head",
    "run_with_hooks",
    "zero_head",
]

Hook = Callable[[np.ndarray], np.ndarray | None]
HOOK_POINTS = ("attn.scores", "attn.pattern", "attn.z", "attn.head_out", "resid_mid", "mlp_out", "resid_post")
"""Per-layer hook points (prefixed ``L{l}.``); ``embed`` and ``logits`` are the two global ones."""


def hook_names(model: AttentionModel) -> list[str]:
    """Every hook point of ``model`` in forward order."""
    names = ["embed"]
    for li in range(model.config.n_layers):
        names += [f"L{li}.{p}" for p in HOOK_POINTS if p != "mlp_out" or model.config.mlp]
    return [*names, "logits"]


def run_with_hooks(
    model: AttentionModel,
    tokens: np.ndarray,
    hooks: Mapping[str, Hook] | None = None,
    *,
    temperature: float = 1.0,
    out_temperature: float = 1.0,
    head_mask: np.ndarray | None = None,
    keep: bool = True,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Forward a batch, applying ``hooks`` by name, and return the logits and the activation cache.

    Args:
        model: the model (not modified).
        tokens: int (B, T), T ≤ n_ctx.
        hooks: hook point → function of the array returning its replacement (same shape) or None.
        temperature, out_temperature, head_mask: as in `AttentionModel.forward`.
        keep: return the cache (False returns an empty dict, to save memory).

    Returns:
        ``(logits (B, T, V), cache)`` with the (possibly hooked) value of every hook point.

    Raises:
        ValueError: a hook name that is not a hook point of this model, or a hook that changes a shape.
    """
    hooks = dict(hooks or {})
    unknown = set(hooks) - set(hook_names(model))
    if unknown:
        raise ValueError(f"unknown hook points {sorted(unknown)}; available: {', '.join(hook_names(model))}")
    c, p = model.config, model.params
    mask = model._check_inputs(temperature, out_temperature, head_mask)  # same package: the model's own checks
    x = np.asarray(tokens)
    if x.ndim != 2 or not 1 <= x.shape[1] <= c.n_ctx:
        raise ValueError(f"tokens must have shape (B, T) with 1 ≤ T ≤ n_ctx(={c.n_ctx}); got {x.shape}")
    if x.min() < 0 or x.max() >= c.vocab:
        raise ValueError(f"tokens must lie in [0, {c.vocab}); got range [{x.min()}, {x.max()}]")
    cache: dict[str, np.ndarray] = {}

    def at(name: str, value: np.ndarray) -> np.ndarray:
        fn = hooks.get(name)
        if fn is not None:
            new = fn(value)
            if new is not None:
                new = np.asarray(new, dtype=np.float64)
                if new.shape != value.shape:
                    raise ValueError(f"hook {name!r} returned shape {new.shape}; expected {value.shape}")
                value = new
        if keep:
            cache[name] = value
        return value

    B, T = x.shape
    H, dh = c.n_heads, c.d_head
    causal = np.tril(np.ones((T, T), dtype=bool))
    h = at("embed", p["tok_emb"][x] + p["pos_emb"][:T])
    for li in range(c.n_layers):
        hf = h.reshape(B * T, -1)
        q, k, v = ((hf @ p[f"L{li}.{w}"]).reshape(B, T, H, dh).transpose(0, 2, 1, 3) for w in ("wq", "wk", "wv"))
        scores = (q @ k.transpose(0, 1, 3, 2)) * (model.scale / temperature)
        s = at(f"L{li}.attn.scores", np.where(causal, scores, -np.inf))
        A = at(f"L{li}.attn.pattern", softmax(s))
        z = at(f"L{li}.attn.z", (A @ v) * mask[li][None, :, None, None])
        wo = p[f"L{li}.wo"].reshape(H, dh, -1)
        head_out = at(f"L{li}.attn.head_out", np.einsum("bhtk,hkd->bhtd", z, wo))
        h = at(f"L{li}.resid_mid", h + head_out.sum(axis=1))
        if c.mlp:
            a = np.maximum(h.reshape(B * T, -1) @ p[f"L{li}.w1"] + p[f"L{li}.b1"], 0.0)
            m = at(f"L{li}.mlp_out", (a @ p[f"L{li}.w2"] + p[f"L{li}.b2"]).reshape(B, T, -1))
            h = h + m
        h = at(f"L{li}.resid_post", h)
    logits = at("logits", (h @ p["unemb"] + p["unemb_b"]) / out_temperature)
    return logits, cache


def _head_hook(head: int, replace: Callable[[np.ndarray], np.ndarray]) -> Hook:
    def hook(value: np.ndarray) -> np.ndarray:
        out = value.copy()
        out[:, head] = replace(value[:, head])
        return out

    return hook


def zero_head(head: int) -> Hook:
    """Hook for ``L{l}.attn.head_out`` (or ``attn.z``): the head contributes nothing."""
    return _head_hook(head, np.zeros_like)


def mean_head(head: int, reference: np.ndarray) -> Hook:
    """Hook replacing a head's output by its per-position mean over a reference batch.

    Args:
        head: head index.
        reference: the same hook point's activation on a reference batch, (B_ref, H, T, ·).
    """
    mean = reference[:, head].mean(axis=0)
    return _head_hook(head, lambda value: np.broadcast_to(mean[: value.shape[1]], value.shape))


def resample_head(head: int, donor: np.ndarray) -> Hook:
    """Hook replacing a head's output by its output on other sequences (``donor``: (B, H, T, ·), same shape)."""
    return _head_hook(head, lambda value: donor[:, head])


def patch(donor: np.ndarray, index: Any = ...) -> Hook:
    """Hook writing ``donor[index]`` into the activation at ``index`` (e.g. ``(slice(None), head, pos)``)."""

    def hook(value: np.ndarray) -> np.ndarray:
        out = value.copy()
        out[index] = donor[index]
        return out

    return hook


def incremental_patterns(model: AttentionModel, tokens: np.ndarray, **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Run one sequence token by token through the KV cache (`AttentionModel.forward_one`).

    Returns:
        ``(logits (T, V), patterns (L, H, T, T))`` with each row's attention filled up to the diagonal.
    """
    c = model.config
    tokens = np.asarray(tokens)
    T = tokens.size
    kv = model.new_cache()
    logits = np.zeros((T, c.vocab))
    pats = np.zeros((c.n_layers, c.n_heads, T, T))
    for t, tok in enumerate(tokens.tolist()):
        logits[t], attn = model.forward_one(tok, kv, **kwargs)
        for li, A in enumerate(attn):
            pats[li, :, t, : t + 1] = A
    return logits, pats
