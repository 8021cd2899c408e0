"""The Markov source: exact entropy rate, stationarity, sampling and validation."""

import math
from itertools import pairwise

import numpy as np
import pytest

from world.attention.markov import MarkovSource


def test_entropy_rate_equals_block_entropy_increment_order1() -> None:
    """For an order-1 chain, H(X_1..X_6) − H(X_1..X_5) computed by enumeration equals the entropy rate."""
    src = MarkovSource.random(np.random.default_rng(3), V=3, order=1, alpha=0.7)
    brute = src.block_entropy_nats(6) - src.block_entropy_nats(5)
    assert brute == pytest.approx(src.entropy_rate_nats, abs=1e-10)


def test_entropy_rate_equals_block_entropy_increment_order2() -> None:
    """For an order-2 chain, the block-entropy increment H_6 − H_5 by enumeration equals the k-tuple entropy rate."""
    src = MarkovSource.random(np.random.default_rng(4), V=3, order=2, alpha=0.5)
    brute = src.block_entropy_nats(6) - src.block_entropy_nats(5)
    assert brute == pytest.approx(src.entropy_rate_nats, abs=1e-10)


def test_block_entropy_per_symbol_decreases_to_rate() -> None:
    """H(X_1..X_n)/n is at least the entropy rate and approaches it from above."""
    src = MarkovSource.random(np.random.default_rng(5), V=2, order=1, alpha=1.0)
    per_symbol = [src.block_entropy_nats(n) / n for n in (2, 4, 8, 12)]
    assert all(a >= b - 1e-12 for a, b in pairwise(per_symbol))
    assert per_symbol[-1] >= src.entropy_rate_nats - 1e-12


def test_stationary_distribution_is_invariant() -> None:
    """π over contexts is a fixed point of the k-tuple chain and sums to 1."""
    src = MarkovSource.random(np.random.default_rng(6), V=4, order=2, alpha=0.5)
    n = src.n_contexts
    nxt = np.zeros(n)
    for s in range(n):
        for b in range(src.V):
            nxt[(s * src.V) % n + b] += src.stationary[s] * src.transition[s, b]
    assert np.allclose(nxt, src.stationary, atol=1e-12) and src.stationary.sum() == pytest.approx(1.0)


def test_long_run_surprisal_matches_entropy_rate() -> None:
    """The empirical −(1/n) log p(x) of a long sample is within 5 standard errors of the entropy rate."""
    rng = np.random.default_rng(7)
    src = MarkovSource.random(rng, V=5, order=1, alpha=0.5)
    x = src.sample_batch(rng, 400, 101)
    p = np.take_along_axis(src.conditional(x)[:, :-1], x[:, 1:, None], axis=-1)[..., 0]
    nll = -np.log(p)
    se = nll.std(ddof=1) / math.sqrt(nll.size)
    assert abs(nll.mean() - src.entropy_rate_nats) < 5 * se


def test_conditional_entropy_orders() -> None:
    """H(X|nothing) = unigram entropy ≥ H(X|last symbol) ≥ H(X|last two) = entropy rate for an order-2 chain."""
    src = MarkovSource.random(np.random.default_rng(8), V=3, order=2, alpha=0.5)
    h = [src.conditional_entropy_nats(m) for m in range(3)]
    assert h[0] == pytest.approx(src.unigram_entropy_nats)
    assert h[0] >= h[1] >= h[2] == pytest.approx(src.entropy_rate_nats)
    # brute force: H(X_2 | X_1) = H(X_1, X_2) − H(X_1) from a 3-block enumeration's marginals
    assert h[1] == pytest.approx(src.block_entropy_nats(2) - src.unigram_entropy_nats, abs=1e-10)


def test_extend_continues_from_history() -> None:
    """A chain whose rows are deterministic cycles continues exactly after the given history."""
    P = np.roll(np.eye(4), 1, axis=1)  # i -> i+1 mod 4
    src = MarkovSource.from_matrix(P)
    out = src.extend(np.random.default_rng(0), np.array([2]), 5)
    assert out.tolist() == [3, 0, 1, 2, 3] and src.entropy_rate_nats == 0.0


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"V": 1}, "V(=1)"),
        ({"alpha": 0.0}, "alpha(=0.0)"),
        ({"alpha": -1.0}, "alpha(=-1.0)"),
        ({"order": 0}, "order(=0)"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(kwargs: dict, word: str) -> None:
    """V < 2, α ≤ 0 and k < 1 raise ValueError naming the value."""
    with pytest.raises(ValueError, match=word.replace("(", r"\(").replace(")", r"\)")):
        MarkovSource.random(np.random.default_rng(0), **kwargs)


def test_reducible_chain_is_rejected() -> None:
    """A chain with two closed classes raises ValueError saying it is not irreducible."""
    P = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.0, 0.5, 0.5]])
    with pytest.raises(ValueError, match="not irreducible"):
        MarkovSource.from_matrix(P)


def test_the_largest_source_the_check_accepts_builds_and_one_more_context_is_refused() -> None:
    """Every V**order the scenarios' check accepts must build: at MAX_CONTEXTS the dense stationary solve runs
    (its invariance holds to 1e-12) and the check of `scenarios.params.check_source` refuses the next size up, so
    no accepted source dies of a MemoryError (65 536 contexts, the earlier limit, asked for a 34 GB matrix)."""
    from scenarios.params import ParameterError, check_source
    from world.attention.markov import MAX_CONTEXTS

    V, order = 16, 3
    assert V**order == MAX_CONTEXTS
    check_source(V, order)
    src = MarkovSource.random(np.random.default_rng(0), V=V, order=order, alpha=0.05)
    s = np.arange(src.n_contexts)[:, None]
    succ = (s * V) % src.n_contexts + np.arange(V)[None, :]
    moved = np.zeros(src.n_contexts)
    np.add.at(moved, succ.ravel(), (src.stationary[:, None] * src.transition).ravel())
    assert np.abs(moved - src.stationary).max() < 1e-12
    with pytest.raises(ParameterError, match=r"V\(=17\) and order\(=3\): V\*\*order must be ≤ 4096"):
        check_source(17, order)
