"""The activation cache and hooks: the forward is unchanged without edits, and edits do what they say."""

import numpy as np
import pytest

from world.attention.circuits import lag_head_model
from world.attention.hooks import (
    hook_names,
    incremental_patterns,
    mean_head,
    patch,
    resample_head,
    run_with_hooks,
    zero_head,
)
from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, ModelConfig

CONFIG = ModelConfig(vocab=5, n_ctx=8, d_model=12, n_layers=2, n_heads=3, mlp=True)


def _model_and_tokens(seed: int = 0) -> tuple[AttentionModel, np.ndarray]:
    rng = np.random.default_rng(seed)
    return AttentionModel.init(CONFIG, rng), rng.integers(0, CONFIG.vocab, size=(4, CONFIG.n_ctx))


def test_cache_without_hooks_equals_the_forward() -> None:
    """Logits and every layer's pattern equal `AttentionModel.forward` to 1e-12; the cache has every hook point."""
    model, x = _model_and_tokens()
    mask = np.array([[1.0, 0.0, 0.5], [1.0, 1.0, 0.0]])
    logits, cache = run_with_hooks(model, x, temperature=0.7, out_temperature=1.3, head_mask=mask)
    ref, ref_cache = model.forward(x, temperature=0.7, out_temperature=1.3, head_mask=mask)
    assert np.allclose(logits, ref, rtol=0, atol=1e-12)
    for li in range(CONFIG.n_layers):
        assert np.allclose(cache[f"L{li}.attn.pattern"], ref_cache["attn"][li], rtol=0, atol=1e-13)
    assert list(cache) == hook_names(model)
    assert np.allclose(cache["L1.resid_post"], ref_cache["h_out"], atol=1e-12)


def test_identity_hooks_change_nothing() -> None:
    """Hooks that return None or their input leave the logits bit for bit unchanged."""
    model, x = _model_and_tokens(1)
    base, _ = run_with_hooks(model, x)
    hooks = {name: (lambda v: None) if i % 2 else (lambda v: v) for i, name in enumerate(hook_names(model))}
    assert np.array_equal(run_with_hooks(model, x, hooks)[0], base)


def test_batch_and_kv_cached_paths_are_equal() -> None:
    """Token-by-token KV-cached logits and patterns equal the batch forward's, row by row (1e-12)."""
    model, x = _model_and_tokens(2)
    logits, cache = run_with_hooks(model, x)
    for b in range(x.shape[0]):
        inc_logits, pats = incremental_patterns(model, x[b])
        assert np.allclose(inc_logits, logits[b], rtol=0, atol=1e-12)
        batch = np.stack([cache[f"L{li}.attn.pattern"][b] for li in range(CONFIG.n_layers)])
        assert np.allclose(pats, batch, rtol=0, atol=1e-12)


def test_zero_head_hook_equals_the_head_mask() -> None:
    """Zeroing a head's output by hook gives the same logits as the model's head mask (1e-12)."""
    model, x = _model_and_tokens(3)
    mask = np.ones((2, 3))
    mask[1, 2] = 0.0
    hooked, _ = run_with_hooks(model, x, {"L1.attn.head_out": zero_head(2)})
    assert np.allclose(hooked, model.forward(x, head_mask=mask)[0], rtol=0, atol=1e-12)
    assert not np.allclose(hooked, model.forward(x)[0], atol=1e-6)


def test_mean_ablation_of_a_constant_output_head_is_a_no_op() -> None:
    """A head whose values are the same at every position outputs a constant: mean-ablating it changes nothing,
    while mean-ablating an ordinary head does change the logits."""
    model, x = _model_and_tokens(4)
    p = {k: v.copy() for k, v in model.params.items()}
    const = np.random.default_rng(9).standard_normal(CONFIG.d_model)
    p["tok_emb"] += const  # a shared direction present in every embedding …
    p["pos_emb"] -= p["pos_emb"] @ np.outer(const, const) / (const @ const)  # … and absent from the positions
    p["tok_emb"] -= (p["tok_emb"] - const) @ np.outer(const, const) / (const @ const)
    dh = CONFIG.d_head
    reader = np.outer(const, np.ones(dh)) / (const @ const)  # head 0 of layer 0 reads only that direction
    p["L0.wv"][:, :dh] = reader
    model = AttentionModel(CONFIG, p)
    ref_x = np.random.default_rng(5).integers(0, CONFIG.vocab, size=(16, CONFIG.n_ctx))
    _, ref_cache = run_with_hooks(model, ref_x)
    base, _ = run_with_hooks(model, x)
    same, _ = run_with_hooks(model, x, {"L0.attn.head_out": mean_head(0, ref_cache["L0.attn.head_out"])})
    assert np.allclose(same, base, rtol=0, atol=1e-12)
    other, _ = run_with_hooks(model, x, {"L0.attn.head_out": mean_head(1, ref_cache["L0.attn.head_out"])})
    assert np.abs(other - base).max() > 1e-3


def test_patching_the_whole_clean_residual_restores_clean_logits_exactly() -> None:
    """Writing the clean run's final residual into a corrupted run gives the clean logits bit for bit."""
    model, x = _model_and_tokens(6)
    clean, cache = run_with_hooks(model, x)
    corrupted = (x + 1) % CONFIG.vocab
    bad, _ = run_with_hooks(model, corrupted)
    assert np.abs(bad - clean).max() > 1e-3
    for name in ("L1.resid_post", "logits"):
        restored, _ = run_with_hooks(model, corrupted, {name: patch(cache[name])})
        assert np.array_equal(restored, clean)
    resampled, _ = run_with_hooks(model, x, {"L0.attn.head_out": resample_head(0, cache["L0.attn.head_out"])})
    assert np.array_equal(resampled, clean)


def test_hand_built_circuit_predicts_exactly() -> None:
    """The lag-head model of an order-2 source outputs log P(next | last 2) and attends only to lag 1."""
    source = MarkovSource.random(np.random.default_rng(7), V=4, order=2, alpha=1.0)
    model = lag_head_model(source, n_ctx=8)
    x = source.sample_batch(np.random.default_rng(8), 5, 8)
    logits, cache = run_with_hooks(model, x)
    P = source.conditional(x)
    assert np.allclose(np.exp(logits[:, 1:]), P[:, 1:], rtol=0, atol=1e-12)
    A = cache["L0.attn.pattern"][:, 0]
    assert np.array_equal(A[:, np.arange(1, 8), np.arange(0, 7)], np.ones((5, 7)))


def test_bad_hook_name_and_shape_are_refused() -> None:
    """An unknown hook point and a hook that changes a shape raise ValueError naming them."""
    model, x = _model_and_tokens()
    with pytest.raises(ValueError, match="unknown hook points"):
        run_with_hooks(model, x, {"L9.resid_post": zero_head(0)})
    with pytest.raises(ValueError, match="returned shape"):
        run_with_hooks(model, x, {"embed": lambda v: v[:, :1]})
