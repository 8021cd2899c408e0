"""A small causal attention language model in numpy: batch forward, KV-cached incremental forward, .npz I/O.

Architecture (no layer norm, so the hand-written backward stays short and exact):
    h⁰ = tok_emb[x] + pos_emb[position]
    for each layer l:  h ← h + concat_h(mask[l, h] · softmax(q kᵀ / (√d_head · τ_attn) + causal) v) W_o
                       h ← h + relu(h W₁ + b₁) W₂ + b₂          (only if ``mlp``)
    logits = (h U + b) / τ_out

Softmax temperature ``τ_attn`` (attention) and ``τ_out`` (output) and a head mask of shape (L, H) (1 keeps a
head, 0 ablates its output; fractional values scale it) are inputs of every forward call, not state.

Key names:
    ModelConfig: sizes (vocab, n_ctx, d_model, n_layers, n_heads, d_head, mlp, d_mlp).
    AttentionModel: ``init(config, rng)``, ``params`` (name → array), ``forward`` (batch; returns logits and
        the cache the backward pass needs), ``new_cache`` / ``embed_one`` / ``layer_one`` / ``logits_one`` /
        ``forward_one`` (one token through a `KVCache`), ``save`` / ``load`` (.npz), ``copy``.
    KVCache: per-layer keys and values of the positions seen so far in the current window.
    softmax, log_softmax, entropy_nats: row-wise helpers.
Parameter names: ``tok_emb`` (V, d), ``pos_emb`` (n_ctx, d), ``L{li}.wq|wk|wv`` (d, H·d_head),
``L{li}.wo`` (H·d_head, d), ``L{li}.w1`` (d, d_mlp), ``L{li}.b1``, ``L{li}.w2`` (d_mlp, d), ``L{li}.b2``,
``unemb`` (d, V), ``unemb_b`` (V). The backward pass lives in `world.attention.backward`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["AttentionModel", "KVCache", "ModelConfig", "entropy_nats", "log_softmax", "softmax"]


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis`` (entries of -inf get probability 0)."""
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(softmax(x)) computed stably."""
    m = np.max(x, axis=axis, keepdims=True)
    z = x - m
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def entropy_nats(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy of distributions along ``axis`` in nats (0 log 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -t.sum(axis=axis)


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of an `AttentionModel`.

    Attributes:
        vocab: V, number of symbols (≥ 2).
        n_ctx: context window = number of position embeddings (≥ 1).
        d_model: residual width.
        n_layers: L ≥ 1.
        n_heads: H ≥ 1 per layer.
        d_head: width of each head (default d_model // n_heads, at least 1).
        mlp: add a ReLU MLP block after each attention block.
        d_mlp: hidden width of the MLP (default 4·d_model).
    """

    vocab: int = 8
    n_ctx: int = 32
    d_model: int = 32
    n_layers: int = 1
    n_heads: int = 2
    d_head: int = 0
    mlp: bool = False
    d_mlp: int = 0

    def __post_init__(self) -> None:
        for name, lo in (("vocab", 2), ("n_ctx", 1), ("d_model", 1), ("n_layers", 1), ("n_heads", 1)):
            v = getattr(self, name)
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < lo:
                raise ValueError(f"{name}(={v!r}) must be an integer ≥ {lo}")
        if self.d_head < 0 or self.d_mlp < 0:
            raise ValueError(f"d_head(={self.d_head}) and d_mlp(={self.d_mlp}) must be ≥ 0 (0 = default)")
        if self.d_head == 0:
            object.__setattr__(self, "d_head", max(1, self.d_model // self.n_heads))
        if self.d_mlp == 0:
            object.__setattr__(self, "d_mlp", 4 * self.d_model)


class KVCache:
    """Keys and values of the current window, per layer: arrays (H, n_ctx, d_head) and a length per layer.

    Layers are filled independently (a token writes layer l's entry when it passes layer l), so tokens can be
    pipelined through the layers. `reset_layer` starts a new window for one layer.
    """

    def __init__(self, config: ModelConfig, dtype: type = np.float64) -> None:
        L, H, T, dh = config.n_layers, config.n_heads, config.n_ctx, config.d_head
        self.k = np.zeros((L, H, T, dh), dtype=dtype)
        self.v = np.zeros((L, H, T, dh), dtype=dtype)
        self.length = [0] * L

    def reset(self) -> None:
        """Empty every layer."""
        self.length = [0] * len(self.length)

    def reset_layer(self, layer: int) -> None:
        """Empty one layer (the next token written to it is at window position 0)."""
        self.length[layer] = 0


class AttentionModel:
    """Causal attention LM; see the module docstring for the architecture and parameter names.

    Args:
        config: the sizes.
        params: name → array, exactly the names and shapes the config implies.
    """

    def __init__(self, config: ModelConfig, params: dict[str, np.ndarray]) -> None:
        self.config = config
        expected = self.param_shapes(config)
        if set(params) != set(expected):
            raise ValueError(f"params names {sorted(params)} do not match the config's {sorted(expected)}")
        for name, shape in expected.items():
            if params[name].shape != shape:
                raise ValueError(f"param {name} has shape {params[name].shape}; expected {shape}")
        self.params = {k: np.ascontiguousarray(params[k]) for k in expected}
        self.scale = 1.0 / math.sqrt(config.d_head)

    # ------------------------------------------------------------------ construction, I/O
    @staticmethod
    def param_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
        """Name → shape of every parameter, in a fixed order."""
        V, T, d, H, dh, m = (config.vocab, config.n_ctx, config.d_model, config.n_heads, config.d_head, config.d_mlp)
        shapes: dict[str, tuple[int, ...]] = {"tok_emb": (V, d), "pos_emb": (T, d)}
        for li in range(config.n_layers):
            shapes |= {
                f"L{li}.wq": (d, H * dh),
                f"L{li}.wk": (d, H * dh),
                f"L{li}.wv": (d, H * dh),
                f"L{li}.wo": (H * dh, d),
            }
            if config.mlp:
                shapes |= {f"L{li}.w1": (d, m), f"L{li}.b1": (m,), f"L{li}.w2": (m, d), f"L{li}.b2": (d,)}
        shapes |= {"unemb": (d, V), "unemb_b": (V,)}
        return shapes

    @classmethod
    def init(cls, config: ModelConfig, rng: np.random.Generator, dtype: type = np.float64) -> AttentionModel:
        """Random weights from ``rng``: N(0, 1/fan_in) matrices, zero biases, residual outputs scaled 1/√(2L)."""
        params: dict[str, np.ndarray] = {}
        depth = 1.0 / math.sqrt(2.0 * config.n_layers)
        for name, shape in cls.param_shapes(config).items():
            if len(shape) == 1:
                params[name] = np.zeros(shape, dtype=dtype)
                continue
            std = 1.0 / math.sqrt(shape[0]) if name not in ("tok_emb", "pos_emb") else 1.0 / math.sqrt(shape[1])
            if name.endswith((".wo", ".w2")):
                std *= depth
            params[name] = (rng.standard_normal(shape) * std).astype(dtype)
        return cls(config, params)

    def copy(self) -> AttentionModel:
        """An independent copy (same config, copied arrays)."""
        return AttentionModel(self.config, {k: v.copy() for k, v in self.params.items()})

    def save(self, path: str | Path) -> Path:
        """Write parameters and config to an .npz file; returns the path written."""
        path = Path(path)
        np.savez(path, __config__=np.array(json.dumps(asdict(self.config))), **self.params)
        return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")

    @classmethod
    def load(cls, path: str | Path) -> AttentionModel:
        """Read a model written by `save`."""
        with np.load(path, allow_pickle=False) as f:
            config = ModelConfig(**json.loads(str(f["__config__"])))
            params = {k: f[k] for k in f.files if k != "__config__"}
        return cls(config, params)

    @property
    def n_params(self) -> int:
        """Total number of scalar parameters."""
        return int(sum(p.size for p in self.params.values()))

    # ------------------------------------------------------------------ batch forward
    def _check_inputs(self, temperature: float, out_temperature: float, head_mask: Any) -> np.ndarray:
        if not (math.isfinite(temperature) and temperature > 0):
            raise ValueError(f"temperature(={temperature}) must be a finite number > 0")
        if not (math.isfinite(out_temperature) and out_temperature > 0):
            raise ValueError(f"out_temperature(={out_temperature}) must be a finite number > 0")
        shape = (self.config.n_layers, self.config.n_heads)
        if head_mask is None:
            return np.ones(shape)
        mask = np.asarray(head_mask, dtype=np.float64)
        if mask.shape != shape:
            raise ValueError(f"head_mask has shape {mask.shape}; expected (n_layers, n_heads) = {shape}")
        return mask

    def forward(
        self,
        tokens: np.ndarray,
        *,
        temperature: float = 1.0,
        out_temperature: float = 1.0,
        head_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Logits for every position of a batch of sequences.

        Args:
            tokens: int array (B, T) with T ≤ n_ctx; position t's logits predict token t + 1.
            temperature: attention softmax temperature τ_attn (> 0).
            out_temperature: output softmax temperature τ_out (> 0).
            head_mask: (L, H) multipliers of head outputs (None = all ones).

        Returns:
            ``(logits (B, T, V), cache)``; ``cache["attn"][l]`` is the (B, H, T, T) attention of layer l and
            the rest is what `world.attention.backward.backward` needs.
        """
        c = self.config
        x = np.asarray(tokens)
        if x.ndim != 2 or not 1 <= x.shape[1] <= c.n_ctx:
            raise ValueError(f"tokens must have shape (B, T) with 1 ≤ T ≤ n_ctx(={c.n_ctx}); got {x.shape}")
        if x.min() < 0 or x.max() >= c.vocab:
            raise ValueError(f"tokens must lie in [0, {c.vocab}); got range [{x.min()}, {x.max()}]")
        mask = self._check_inputs(temperature, out_temperature, head_mask)
        p = self.params
        B, T = x.shape
        H, dh = c.n_heads, c.d_head
        s_scale = self.scale / temperature
        causal = np.tril(np.ones((T, T), dtype=bool))
        h = p["tok_emb"][x] + p["pos_emb"][:T]
        layers = []
        for li in range(c.n_layers):
            h_in = h
            hf = h_in.reshape(B * T, -1)
            q = (hf @ p[f"L{li}.wq"]).reshape(B, T, H, dh).transpose(0, 2, 1, 3)
            k = (hf @ p[f"L{li}.wk"]).reshape(B, T, H, dh).transpose(0, 2, 1, 3)
            v = (hf @ p[f"L{li}.wv"]).reshape(B, T, H, dh).transpose(0, 2, 1, 3)
            s = np.where(causal, (q @ k.transpose(0, 1, 3, 2)) * s_scale, -np.inf)
            A = softmax(s)
            o = (A @ v) * mask[li][None, :, None, None]
            o_cat = o.transpose(0, 2, 1, 3).reshape(B * T, H * dh)
            h = h_in + (o_cat @ p[f"L{li}.wo"]).reshape(B, T, -1)
            rec: dict[str, Any] = {"h_in": h_in, "q": q, "k": k, "v": v, "A": A, "o_cat": o_cat}
            if c.mlp:
                rec["h_mid"] = h
                z = h.reshape(B * T, -1) @ p[f"L{li}.w1"] + p[f"L{li}.b1"]
                a = np.maximum(z, 0.0)
                h = h + (a @ p[f"L{li}.w2"] + p[f"L{li}.b2"]).reshape(B, T, -1)
                rec["z"], rec["a"] = z, a
            layers.append(rec)
        logits = (h @ p["unemb"] + p["unemb_b"]) / out_temperature
        cache = {
            "tokens": x,
            "layers": layers,
            "h_out": h,
            "mask": mask,
            "s_scale": s_scale,
            "out_temperature": out_temperature,
            "attn": [r["A"] for r in layers],
        }
        return logits, cache

    # ------------------------------------------------------------------ incremental forward
    def new_cache(self) -> KVCache:
        """An empty KV cache for this model."""
        return KVCache(self.config, self.params["tok_emb"].dtype.type)

    def embed_one(self, token: int, pos: int) -> np.ndarray:
        """Residual stream h⁰ (d,) of one token at window position ``pos``."""
        return self.params["tok_emb"][token] + self.params["pos_emb"][pos]

    def layer_one(
        self,
        layer: int,
        h: np.ndarray,
        cache: KVCache,
        *,
        temperature: float = 1.0,
        head_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pass one token's residual ``h`` (d,) through layer ``layer``, appending its key/value to the cache.

        Args:
            layer: layer index.
            h: the token's residual stream entering the layer.
            cache: the window's KV cache; the token's window position is ``cache.length[layer]``.
            temperature: attention temperature.
            head_mask: (H,) multipliers of this layer's head outputs (None = ones).

        Returns:
            ``(h_out (d,), A (H, n))``: the residual leaving the layer and each head's attention over the n
            positions of the window so far (the token itself last).
        """
        c, p = self.config, self.params
        n = cache.length[layer]
        if n >= c.n_ctx:
            raise ValueError(f"KV cache for layer {layer} is full (n_ctx={c.n_ctx}); reset it for a new window")
        H, dh = c.n_heads, c.d_head
        q = (h @ p[f"L{layer}.wq"]).reshape(H, dh)
        cache.k[layer, :, n] = (h @ p[f"L{layer}.wk"]).reshape(H, dh)
        cache.v[layer, :, n] = (h @ p[f"L{layer}.wv"]).reshape(H, dh)
        n += 1
        cache.length[layer] = n
        K = cache.k[layer, :, :n]
        s = np.matmul(K, q[:, :, None])[:, :, 0] * (self.scale / temperature)
        s -= s.max(axis=1, keepdims=True)
        A = np.exp(s)
        A /= A.sum(axis=1, keepdims=True)
        o = np.matmul(A[:, None, :], cache.v[layer, :, :n])[:, 0, :]
        if head_mask is not None:
            o = o * np.asarray(head_mask)[:, None]
        h = h + o.reshape(-1) @ p[f"L{layer}.wo"]
        if c.mlp:
            a = np.maximum(h @ p[f"L{layer}.w1"] + p[f"L{layer}.b1"], 0.0)
            h = h + a @ p[f"L{layer}.w2"] + p[f"L{layer}.b2"]
        return h, A

    def logits_one(self, h: np.ndarray, out_temperature: float = 1.0) -> np.ndarray:
        """Next-token logits (V,) from a final residual stream (d,)."""
        return (h @ self.params["unemb"] + self.params["unemb_b"]) / out_temperature

    def forward_one(
        self,
        token: int,
        cache: KVCache,
        *,
        temperature: float = 1.0,
        out_temperature: float = 1.0,
        head_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One token through every layer with the KV cache (window position = ``cache.length[0]``).

        Returns:
            ``(logits (V,), [A_l (H, n) for each layer])``. Equals row n−1 of the batch `forward` of the
            window so far.
        """
        mask = self._check_inputs(temperature, out_temperature, head_mask)
        h = self.embed_one(token, cache.length[0])
        attn = []
        for li in range(self.config.n_layers):
            h, A = self.layer_one(li, h, cache, temperature=temperature, head_mask=mask[li])
            attn.append(A)
        return self.logits_one(h, out_temperature), attn
