"""Runs keep their model: the trained weights, the source, the stream's attention and its graph, on disk.

An attention scenario calls `keep_run` once its stream has finished; with a run directory it writes

    ``model.npz``               the weights and config (`AttentionModel.save`; `AttentionModel.load` reads it);
    ``source.json``             the Markov source: ``V``, ``order``, the transition table (rows = contexts,
                                oldest symbol most significant) and its exact entropy rate and H(X_{t+1}|X_t);
    ``attention.parquet``       the stream's attention in long format, one row per (token, source position,
                                layer, head): ``token_pos, source_pos, layer, head, weight, source_symbol``,
                                for every token of the stream;
    ``attention_graph.graphml`` the stream's attention graph (the window the stream ended in) in GraphML:
                                nodes ``L{layer}P{pos}`` with ``layer``, ``pos`` (and ``token`` on inputs),
                                edges with ``weight`` and one ``head_{h}`` attribute per head.

Without a run directory (``run.out_dir is None``) nothing is written. JSON floats are written with
Python's shortest round-trip repr, so the reloaded source is bit-for-bit the one the run used.
The readers live in `analysis.kept`.

Key names: `KEPT_FILES`, `keep_run`, `source_record`, `write_graphml`.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel
from world.attention.stream import AttentionWorld
from world.clock import Run
from world.rundir import claim

__all__ = ["KEPT_FILES", "keep_run", "source_record", "write_graphml"]

KEPT_FILES = ("model.npz", "source.json", "attention.parquet", "attention_graph.graphml")
"""The files `keep_run` writes into a run directory."""


def source_record(source: MarkovSource) -> dict:
    """The source as a JSON-ready dict: V, order, transition table and its exact reference entropies."""
    return {
        "V": source.V,
        "order": source.order,
        "transition": source.transition.tolist(),
        "entropy_rate_nats": source.entropy_rate_nats,
        "current_symbol_only_floor_nats": source.conditional_entropy_nats(1),
        "unigram_entropy_nats": source.unigram_entropy_nats,
    }


def write_graphml(graph: nx.DiGraph, path: Path) -> Path:
    """Write an attention graph (nodes ``(layer, pos)``, edges with ``weight`` and ``heads``) as GraphML."""
    out = nx.DiGraph()
    for (layer, pos), data in graph.nodes(data=True):
        attrs = {"layer": int(layer), "pos": int(pos)}
        if "token" in data:
            attrs["token"] = int(data["token"])
        out.add_node(f"L{layer}P{pos}", **attrs)
    for (lu, pu), (lv, pv), data in graph.edges(data=True):
        heads = {f"head_{h}": float(w) for h, w in enumerate(data["heads"])}
        out.add_edge(f"L{lu}P{pu}", f"L{lv}P{pv}", weight=float(data["weight"]), **heads)
    nx.write_graphml(out, path)
    return path


def _attention_table(world: AttentionWorld) -> pa.Table:
    cols = world.attention_table()
    inputs = world.attention.symbols()
    symbols = np.array([inputs[int(p)] for p in cols["src"]], dtype=np.int64)
    return pa.table(
        {
            "token_pos": pa.array(cols["pos"], pa.int64()),
            "source_pos": pa.array(cols["src"], pa.int64()),
            "layer": pa.array(cols["layer"].astype(np.int32), pa.int32()),
            "head": pa.array(cols["head"].astype(np.int32), pa.int32()),
            "weight": pa.array(cols["weight"], pa.float64()),
            "source_symbol": pa.array(symbols, pa.int64()),
        }
    )


def keep_run(run: Run, model: AttentionModel, source: MarkovSource, world: AttentionWorld | None = None) -> list[str]:
    """Write the run's model, source and (if ``world`` is given) its stream's attention and graph.

    Args:
        run: the run; files go into ``run.out_dir`` (nothing is written when it is None).
        model: the model to keep (normally the trained one).
        source: the run's Markov source.
        world: a stream made with ``keep_attention=True`` (its attention table and its graph are written).

    Returns:
        The names of the files written (relative to the run directory).
    """
    if run.out_dir is None:
        return []
    out = Path(run.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Every file is claimed in the run's manifest before it is written (world.rundir): the project owns it.
    model.save(claim(out, "model.npz"))
    claim(out, "source.json").write_text(json.dumps(source_record(source)) + "\n", encoding="utf-8")
    written = ["model.npz", "source.json"]
    if world is not None:
        pq.write_table(_attention_table(world), claim(out, "attention.parquet"))
        write_graphml(world.graph, claim(out, "attention_graph.graphml"))
        written += ["attention.parquet", "attention_graph.graphml"]
    return written
