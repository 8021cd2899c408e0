"""Readers for what an attention run keeps: its model, its source, its stream's attention and graph.

The files are written by `world.attention.keep.keep_run` (see there for the formats). This module imports the
model and source classes from `world.attention` because a saved model is read back as the object that
computes with it; nothing else from `world` is used.

Key names: `read_model`, `read_source`, `read_attention`, `read_attention_graph`, `attention_arrays`.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel

__all__ = ["attention_arrays", "read_attention", "read_attention_graph", "read_model", "read_source"]


def read_model(run_dir: Path | str) -> AttentionModel:
    """The model a run kept (``model.npz``)."""
    return AttentionModel.load(Path(run_dir) / "model.npz")


def read_source(run_dir: Path | str) -> MarkovSource:
    """The Markov source a run kept (``source.json``), rebuilt with its exact entropy rate."""
    rec = json.loads((Path(run_dir) / "source.json").read_text(encoding="utf-8"))
    return MarkovSource.from_matrix(np.array(rec["transition"], dtype=np.float64), order=int(rec["order"]))


def read_attention(run_dir: Path | str) -> pd.DataFrame:
    """The stream's attention in long format (``attention.parquet``)."""
    return pd.read_parquet(Path(run_dir) / "attention.parquet")


def read_attention_graph(run_dir: Path | str) -> nx.DiGraph:
    """The stream's attention graph (``attention_graph.graphml``) with the stream's node and edge layout.

    Nodes come back as ``(layer, pos)`` tuples (inputs with ``token``), edges with ``weight`` and ``heads``
    (a tuple of per-head weights), so `analysis.attention_graph` works on it as on the live graph.
    """
    raw = nx.read_graphml(Path(run_dir) / "attention_graph.graphml")
    G = nx.DiGraph()
    key = {n: (int(d["layer"]), int(d["pos"])) for n, d in raw.nodes(data=True)}
    for n, d in raw.nodes(data=True):
        G.add_node(key[n], **({"token": int(d["token"])} if "token" in d else {}))
    for u, v, d in raw.edges(data=True):
        n_heads = sum(1 for k in d if k.startswith("head_"))
        heads = tuple(float(d[f"head_{h}"]) for h in range(n_heads))
        G.add_edge(key[u], key[v], weight=float(d["weight"]), heads=heads)
    return G


def attention_arrays(table: pd.DataFrame, first_pos: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense per-head attention of the window of ``n`` tokens starting at stream position ``first_pos``.

    Args:
        table: the long attention table (`read_attention`).
        first_pos: stream position of the window's first token (a multiple of n_ctx for a stream's window).
        n: tokens in the window.

    Returns:
        ``(A, tokens)``: A of shape (L, H, n, n) with A[l, h, i, j] = weight of token first_pos+i on
        first_pos+j (0 above the diagonal), and the n input symbols.
    """
    sel = table[(table.token_pos >= first_pos) & (table.token_pos < first_pos + n) & (table.source_pos >= first_pos)]
    L, H = int(table["layer"].max()) + 1, int(table["head"].max()) + 1
    A = np.zeros((L, H, n, n))
    i, j = sel["token_pos"].to_numpy() - first_pos, sel["source_pos"].to_numpy() - first_pos
    A[sel["layer"].to_numpy(), sel["head"].to_numpy(), i, j] = sel["weight"].to_numpy()
    tokens = np.zeros(n, dtype=np.int64)
    tokens[j] = sel["source_symbol"].to_numpy()
    return A, tokens
