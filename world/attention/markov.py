"""The Markov source of the attention world: a chain whose entropy rate is known exactly.

An order-k chain over V symbols predicts the next symbol from the last k. Its transition table has one row
per context (a k-tuple, V**k rows) and V columns; rows are drawn from Dirichlet(α) with the run's generator.
The order-k chain is handled as an order-1 chain on k-tuples (the "k-tuple chain"), whose stationary
distribution π and entropy rate H = −Σ_s π_s Σ_b P[s, b] log P[s, b] are computed exactly. H is the floor
that no predictor's expected cross-entropy can go below: the attention world's "equilibrium".

Key names:
    MarkovSource: the chain (``random`` to draw one, ``from_matrix`` for a given table).
    MarkovSource.stationary: π over contexts (k-tuples, index = base-V number, oldest symbol first).
    MarkovSource.entropy_rate_nats / entropy_rate_bits / unigram_entropy_nats / conditional_entropy_nats(m).
    MarkovSource.sample / sample_batch: stationary sequences; MarkovSource.extend: continue a sequence.
    MarkovSource.conditional: the true next-symbol distribution after each position of a sequence.
    MarkovSource.block_entropy_nats: exact H(X_1..X_n) by enumeration (small chains; tests).
"""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np

__all__ = ["MAX_CONTEXTS", "MarkovSource"]

MAX_CONTEXTS = 1 << 12
"""Largest V**k accepted. The stationary distribution is solved exactly on a dense n × n matrix of the n = V**k
contexts (0.13 GB and about a second at 4 096; 65 536, the earlier limit, needed 34 GB and failed with a
MemoryError, which a sparse direct solve does not avoid: the context graph is an expander, so its LU fills in)."""


def _entropy_rows(P: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) of each row of a row-stochastic matrix, with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(P > 0, np.log(np.where(P > 0, P, 1.0)), 0.0)
    return -(P * logs).sum(axis=-1)


class MarkovSource:
    """An order-k Markov chain over V symbols with an exact entropy rate.

    Args:
        transition: array of shape (V**k, V); row s is P(next | context s), where context s is the
            k-tuple (x_{t-k}, ..., x_{t-1}) written as a base-V number with the oldest symbol most
            significant. Rows must be probability vectors.
        order: k ≥ 1.

    Raises:
        ValueError: bad shape, order, rows that are not distributions, or a k-tuple chain that is not
            irreducible (then the entropy rate is not unique).
    """

    def __init__(self, transition: np.ndarray, order: int = 1) -> None:
        P = np.asarray(transition, dtype=np.float64)
        if not isinstance(order, int | np.integer) or order < 1:
            raise ValueError(f"order(={order!r}) must be an integer ≥ 1")
        if P.ndim != 2:
            raise ValueError(f"transition must be 2-D (V**order, V); got shape {P.shape}")
        V = P.shape[1]
        if V < 2:
            raise ValueError(f"V(={V}) must be ≥ 2")
        if V**order > MAX_CONTEXTS:
            raise ValueError(f"V**order(={V}**{order}={V**order}) must be ≤ {MAX_CONTEXTS}")
        if P.shape[0] != V**order:
            raise ValueError(f"transition has {P.shape[0]} rows; an order-{order} chain over V={V} needs {V**order}")
        if np.any(~np.isfinite(P)) or np.any(P < 0) or not np.allclose(P.sum(axis=1), 1.0, atol=1e-9):
            raise ValueError("transition rows must be finite, non-negative and sum to 1")
        self.V = int(V)
        self.order = int(order)
        self.n_contexts = V**order
        self.transition = P / P.sum(axis=1, keepdims=True)
        self.transition.setflags(write=False)
        self._cum = np.cumsum(self.transition, axis=1)
        self._cum[:, -1] = 1.0
        self._check_irreducible()
        self.stationary = self._solve_stationary()
        self.stationary.setflags(write=False)
        self.row_entropy_nats = _entropy_rows(self.transition)
        self.entropy_rate_nats = float(self.stationary @ self.row_entropy_nats)
        self.entropy_rate_bits = self.entropy_rate_nats / math.log(2.0)
        self.unigram = self.stationary.reshape(-1, V).sum(axis=0)
        self.unigram_entropy_nats = float(_entropy_rows(self.unigram[None, :])[0])
        self.uniform_entropy_nats = math.log(V)

    # ------------------------------------------------------------------ construction
    @classmethod
    def random(cls, rng: np.random.Generator, V: int = 8, order: int = 1, alpha: float = 0.5) -> MarkovSource:
        """Draw a chain: each of the V**order rows ~ Dirichlet(alpha, ..., alpha) from ``rng``.

        Args:
            rng: the run's generator.
            V: alphabet size, ≥ 2.
            order: k ≥ 1.
            alpha: Dirichlet concentration, > 0 (small → peaked rows, low entropy rate).

        Raises:
            ValueError: V < 2, order < 1, alpha ≤ 0, or a drawn chain that is not irreducible (very small
                alpha can underflow entries to 0).
        """
        if not isinstance(V, int | np.integer) or V < 2:
            raise ValueError(f"V(={V!r}) must be an integer ≥ 2")
        if not isinstance(order, int | np.integer) or order < 1:
            raise ValueError(f"order(={order!r}) must be an integer ≥ 1")
        if not (isinstance(alpha, int | float | np.floating) and math.isfinite(alpha) and alpha > 0):
            raise ValueError(f"alpha(={alpha!r}) must be a finite number > 0")
        if V**order > MAX_CONTEXTS:
            raise ValueError(f"V**order(={V}**{order}) must be ≤ {MAX_CONTEXTS}")
        P = rng.dirichlet(np.full(V, float(alpha)), size=V**order)
        try:
            return cls(P, order=order)
        except ValueError as exc:
            raise ValueError(f"{exc} (alpha(={alpha}) is too small for a well-mixed chain)") from exc

    @classmethod
    def from_matrix(cls, transition: np.ndarray, order: int = 1) -> MarkovSource:
        """A chain with a given transition table (see the class docstring for the layout)."""
        return cls(np.asarray(transition, dtype=np.float64), order=order)

    # ------------------------------------------------------------------ exact quantities
    def _successors(self) -> np.ndarray:
        """succ[s, b]: context index after symbol b follows context s (the k-tuple shift)."""
        s = np.arange(self.n_contexts)[:, None]
        return (s * self.V) % self.n_contexts + np.arange(self.V)[None, :]

    def _check_irreducible(self) -> None:
        succ = self._successors()
        rows, cols = np.nonzero(self.transition > 0)
        G = nx.DiGraph()
        G.add_nodes_from(range(self.n_contexts))
        G.add_edges_from(zip(rows.tolist(), succ[rows, cols].tolist(), strict=True))
        n_scc = nx.number_strongly_connected_components(G)
        if n_scc != 1:
            raise ValueError(
                f"the order-{self.order} chain over V={self.V} is not irreducible "
                f"({n_scc} strongly connected classes of contexts); its entropy rate is not unique"
            )

    def _solve_stationary(self) -> np.ndarray:
        n = self.n_contexts
        succ = self._successors()
        T = np.zeros((n, n))
        np.add.at(T, (np.repeat(np.arange(n), self.V), succ.ravel()), self.transition.ravel())
        # π T = π, Σ π = 1: replace one balance equation with the normalisation.
        A = T.T - np.eye(n)
        A[-1, :] = 1.0
        b = np.zeros(n)
        b[-1] = 1.0
        pi = np.linalg.solve(A, b)
        pi = np.clip(pi, 0.0, None)
        return pi / pi.sum()

    def conditional_entropy_nats(self, m: int) -> float:
        """Exact H(X_{t+1} | X_{t-m+1..t}): the best possible cross-entropy using only the last m symbols.

        m = 0 gives the unigram entropy, m ≥ order the entropy rate.
        """
        if not isinstance(m, int | np.integer) or m < 0:
            raise ValueError(f"m(={m!r}) must be an integer ≥ 0")
        if m >= self.order:
            return self.entropy_rate_nats
        k, V = self.order, self.V
        joint = (self.stationary[:, None] * self.transition).reshape((V,) * (k + 1))  # X_{t-k+1..t+1}
        block = joint.sum(axis=tuple(range(k - m)))  # last m + 1 symbols
        prev = block.sum(axis=-1)

        def h(p: np.ndarray) -> float:
            p = p[p > 0]
            return float(-(p * np.log(p)).sum())

        return h(block) - h(prev)

    def context_index(self, symbols: np.ndarray) -> np.ndarray:
        """Context index of the last ``order`` symbols along the last axis (oldest most significant)."""
        symbols = np.asarray(symbols)
        idx = np.zeros(symbols.shape[:-1], dtype=np.int64)
        for j in range(self.order):
            idx = idx * self.V + symbols[..., symbols.shape[-1] - self.order + j]
        return idx

    def conditional(self, seqs: np.ndarray) -> np.ndarray:
        """True P(x_{t+1} | x_{≤t}) after every position t ≥ order−1 of each sequence.

        Args:
            seqs: int array (..., T).

        Returns:
            Array (..., T, V); rows for positions t < order−1 (too little context) are NaN.
        """
        seqs = np.asarray(seqs)
        T = seqs.shape[-1]
        out = np.full((*seqs.shape, self.V), np.nan)
        if self.order <= T:
            windows = np.lib.stride_tricks.sliding_window_view(seqs, self.order, axis=-1)
            ctx = self.context_index(windows)
            out[..., self.order - 1 :, :] = self.transition[ctx]
        return out

    def block_entropy_nats(self, n: int) -> float:
        """Exact H(X_1, ..., X_n) of the stationary chain, by enumerating all V**n sequences.

        For n ≥ order + 1, block_entropy(n) − block_entropy(n − 1) equals the entropy rate exactly. Meant for
        small chains (V**n ≤ 2**20).
        """
        if not isinstance(n, int) or n < self.order:
            raise ValueError(f"n(={n!r}) must be an integer ≥ order(={self.order})")
        if self.V**n > 1 << 20:
            raise ValueError(f"V**n(={self.V}**{n}) is too many sequences to enumerate (≤ 2**20)")
        seqs = np.array(list(itertools.product(range(self.V), repeat=n)), dtype=np.int64)
        logp = np.log(self.stationary[self.context_index(seqs[:, : self.order])])
        for t in range(self.order, n):
            ctx = self.context_index(seqs[:, t - self.order : t])
            with np.errstate(divide="ignore"):
                logp = logp + np.log(self.transition[ctx, seqs[:, t]])
        p = np.exp(logp)
        return float(-(p[p > 0] * logp[p > 0]).sum())

    # ------------------------------------------------------------------ sampling
    def sample_batch(self, rng: np.random.Generator, batch: int, length: int) -> np.ndarray:
        """``batch`` independent stationary sequences of ``length`` symbols, shape (batch, length), int64.

        The first ``order`` symbols of each sequence are a context drawn from π; the rest follow the chain.
        """
        if batch < 1 or length < 1:
            raise ValueError(f"batch(={batch}) and length(={length}) must be ≥ 1")
        k, V = self.order, self.V
        ctx = rng.choice(self.n_contexts, size=batch, p=self.stationary)
        out = np.empty((batch, max(length, k)), dtype=np.int64)
        c = ctx.copy()
        for j in range(k - 1, -1, -1):
            out[:, j] = c % V
            c //= V
        u = rng.random((batch, max(length - k, 0)))
        for t in range(k, length):
            nxt = (self._cum[ctx] < u[:, t - k, None]).sum(axis=1)
            out[:, t] = nxt
            ctx = (ctx * V) % self.n_contexts + nxt
        return out[:, :length]

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """One stationary sequence of ``n`` symbols (int64)."""
        return self.sample_batch(rng, 1, n)[0]

    def extend(self, rng: np.random.Generator, history: np.ndarray, n: int) -> np.ndarray:
        """``n`` symbols that continue a sequence ending in ``history`` (its last ``order`` symbols are used).

        Args:
            rng: the run's generator.
            history: at least ``order`` previous symbols.
            n: number of new symbols (≥ 0).
        """
        history = np.asarray(history, dtype=np.int64)
        if history.size < self.order:
            raise ValueError(f"history has {history.size} symbols; an order-{self.order} chain needs {self.order}")
        if n < 0:
            raise ValueError(f"n(={n}) must be ≥ 0")
        ctx = int(self.context_index(history[-self.order :]))
        out = np.empty(n, dtype=np.int64)
        u = rng.random(n)
        cum = self._cum
        for t in range(n):
            b = int(np.searchsorted(cum[ctx], u[t], side="right"))
            out[t] = b
            ctx = (ctx * self.V) % self.n_contexts + b
        return out

    def __repr__(self) -> str:
        return (
            f"MarkovSource(V={self.V}, order={self.order}, entropy_rate_nats={self.entropy_rate_nats:.4f}, "
            f"unigram_entropy_nats={self.unigram_entropy_nats:.4f})"
        )
