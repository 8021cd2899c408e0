"""The numpy attention model: exact gradients, stochastic rows, KV-cache equivalence, save/load."""

from pathlib import Path

import numpy as np
import pytest

from world.attention.backward import cross_entropy, loss_and_grads
from world.attention.model import AttentionModel, ModelConfig, entropy_nats, softmax

CONFIGS = [
    ModelConfig(vocab=5, n_ctx=5, d_model=6, n_layers=1, n_heads=2),
    ModelConfig(vocab=4, n_ctx=4, d_model=6, n_layers=2, n_heads=3, d_head=2, mlp=True, d_mlp=5),
]
KW = {"temperature": 0.8, "out_temperature": 1.3}


def _numeric_grad(model: AttentionModel, name: str, x, y, w, kw) -> np.ndarray:
    p = model.params[name]
    num = np.zeros_like(p)
    eps = 1e-6
    for i in np.ndindex(p.shape):
        old = p[i]
        p[i] = old + eps
        lp = cross_entropy(model.forward(x, **kw)[0], y, w)[0]
        p[i] = old - eps
        lm = cross_entropy(model.forward(x, **kw)[0], y, w)[0]
        p[i] = old
        num[i] = (lp - lm) / (2 * eps)
    return num


@pytest.mark.parametrize("config", CONFIGS, ids=["attn-only-L1", "mlp-L2"])
def test_gradients_match_finite_differences(config: ModelConfig) -> None:
    """Every parameter tensor's hand-written gradient matches central differences to 1e-6 relative (float64)."""
    rng = np.random.default_rng(0)
    model = AttentionModel.init(config, rng)
    x = rng.integers(0, config.vocab, (2, config.n_ctx + 1))
    w = rng.random((2, config.n_ctx))
    mask = np.full((config.n_layers, config.n_heads), 1.0)
    mask[0, 0] = 0.5
    kw = {**KW, "head_mask": mask}
    _, grads, _, _ = loss_and_grads(model, x[:, :-1], x[:, 1:], w, **kw)
    assert set(grads) == set(model.params)
    for name in model.params:
        num = _numeric_grad(model, name, x[:, :-1], x[:, 1:], w, kw)
        scale = max(np.abs(num).max(), 1e-8)
        assert np.abs(num - grads[name]).max() / scale < 1e-6, name


def test_softmax_and_attention_rows_sum_to_one() -> None:
    """Softmax rows and every causal attention row sum to 1 and put no weight on future positions."""
    rng = np.random.default_rng(1)
    assert np.allclose(softmax(rng.normal(size=(7, 9)) * 30).sum(-1), 1.0)
    model = AttentionModel.init(CONFIGS[1], rng)
    _, cache = model.forward(rng.integers(0, 4, (3, 4)), temperature=0.3)
    for A in cache["attn"]:
        assert np.allclose(A.sum(-1), 1.0)
        assert np.all(np.triu(A, k=1) == 0.0)


def test_next_token_entropy_is_between_zero_and_log_v() -> None:
    """0 ≤ H(q) ≤ log V for every position, at cold, normal and hot output temperatures."""
    rng = np.random.default_rng(2)
    model = AttentionModel.init(CONFIGS[0], rng)
    x = rng.integers(0, 5, (4, 5))
    for tau in (0.01, 1.0, 50.0):
        H = entropy_nats(softmax(model.forward(x, out_temperature=tau)[0]))
        assert np.all(H >= -1e-12) and np.all(np.log(5) + 1e-12 >= H)


@pytest.mark.parametrize("config", CONFIGS, ids=["attn-only-L1", "mlp-L2"])
def test_kv_cached_incremental_forward_equals_batch(config: ModelConfig) -> None:
    """Feeding tokens one at a time through the KV cache gives the batch forward's logits and attention rows."""
    rng = np.random.default_rng(3)
    model = AttentionModel.init(config, rng)
    x = rng.integers(0, config.vocab, config.n_ctx)
    mask = rng.random((config.n_layers, config.n_heads))
    logits, cache = model.forward(x[None], temperature=0.7, out_temperature=1.4, head_mask=mask)
    kv = model.new_cache()
    for t, tok in enumerate(x):
        lg, attn = model.forward_one(int(tok), kv, temperature=0.7, out_temperature=1.4, head_mask=mask)
        assert np.allclose(lg, logits[0, t], atol=1e-12)
        for layer, A in enumerate(attn):
            assert np.allclose(A, cache["attn"][layer][0, :, t, : t + 1], atol=1e-12)


def test_save_load_roundtrip(tmp_path: Path) -> None:
    """A model saved to .npz and loaded back has the same config and gives identical logits."""
    rng = np.random.default_rng(4)
    model = AttentionModel.init(CONFIGS[1], rng)
    path = model.save(tmp_path / "m.npz")
    loaded = AttentionModel.load(path)
    x = rng.integers(0, 4, (2, 4))
    assert loaded.config == model.config
    assert np.array_equal(loaded.forward(x)[0], model.forward(x)[0])


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"temperature": 0.0}, "temperature"),
        ({"out_temperature": -1.0}, "out_temperature"),
        ({"head_mask": np.ones((2, 2))}, "head_mask"),
    ],
)
def test_bad_forward_inputs_raise(kwargs: dict, word: str) -> None:
    """Non-positive temperatures and a mis-shaped head mask raise ValueError naming the input."""
    model = AttentionModel.init(CONFIGS[0], np.random.default_rng(5))
    with pytest.raises(ValueError, match=word):
        model.forward(np.zeros((1, 3), dtype=int), **kwargs)


def test_bad_config_raises() -> None:
    """A vocabulary below 2 raises ValueError naming vocab."""
    with pytest.raises(ValueError, match=r"vocab\(=1\)"):
        ModelConfig(vocab=1)
