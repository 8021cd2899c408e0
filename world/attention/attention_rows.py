"""The attention a token stream computed, kept as arrays per window, and the networkx graph built from it on read.

Key names: `AttentionRows` (``add_token``, ``add_row``, ``retire``, ``graph``, ``rows``, ``table``).

A stream hands over each token's input symbol as it starts and each (token, layer) attention row ``A`` (H, n)
as it is computed — a list append, nothing more. The networkx ``DiGraph`` is brought up to date from these rows
when `graph` is read, incrementally: a read adds only the tokens and rows kept since the previous read, so
reading after every token and reading once at the end give the same graph, and nothing is rebuilt. Nodes are
``(layer, pos)`` (layer 0 = input embedding, carrying ``token``; layer l + 1 = the residual after attention
layer l; ``pos`` = stream position); an edge ``(l, j) → (l+1, i)`` carries ``weight`` = head-mean attention of i
on j and ``heads`` = the per-head weights (a tuple). `retire` drops a window's rows and its graph nodes.
With ``keep_all`` every row of the run is also kept (for writing the attention out).
"""

from __future__ import annotations

from itertools import repeat

import networkx as nx
import numpy as np

__all__ = ["AttentionRows"]

Row = tuple[int, int, np.ndarray]
"""(pos, layer, A): A (H, n) is the heads' attention over stream positions pos − n + 1 … pos."""


def _edge_data(A: np.ndarray) -> list[dict[str, object]]:
    """Edge attributes of one row: ``weight`` = head mean (the same floats as ``(A.sum(axis=0) / H).tolist()``),
    ``heads`` = the per-head weights."""
    rows = A.tolist()
    if len(rows) == 2:  # one addition per entry: Python's a + b is numpy's axis-0 sum of two rows
        return [{"weight": (a + b) * 0.5, "heads": (a, b)} for a, b in zip(*rows, strict=True)]
    if len(rows) == 1:
        return [{"weight": a, "heads": (a,)} for a in rows[0]]
    mean = (np.add.reduce(A, axis=0) * (1.0 / len(rows))).tolist()
    return [{"weight": w, "heads": hw} for w, hw in zip(mean, zip(*rows, strict=True), strict=True)]


class AttentionRows:
    """Attention rows of the retained windows (and optionally of the whole run), and their graph.

    Args:
        keep_all: also keep every row of the run after its window is retired.
    """

    def __init__(self, keep_all: bool = False) -> None:
        self.keep_all = keep_all
        self._tokens: dict[int, list[tuple[int, int]]] = {}
        """Window start → (pos, input symbol) of its started tokens."""
        self._rows: dict[int, list[Row]] = {}
        """Window start → its rows, in the order they were computed."""
        self._built: dict[int, tuple[int, int]] = {}
        self._nodes: dict[int, list[tuple[int, int]]] = {}
        self._all: list[Row] = []
        self._all_symbols: dict[int, int] = {}
        self._graph = nx.DiGraph()

    def add_token(self, start: int, pos: int, symbol: int) -> None:
        """A token at stream position ``pos`` of the window starting at ``start`` saw ``symbol``."""
        if self.keep_all:
            self._all_symbols[pos] = symbol
        toks = self._tokens.get(start)
        if toks is None:
            self._tokens[start] = [(pos, symbol)]
            self._rows[start] = []
        else:
            toks.append((pos, symbol))

    def add_row(self, start: int, pos: int, layer: int, A: np.ndarray) -> None:
        """The token at ``pos`` attended at ``layer`` with weights ``A`` (H, n) (kept, not copied)."""
        self._rows[start].append((pos, layer, A))
        if self.keep_all:
            self._all.append((pos, layer, A))

    def retire(self, start: int) -> None:
        """Drop the window starting at ``start``: its rows and its graph nodes."""
        self._tokens.pop(start, None)
        self._rows.pop(start, None)
        self._built.pop(start, None)
        nodes = self._nodes.pop(start, None)
        if nodes:
            self._graph.remove_nodes_from(nodes)

    @property
    def graph(self) -> nx.DiGraph:
        """The graph of the retained windows, brought up to date now."""
        g = self._graph
        for start in sorted(self._tokens):
            nt, nr = self._built.get(start, (0, 0))
            toks, rows = self._tokens[start], self._rows[start]
            if nt == len(toks) and nr == len(rows):
                continue
            nodes = self._nodes.setdefault(start, [])
            for pos, symbol in toks[nt:]:
                g.add_node((0, pos), token=symbol)
                nodes.append((0, pos))
            for pos, layer, A in rows[nr:]:
                dst = (layer + 1, pos)
                srcs = [(layer, p) for p in range(start, pos + 1)]
                g.add_edges_from(zip(srcs, repeat(dst), _edge_data(A)))
                nodes.append(dst)
            self._built[start] = (len(toks), len(rows))
        return g

    def rows(self) -> list[Row]:
        """Every row of the run with ``keep_all``, else the retained windows' rows, in the order computed."""
        if self.keep_all:
            return list(self._all)
        return [row for start in sorted(self._rows) for row in self._rows[start]]

    def symbols(self) -> dict[int, int]:
        """Stream position → the symbol the model saw, for every token of the run with ``keep_all``, else for
        the retained windows' tokens."""
        if self.keep_all:
            return dict(self._all_symbols)
        return {pos: sym for start in sorted(self._tokens) for pos, sym in self._tokens[start]}

    def table(self) -> dict[str, np.ndarray]:
        """`rows` in long columnar form, one entry per (pos, layer, head, src): ``pos``, ``layer``, ``head``,
        ``src`` (stream position attended to) as int64 and ``weight`` as float64 arrays."""
        parts: dict[str, list[np.ndarray]] = {k: [] for k in ("pos", "layer", "head", "src", "weight")}
        for pos, layer, A in self.rows():
            H, n = A.shape
            parts["pos"].append(np.full(H * n, pos, dtype=np.int64))
            parts["layer"].append(np.full(H * n, layer, dtype=np.int64))
            parts["head"].append(np.repeat(np.arange(H, dtype=np.int64), n))
            parts["src"].append(np.tile(np.arange(pos - n + 1, pos + 1, dtype=np.int64), H))
            parts["weight"].append(A.reshape(-1))
        return {
            k: np.concatenate(v) if v else np.zeros(0, dtype=np.float64 if k == "weight" else np.int64)
            for k, v in parts.items()
        }
