"""Property tests over V, L, H, α and seeds: real small runs obey the attention world's laws."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.attention_graph import attention_rollout, layer_matrices
from analysis.attention_replay import replay_attention_counters
from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, ModelConfig
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer
from world.clock import Run


@settings(deadline=None)
@given(
    V=st.integers(2, 6),
    L=st.integers(1, 2),
    H=st.integers(1, 3),
    alpha=st.floats(0.2, 5.0),
    seed=st.integers(0, 2**16),
    capacity=st.integers(1, 2),
    layer_time=st.sampled_from([0.0, 0.4, 1.7]),
)
def test_laws_hold_for_small_runs(V, L, H, alpha, seed, capacity, layer_time) -> None:
    """Rows are stochastic, 0 ≤ H(q) ≤ log V, every start ends once, and replay equals the counters."""
    run = Run(seed)
    source = MarkovSource.random(run.rng, V=V, order=1, alpha=alpha)
    assert 0.0 <= source.entropy_rate_nats <= source.unigram_entropy_nats + 1e-12 <= math.log(V) + 2e-12
    model = AttentionModel.init(ModelConfig(vocab=V, n_ctx=6, d_model=8, n_layers=L, n_heads=H), run.rng)
    trainer = Trainer(run, model, source, steps=3, batch_size=2)
    trainer.start()
    world = AttentionWorld(run, model, source, head_capacity=capacity, layer_time=layer_time)
    world.start(15, at=4)
    run.run_until(4 + 15 * (1 + L * layer_time) + 5)

    entropies = np.array([r[3] for r in world.records])
    assert np.all(entropies >= -1e-12) and np.all(entropies <= math.log(V) + 1e-12)
    tr = run.trace.to_frame()
    kinds = tr.kind.astype(str)
    assert sorted(tr[kinds == "token_start"].entity_id) == sorted(tr[kinds == "token_end"].entity_id)
    assert tr.t.is_monotonic_increasing
    top = (L, world.tokens_done - 1)
    _, mats = layer_matrices(world.graph, top)
    for A in mats:
        assert np.allclose(A.sum(axis=1), 1.0)
    assert np.allclose(attention_rollout(mats).sum(axis=1), 1.0)
    got = replay_attention_counters(tr)
    assert got["streams"]["attention"] == world.counters() and got["trainers"]["train"] == trainer.counters()
