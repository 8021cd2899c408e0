"""Interpretability methods and attribution scores, checked on models whose circuits are known exactly."""

import math

import numpy as np
import pytest
from scipy import stats

from analysis.attribution import METHODS, interval, score_model
from analysis.interp import (
    ablation_curve,
    circuit_table,
    direct_logit_attribution,
    expected_ce,
    head_table,
    lag_tables,
    logit_lens,
    patching_effects,
)
from world.attention.circuits import lag_head_model
from world.attention.hooks import run_with_hooks
from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, ModelConfig

SMALL = ModelConfig(vocab=4, n_ctx=8, d_model=8, n_layers=2, n_heads=2)
RESIDUAL_AWARE = ("rollout", "flow", "grad_x_input", "ablation", "resample")


def _source(order: int, seed: int = 1) -> MarkovSource:
    return MarkovSource.random(np.random.default_rng(seed), V=4, order=order, alpha=1.0)


@pytest.mark.parametrize("order", [2, 3])
def test_hand_built_circuit_scores_perfectly(order: int) -> None:
    """On the lag-head model every method puts all its mass on the true parents, and every method that sees
    the residual path ranks exactly the k parents first (recall@k = 1)."""
    source = _source(order)
    model = lag_head_model(source, n_ctx=8)
    x = source.sample_batch(np.random.default_rng(2), 6, 8)
    scores = score_model(model, source, x, np.random.default_rng(3))
    assert set(scores) == set(METHODS)
    for method, s in scores.items():
        assert s["parent_mass"] == pytest.approx(1.0, abs=1e-12), method
    for method in RESIDUAL_AWARE:
        assert scores[method]["recall_at_k"] == 1.0, method
    assert scores["attention_mean"]["recall_at_k"] < 1.0  # raw attention cannot see the current symbol's path


def test_random_weights_do_not_score_perfectly() -> None:
    """On random weights of the same shape no method finds both parents (recall@k ≤ 0.75): the circuit matters.
    (Parent mass stays high there: a random model mostly reflects the current symbol, which is a parent.)"""
    source = _source(2)
    hand = lag_head_model(source, n_ctx=8)
    model = AttentionModel.init(hand.config, np.random.default_rng(4))
    x = source.sample_batch(np.random.default_rng(2), 6, 8)
    scores = score_model(model, source, x, np.random.default_rng(3))
    assert max(s["recall_at_k"] for s in scores.values()) <= 0.75


def test_head_table_and_curves_of_the_lag_head() -> None:
    """The lag head is a perfect previous-token head; ablating it in any way costs CE; with it off the model
    cannot beat H(X_{t+1} | X_t) (tolerance 0.02 nats, about 4 standard errors at 400 sequences)."""
    source = _source(2)
    model = lag_head_model(source, n_ctx=8)
    x = source.sample_batch(np.random.default_rng(5), 400, 8)
    table = head_table(model, source, x)
    assert table.loc[0, "previous_token_score"] == pytest.approx(1.0, abs=1e-12)
    assert (table.loc[0, ["dce_zero", "dce_mean", "dce_resample"]] > 0.05).all()
    h1 = source.conditional_entropy_nats(1)
    for kind in ("zero", "mean", "resample"):
        curve = ablation_curve(model, source, x, [(0, 0)], kind)
        floor = float(np.mean(-(source.conditional(x)[:, 1:] * np.log(source.conditional(x)[:, 1:])).sum(-1)))
        assert curve[0] == pytest.approx(floor, abs=1e-12)
        assert curve[1] >= h1 - 0.02


def test_logit_lens_ends_at_the_model() -> None:
    """The logit lens after the last layer is the model's own expected CE; after the embedding it is not better."""
    source = _source(1)
    model = AttentionModel.init(
        ModelConfig(vocab=4, n_ctx=8, d_model=8, n_layers=2, n_heads=2), np.random.default_rng(6)
    )
    x = source.sample_batch(np.random.default_rng(7), 20, 8)
    lens = logit_lens(model, source, x)
    assert len(lens) == 3
    assert lens[-1] == pytest.approx(expected_ce(model.forward(x)[0], source, x), abs=1e-12)


def test_direct_logit_attribution_decomposes_the_centred_logit() -> None:
    """In an attention-only model, embedding + per-head direct terms + centred bias = the true symbol's centred
    logit (mean over positions, 1e-12); the lag head of the hand-built model has no direct effect at all."""
    source = _source(1)
    model = AttentionModel.init(
        ModelConfig(vocab=4, n_ctx=8, d_model=8, n_layers=2, n_heads=2), np.random.default_rng(8)
    )
    model.params["unemb_b"][:] = np.arange(4) * 0.1
    seqs = source.sample_batch(np.random.default_rng(9), 10, 9)
    x, y = seqs[:, :-1], seqs[:, 1:]
    logits, cache = run_with_hooks(model, x)
    centred = logits - logits.mean(-1, keepdims=True)
    want = np.take_along_axis(centred, y[..., None], -1).mean()
    U = model.params["unemb"]
    Uc = U - U.mean(axis=1, keepdims=True)
    b = model.params["unemb_b"] - model.params["unemb_b"].mean()
    embed = np.einsum("btd,btd->", cache["embed"], Uc.T[y]) / y.size
    got = direct_logit_attribution(model, x, y).sum() + embed + b[y].mean()
    assert got == pytest.approx(want, abs=1e-12)
    s2 = _source(2)
    hand = lag_head_model(s2, n_ctx=8)
    q = s2.sample_batch(np.random.default_rng(1), 4, 9)
    assert np.array_equal(direct_logit_attribution(hand, q[:, :-1], q[:, 1:]), np.zeros((1, 1)))


def test_patching_finds_the_lag_head_at_the_last_position() -> None:
    """Corrupting the symbol one step back: patching the lag head's clean output at the last position restores
    the clean prediction fully; at any other position it restores nothing."""
    source = _source(2)
    model = lag_head_model(source, n_ctx=6)
    clean = source.sample_batch(np.random.default_rng(10), 8, 6)
    corrupt = clean.copy()
    corrupt[:, -2] = (corrupt[:, -2] + 1) % source.V
    eff = patching_effects(model, source, clean, corrupt)
    assert eff[0, 0, -1] == pytest.approx(1.0, abs=1e-9)
    assert np.allclose(eff[0, 0, :-1], 0.0, atol=1e-12)


def test_circuits_and_lag_tables_against_closed_forms() -> None:
    """Lag tables of an order-1 chain are log P and log P²; the lag head's positional QK picks i − 1 always."""
    source = _source(1)
    lags = lag_tables(source, 2)
    P = source.transition
    assert np.allclose(lags[0], np.log(P), atol=1e-12)
    assert np.allclose(lags[1], np.log(P @ P), atol=1e-12)
    hand = lag_head_model(_source(2), n_ctx=8)
    assert circuit_table(hand, _source(2)).loc[0, "qk_previous_token"] == 1.0


def test_interval_is_the_student_t_interval() -> None:
    """The 95 % interval of [0, 1, 2] is 1 ± t(0.975, 2)/√3; one value gives a zero-width interval."""
    m, lo, hi = interval([0.0, 1.0, 2.0])
    half = stats.t.ppf(0.975, 2) / math.sqrt(3)
    assert (m, lo, hi) == pytest.approx((1.0, 1.0 - half, 1.0 + half))
    assert interval([0.5]) == (0.5, 0.5, 0.5)
