"""Graph analysis: rollout and flow over the world's graph, head entropies, previous-token and induction scores."""

import numpy as np
import pytest

from analysis.attention_graph import (
    attention_flow,
    attention_rollout,
    head_matrices,
    induction_score,
    layer_matrices,
    normalised_head_entropy,
    previous_token_score,
    rollout_from_graph,
)
from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, ModelConfig
from world.attention.stream import AttentionWorld
from world.clock import Run


def _graph_world(L: int = 2, n: int = 11):
    run = Run(9)
    source = MarkovSource.random(run.rng, V=4, order=1, alpha=0.5)
    model = AttentionModel.init(ModelConfig(vocab=4, n_ctx=16, d_model=8, n_layers=L, n_heads=2), run.rng)
    w = AttentionWorld(run, model, source)
    w.start(n)
    run.run_until(n + 1)
    return w, model


def test_rollout_rows_sum_to_one() -> None:
    """Rollout of the run's graph is row-stochastic, with and without the residual term."""
    w, _ = _graph_world()
    _, mats = layer_matrices(w.graph, (2, 10))
    for residual in (True, False):
        R = attention_rollout(mats, residual=residual)
        assert np.allclose(R.sum(axis=1), 1.0)
    assert sum(rollout_from_graph(w.graph, (2, 10)).values()) == pytest.approx(1.0)


def test_graph_matrices_equal_batch_attention() -> None:
    """Per-head matrices read back from the graph equal the batch forward's attention of the same window."""
    w, model = _graph_world()
    tokens = np.array([w.graph.nodes[(0, p)]["token"] for p in range(11)])
    _, cache = model.forward(tokens[None])
    _, heads = head_matrices(w.graph, (2, 10))
    for layer in range(2):
        assert np.allclose(heads[layer], cache["attn"][layer][0], atol=1e-12)


def test_one_layer_flow_equals_rollout() -> None:
    """With one layer every input has a single path, so normalised max-flow equals the rollout row."""
    w, _ = _graph_world(L=1)
    flow = attention_flow(w.graph, (1, 10))
    roll = rollout_from_graph(w.graph, (1, 10))
    assert flow == pytest.approx(roll, abs=1e-9)


def test_two_layer_flow_is_a_distribution_over_inputs() -> None:
    """Normalised attention flow over a two-layer graph is non-negative and sums to 1 over the window's inputs."""
    w, _ = _graph_world(L=2)
    flow = attention_flow(w.graph, (2, 10))
    assert sorted(flow) == list(range(11))
    assert min(flow.values()) >= 0 and sum(flow.values()) == pytest.approx(1.0)


def test_scores_of_ideal_heads() -> None:
    """A shift-by-one head scores 1 on previous-token and 0 entropy; a uniform head scores normalised entropy 1."""
    T = 6
    prev = np.zeros((T, T))
    prev[0, 0] = 1.0
    prev[np.arange(1, T), np.arange(T - 1)] = 1.0
    uni = np.tril(np.ones((T, T)))
    uni /= uni.sum(axis=1, keepdims=True)
    A = np.stack([prev, uni])
    assert previous_token_score(A) == pytest.approx([1.0, np.mean(1 / np.arange(2, T + 1))])
    assert normalised_head_entropy(A) == pytest.approx([0.0, 1.0])


def test_induction_score_of_an_induction_head() -> None:
    """On 'a b c a', a head at the second 'a' attending to the earlier 'b' scores 1; a self-attending head 0."""
    tokens = np.array([0, 1, 2, 0])
    ind = np.zeros((4, 4))
    ind[np.arange(4), np.arange(4)] = 1.0
    ind[3] = 0.0
    ind[3, 1] = 1.0
    self_head = np.eye(4)
    assert induction_score(np.stack([ind, self_head]), tokens) == pytest.approx([1.0, 0.0])


def test_induction_targets_lie_strictly_before_the_row() -> None:
    """On 'a a a', the last row's only target is j = 1 (after the first 'a'), never the row itself."""
    tokens = np.array([0, 0, 0])
    self_head = np.eye(3)
    target_head = np.array([[1.0, 0, 0], [0.5, 0.5, 0], [0.0, 1.0, 0.0]])
    assert induction_score(np.stack([self_head, target_head]), tokens) == pytest.approx([0.0, 1.0])
