"""Training as a SimPy process: events, metrics, the entropy-rate floor."""

import math

import numpy as np
import pytest

from world.attention.training import Trainer, build_source_and_model, evaluate
from world.clock import Run


def _trained(seed: int = 0, steps: int = 400):
    run = Run(seed)
    source, model = build_source_and_model(run)
    trainer = Trainer(run, model, source, steps=steps)
    trainer.start()
    run.run_until(steps + 0.5)
    return run, source, model, trainer


def test_default_source_reaches_entropy_rate_floor() -> None:
    """On the default order-1 V=8 source the held-out cross-entropy ends within 0.02 nats of the entropy rate."""
    run, source, model, _ = _trained()
    ev = evaluate(model, source, source.sample_batch(run.rng, 1024, model.config.n_ctx + 1))
    assert abs(ev["cross_entropy_nats"] - source.entropy_rate_nats) < 0.02
    assert 0.0 <= ev["kl_nats"] < 0.01


def test_cross_entropy_is_not_below_entropy_rate() -> None:
    """Trained and untrained held-out cross-entropies are ≥ the entropy rate within 4 standard errors; KL ≥ 0."""
    run = Run(1)
    source, model = build_source_and_model(run)
    untrained = model.copy()
    trainer = Trainer(run, model, source, steps=40)
    trainer.start()
    run.run_until(41)
    held = source.sample_batch(run.rng, 256, model.config.n_ctx + 1)
    for m in (model, untrained):
        ev = evaluate(m, source, held)
        assert ev["cross_entropy_nats"] >= source.entropy_rate_nats - 4 * ev["cross_entropy_se_nats"]
        assert ev["kl_nats"] >= 0.0


def test_every_step_is_one_event_at_its_time() -> None:
    """Step k is one train_step event at t = k whose value is the prequential loss and info_bits its bits saved."""
    run, _, _, trainer = _trained(seed=2, steps=25)
    tr = run.trace.to_frame()
    steps = tr[tr.kind == "train_step"]
    assert steps.t.tolist() == [float(k) for k in range(1, 26)]
    assert np.allclose(steps.value.to_numpy(dtype=float), trainer.losses)
    n = trainer.batch_size * trainer.seq_len
    expected_bits = n * (math.log(8) - np.array(trainer.losses)) / math.log(2)
    assert np.allclose(steps.info_bits.to_numpy(dtype=float), expected_bits)


def test_metrics_cover_the_documented_names() -> None:
    """Each step samples loss, entropy rate, excess loss, grad norm, bits saved and per-head attention entropy."""
    run, source, _, _ = _trained(seed=3, steps=5)
    m = run.metrics.to_frame()
    names = set(m.metric.astype(str))
    assert {
        "loss_nats",
        "entropy_rate_nats",
        "excess_loss_nats",
        "grad_norm",
        "bits_saved",
        "train_steps",
        "attention_entropy_norm",
        "attention_entropy_norm_L0H0",
        "attention_entropy_norm_L0H1",
    } <= names
    ent = m[m.metric.astype(str).str.startswith("attention_entropy_norm")].value
    assert ((ent >= 0) & (ent <= 1 + 1e-12)).all()
    loss = m[m.metric == "loss_nats"].value.to_numpy()
    excess = m[m.metric == "excess_loss_nats"].value.to_numpy()
    assert np.allclose(loss - source.entropy_rate_nats, excess)


def test_frozen_training_leaves_weights_unchanged() -> None:
    """A frozen trainer scores and records every step but never changes a weight."""
    run = Run(4)
    source, model = build_source_and_model(run)
    before = model.copy()
    trainer = Trainer(run, model, source, steps=5, frozen=True)
    trainer.start()
    run.run_until(6)
    assert trainer.steps_done == 5
    assert all(np.array_equal(model.params[k], before.params[k]) for k in model.params)


def test_bad_trainer_arguments_raise() -> None:
    """A negative step count raises ValueError naming steps."""
    run = Run(0)
    source, model = build_source_and_model(run)
    with pytest.raises(ValueError, match=r"steps\(=-1\)"):
        Trainer(run, model, source, steps=-1)


def test_evaluate_in_chunks_equals_one_pass() -> None:
    """Held-out evaluation gives the same numbers whether the sequences go through in one pass or in chunks."""
    import world.attention.training as training
    from world.clock import Run

    run = Run(5)
    source, model = training.build_source_and_model(run, V=5, n_ctx=8, d_model=8)
    held = source.sample_batch(run.rng, 40, 9)
    whole = training.evaluate(model, source, held)
    saved = training.EVAL_CHUNK_BYTES
    try:
        training.EVAL_CHUNK_BYTES = 1  # one sequence per chunk
        chunked = training.evaluate(model, source, held)
    finally:
        training.EVAL_CHUNK_BYTES = saved
    assert chunked.keys() == whole.keys()
    for key, value in whole.items():
        assert np.isclose(chunked[key], value, rtol=1e-12, atol=1e-15), key
