"""Compiled draws from the run's generator (`world.membrane.draws`): the numbers numpy's own calls draw, and the
state numpy's own calls leave, so a batched world's trace does not depend on which side of a compiled call a draw
is made. Tolerance: none (equal integers, equal following draws)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.membrane import draws, kernels


def _pair(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    return np.random.default_rng(seed), np.random.default_rng(seed)


def _same_after(a: np.random.Generator, b: np.random.Generator) -> None:
    """Both generators are left in the same state: their next 32-bit, 64-bit and uniform draws agree."""
    assert a.integers(1000) == b.integers(1000)
    assert a.integers(2**40) == b.integers(2**40)
    assert a.random() == b.random()


@given(
    seed=st.integers(0, 2**32 - 1),
    lam=st.one_of(
        st.sampled_from([0.0, 1e-9, 0.4, 9.999999, 10.0, 10.000001, 1e4]),
        st.floats(0.0, 30.0, allow_nan=False),
    ),
    n=st.integers(0, 300),
)
@settings(max_examples=150, deadline=None)
def test_poisson_fill_is_numpys_poisson(seed: int, lam: float, n: int) -> None:
    """`poisson_fill(g, λ, n)` = ``rng.poisson(λ, n)`` on both of numpy's branches (multiplication below λ = 10,
    PTRS from it) and λ = 0 (no draw), and the generator ends where numpy leaves it."""
    mine, theirs = _pair(seed)
    got = draws.poisson_fill(draws.generator_pointers(mine), lam, n)
    assert np.array_equal(got, theirs.poisson(lam, n))
    _same_after(mine, theirs)


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.one_of(st.integers(1, 2000), st.sampled_from([2**31, 2**32 - 1, 2**32])),
    before=st.integers(0, 3),
)
@settings(max_examples=150, deadline=None)
def test_bounded_integer_is_numpys_integers(seed: int, n: int, before: int) -> None:
    """`bounded_integer(g, n)` = ``rng.integers(n)`` (Lemire's rejection on 32-bit draws; n = 2³² takes a raw
    32-bit draw, n = 1 none), after `before` 64-bit draws so that the bit generator's buffered half of a 64-bit
    draw is exercised."""
    mine, theirs = _pair(seed)
    for _ in range(before):
        assert mine.integers(2**40) == theirs.integers(2**40)
    mine.integers(7), theirs.integers(7)  # leaves half a 64-bit draw buffered in both
    g = draws.generator_pointers(mine)
    for _ in range(5):
        assert draws.bounded_integer(g, n) == theirs.integers(n)
    _same_after(mine, theirs)


def test_draw_moves_is_the_numpy_sequence() -> None:
    """`kernels.draw_moves` draws what ``rng.poisson(kf·dt, n)``, ``rng.poisson(kb·dt, n)`` and (when a site
    moves) ``rng.integers(n)`` draw, and ranks them with `kernels.round_robin`; no draw at all when both rates
    are 0."""
    for seed in range(40):
        mine, theirs = _pair(seed)
        kf, kb, dt, n = 300.0 * (seed % 4), 20.0 * (seed % 3), 1e-3 * (1 + seed % 5), 1 + seed * 7
        moving, sf, rf, sb, rb = kernels.draw_moves(draws.generator_pointers(mine), kf, kb, dt, n)
        if kf == 0.0 and kb == 0.0:
            assert not moving
            _same_after(mine, theirs)
            continue
        nf, nb = theirs.poisson(kf * dt, n), theirs.poisson(kb * dt, n)
        assert bool(moving) == bool(nf.any() or nb.any())
        if moving:
            start = int(theirs.integers(n))
            for got, counts in (((sf, rf), nf), ((sb, rb), nb)):
                want = kernels.round_robin(counts, start)
                assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
        _same_after(mine, theirs)


def test_pointers_follow_the_generator_not_a_copy() -> None:
    """A copied or unpickled generator has its own state: its pointers are its own, and drawing through them
    leaves the original untouched (a world's copy must not draw from the world it was copied from)."""
    rng = np.random.default_rng(5)
    rng.random(3)
    for twin in (copy.deepcopy(rng), pickle.loads(pickle.dumps(rng))):
        assert draws.generator_pointers(twin)[0] != draws.generator_pointers(rng)[0]
        reference = copy.deepcopy(rng)
        draws.poisson_fill(draws.generator_pointers(twin), 3.0, 50)
        assert rng.random() == reference.random()
        assert draws.generator_pointers(rng) is draws.generator_pointers(rng)


def test_bad_lambda_is_refused_as_numpy_refuses_it() -> None:
    """λ < 0, NaN or above numpy's largest raises ValueError, as ``rng.poisson`` does."""
    g = draws.generator_pointers(np.random.default_rng(0))
    for lam in (-1e-12, float("nan"), float("inf"), draws.POISSON_LAM_MAX * 2):
        with pytest.raises(ValueError):
            np.random.default_rng(0).poisson(lam, 1)
        with pytest.raises(ValueError):
            draws.poisson_fill(g, lam, 1)
