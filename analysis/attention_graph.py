"""Attention-graph analysis: rollout, flow, head entropies, previous-token and induction scores.

Pure functions over the networkx graph an `AttentionWorld` builds (nodes ``(layer, pos)``, edges
``(l, j) → (l+1, i)`` with ``weight`` = head-mean attention and ``heads`` = per-head weights) or over plain
attention arrays. Nothing is mutated; analyses that need other capacities work on a copy of the window.

Attention rollout (Abnar & Zuidema 2020): Ã_l = 0.5·A_l + 0.5·I with rows renormalised (the residual
connection), R = Ã_L ⋯ Ã_1; row i of R says how much of position i's top representation comes from each
input. Attention flow: the maximum flow from input node (0, j) to the top node (L, i) of the graph with edge
capacities = attention weights (+ 0.5 on the residual self-edge and rows scaled by 0.5 when ``residual``).

Key names: `window_positions`, `layer_matrices`, `head_matrices`, `attention_rollout`, `rollout_from_graph`,
`attention_flow`, `attention_entropy_nats`, `normalised_head_entropy`, `previous_token_score`,
`induction_score`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import networkx as nx
import numpy as np

__all__ = [
    "attention_entropy_nats",
    "attention_flow",
    "attention_rollout",
    "head_matrices",
    "induction_score",
    "layer_matrices",
    "normalised_head_entropy",
    "previous_token_score",
    "rollout_from_graph",
    "window_positions",
]


def _top_layer(G: nx.DiGraph, top: Hashable) -> int:
    if top not in G:
        raise ValueError(f"node {top!r} is not in the graph")
    layer = top[0]  # type: ignore[index]
    if layer < 1:
        raise ValueError(f"top node {top!r} must be above the inputs (layer ≥ 1)")
    return int(layer)


def window_positions(G: nx.DiGraph, top: tuple[int, int]) -> list[int]:
    """Positions the top node's window holds up to and including it (sources of its incoming edges)."""
    _top_layer(G, top)
    return sorted(p for (_, p) in G.predecessors(top))


def layer_matrices(G: nx.DiGraph, top: tuple[int, int], attr: str = "weight") -> tuple[list[int], list[np.ndarray]]:
    """Dense per-layer attention matrices of the top node's window.

    Args:
        G: the attention graph.
        top: ``(L, i)``, a node of the top layer (usually the newest token).
        attr: edge attribute to read (``"weight"``).

    Returns:
        ``(positions, [A_0, ..., A_{L-1}])`` with A_l[a, b] = attention of positions[a] on positions[b] at
        layer l (zero where no edge, e.g. above the diagonal).
    """
    return _window_matrices(G, top, attr, ())


def _window_matrices(
    G: nx.DiGraph, top: tuple[int, int], attr: str, lead: tuple[int, ...]
) -> tuple[list[int], list[np.ndarray]]:
    """Per layer, an array ``lead + (n, n)`` filled from edge attribute `attr` over the top node's window."""
    L = _top_layer(G, top)
    pos = window_positions(G, top)
    index = {p: a for a, p in enumerate(pos)}
    mats = []
    for layer in range(L):
        A = np.zeros((*lead, len(pos), len(pos)))
        for p in pos:
            node = (layer + 1, p)
            if node not in G:
                continue
            for (_, q), data in G.pred[node].items():
                if q in index:
                    A[..., index[p], index[q]] = data[attr]
        mats.append(A)
    return pos, mats


def head_matrices(G: nx.DiGraph, top: tuple[int, int]) -> tuple[list[int], list[np.ndarray]]:
    """Per-head attention (H, n, n) per layer of the top node's window, from the edges' ``heads`` attribute."""
    H = len(next(iter(G.pred[top].values()))["heads"])
    return _window_matrices(G, top, "heads", (H,))


def attention_rollout(mats: list[np.ndarray], residual: bool = True) -> np.ndarray:
    """Rollout R = Ã_L ⋯ Ã_1 of per-layer (n, n) row-stochastic attention matrices.

    Args:
        mats: per-layer attention, bottom layer first.
        residual: use Ã = 0.5·A + 0.5·I (rows renormalised) to account for the residual stream.

    Returns:
        (n, n) matrix whose rows sum to 1: row i distributes position i's top representation over inputs.
    """
    if not mats:
        raise ValueError("mats must hold at least one layer")
    n = mats[0].shape[0]
    R = np.eye(n)
    for A in mats:
        if A.shape != (n, n):
            raise ValueError(f"every layer matrix must be ({n}, {n}); got {A.shape}")
        At = 0.5 * A + 0.5 * np.eye(n) if residual else A.astype(np.float64)
        s = At.sum(axis=1, keepdims=True)
        At = np.divide(At, s, out=np.zeros_like(At), where=s > 0)
        R = At @ R
    return R


def rollout_from_graph(G: nx.DiGraph, top: tuple[int, int], residual: bool = True) -> dict[int, float]:
    """Rollout of the top node back to its window's inputs: input position → share (sums to 1)."""
    pos, mats = layer_matrices(G, top)
    R = attention_rollout(mats, residual=residual)
    row = R[pos.index(top[1])]
    return {p: float(v) for p, v in zip(pos, row, strict=True)}


def attention_flow(
    G: nx.DiGraph, top: tuple[int, int], residual: bool = True, normalise: bool = True
) -> dict[int, float]:
    """Attention flow (max-flow, Abnar & Zuidema 2020) from every input of the window to the top node.

    Args:
        G: the attention graph (not modified).
        top: ``(L, i)``.
        residual: capacities 0.5·weight, plus 0.5 on each self-edge (l, p) → (l+1, p); else capacity = weight.
        normalise: divide by the total so the flows sum to 1.

    Returns:
        input position → flow value.
    """
    L = _top_layer(G, top)
    pos = window_positions(G, top)
    keep = {(layer, p) for layer in range(L + 1) for p in pos}
    W = nx.DiGraph()
    for u, v, data in G.subgraph(keep).edges(data=True):
        cap = data["weight"]
        if residual:
            cap = 0.5 * cap + (0.5 if u[1] == v[1] else 0.0)
        W.add_edge(u, v, capacity=cap)
    flows = {}
    for p in pos:
        src = (0, p)
        flows[p] = float(nx.maximum_flow_value(W, src, top)) if src in W and nx.has_path(W, src, top) else 0.0
    if normalise:
        total = sum(flows.values())
        if total > 0:
            flows = {p: f / total for p, f in flows.items()}
    return flows


def attention_entropy_nats(A: np.ndarray) -> np.ndarray:
    """Entropy (nats) of every attention row (last axis), 0 log 0 = 0."""
    A = np.asarray(A, dtype=np.float64)
    return -(A * np.log(np.where(A > 0, A, 1.0))).sum(axis=-1)


def normalised_head_entropy(A: np.ndarray) -> np.ndarray:
    """Per head, the mean over rows i ≥ 1 of H(A[h, i, :i+1]) / log(i+1), for causal attention (H, T, T).

    0 = every row attends to one position, 1 = every row is uniform over its context. NaN when T = 1.
    """
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 3 or A.shape[1] != A.shape[2]:
        raise ValueError(f"A must have shape (H, T, T); got {A.shape}")
    T = A.shape[-1]
    if T < 2:
        return np.full(A.shape[0], math.nan)
    ent = attention_entropy_nats(A[:, 1:, :])
    return (ent / np.log(np.arange(2, T + 1))).mean(axis=1)


def previous_token_score(A: np.ndarray) -> np.ndarray:
    """Per head, mean attention of row i on position i − 1 over rows i ≥ 1 (1 = a perfect previous-token head)."""
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 3 or A.shape[1] != A.shape[2]:
        raise ValueError(f"A must have shape (H, T, T); got {A.shape}")
    T = A.shape[-1]
    if T < 2:
        return np.full(A.shape[0], math.nan)
    i = np.arange(1, T)
    return A[:, i, i - 1].mean(axis=1)


def induction_score(A: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Per head, mean attention on induction targets: positions j < i whose previous token equals token i.

    An induction head at position i attends to the token that followed an earlier occurrence of token i.
    The target must lie strictly before i (the usual definition): with j = i allowed, a head attending to
    itself would count as an induction head wherever a symbol repeats at once. Rows with no target are
    skipped; NaN if no row qualifies.

    Args:
        A: causal attention (H, T, T).
        tokens: the T input tokens.
    """
    A = np.asarray(A, dtype=np.float64)
    tokens = np.asarray(tokens)
    if A.ndim != 3 or A.shape[1:] != (tokens.size, tokens.size):
        raise ValueError(f"A must have shape (H, T, T) with T = len(tokens) = {tokens.size}; got {A.shape}")
    T = tokens.size
    scores, rows = np.zeros(A.shape[0]), 0
    for i in range(1, T):
        targets = [j for j in range(1, i) if tokens[j - 1] == tokens[i]]
        if targets:
            scores += A[:, i, targets].sum(axis=1)
            rows += 1
    return scores / rows if rows else np.full(A.shape[0], math.nan)
