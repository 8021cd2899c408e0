"""Hand-built models with a known circuit: the ground truth interpretability methods are checked against.

`lag_head_model` writes, for an order-k Markov source, a one-layer model that predicts the next symbol
*exactly*: head m (m = 1 … k−1) attends only to position i − m (its query is position i, its key position
j + m, with a score gap of ``sharpness``, large enough that every other weight underflows to exactly 0) and
copies that position's symbol into its own block of the residual stream; the current symbol rides the
residual; a ReLU MLP with one hidden unit per context (V**k units) fires exactly when the k symbols match its
context and writes log P(next | context) into a block that the unembedding reads out. So at every position
with a full context the logits are log P(·| last k symbols), the model's cross-entropy is the entropy rate,
and the positions that matter for the prediction at i are exactly i − k + 1 … i.

Residual layout (d_model = k·V + n_ctx + V): [current symbol one-hot | symbol at lag 1 | … | lag k−1 |
position one-hot | log-probability block].

Key names: `lag_head_model`.
"""

from __future__ import annotations

import math

import numpy as np

from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, ModelConfig

__all__ = ["lag_head_model"]


def lag_head_model(source: MarkovSource, n_ctx: int, sharpness: float = 1000.0) -> AttentionModel:
    """The exact order-k predictor for ``source`` with k − 1 lag heads (one head that does nothing when k = 1).

    Args:
        source: an order-k Markov source whose transition entries are all > 0.
        n_ctx: context window.
        sharpness: attention score gap between the attended position and the rest (≥ 800 makes the other
            weights exactly 0 in float64).

    Raises:
        ValueError: a transition entry of 0 (log 0 cannot be written into a weight), or n_ctx < order.
    """
    V, k = source.V, source.order
    if np.any(source.transition <= 0):
        raise ValueError("every transition probability must be > 0 for an exact log-probability readout")
    if n_ctx < k:
        raise ValueError(f"n_ctx(={n_ctx}) must be ≥ the source's order(={k})")
    H = max(1, k - 1)
    dh = max(n_ctx, V)
    pos0, out0 = k * V, k * V + n_ctx
    d = out0 + V
    config = ModelConfig(vocab=V, n_ctx=n_ctx, d_model=d, n_layers=1, n_heads=H, d_head=dh, mlp=True, d_mlp=V**k)
    p = {name: np.zeros(shape) for name, shape in AttentionModel.param_shapes(config).items()}
    p["tok_emb"][np.arange(V), np.arange(V)] = 1.0
    p["pos_emb"][np.arange(n_ctx), pos0 + np.arange(n_ctx)] = 1.0
    beta = sharpness * math.sqrt(dh)  # the model scales scores by 1/√d_head
    for m in range(1, k):
        col = (m - 1) * dh
        for i in range(n_ctx):
            p["L0.wq"][pos0 + i, col + i] = beta
            if i + m < n_ctx:
                p["L0.wk"][pos0 + i, col + i + m] = 1.0
        p["L0.wv"][np.arange(V), col + np.arange(V)] = 1.0
        p["L0.wo"][col + np.arange(V), m * V + np.arange(V)] = 1.0
    contexts = np.arange(V**k)
    for lag in range(k):  # digit k−1−lag of the context (oldest most significant) is the symbol at lag `lag`
        digit = (contexts // V**lag) % V
        p["L0.w1"][lag * V + digit, contexts] = 1.0
    p["L0.b1"][:] = -(k - 1)
    p["L0.w2"][contexts, out0 : out0 + V] = np.log(source.transition)
    p["unemb"][out0 + np.arange(V), np.arange(V)] = 1.0
    return AttentionModel(config, p)
