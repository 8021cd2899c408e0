"""Attention-world throughput, measured in one run (a script, not a test): ``python benchmarks/attention.py``.

Prints tokens/s of
  (a) a plain Python loop calling the KV-cached forward (``forward_one`` + softmax, entropy, surprisal),
  (b) the same tokens through `AttentionWorld.process_now` (no SimPy, but trace, metrics and graph),
  (c) the SimPy stream (a process per token, layer resources, trace, metrics, graph),
(the graph variants keep the attention rows as tokens finish and read ``world.graph`` once at the end, which
materialises the retained window: the cost an analysis that asks for the graph pays),
  (d) the SimPy stream without the graph,
  (e) the world without SimPy and without the graph,
and the ratios c/a (target ≥ ½), c/b (what SimPy alone costs) and d/a; then training steps/s and the bytes of
networkx graph held per token of the window. Pinned to one BLAS thread (set before numpy is imported), as on
one core. Each rate is the best of `REPEATS` runs, taken in turn (a, b, c, d, e, a, b, ...), so that load from
other processes on a shared machine hits every variant alike and a single slow run does not set a ratio.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import gc
import math
import time
import tracemalloc

import numpy as np

from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model
from world.clock import Run

N_TOKENS = 6000
TRAIN_STEPS = 150
REPEATS = 3


def plain_loop(model, seq: np.ndarray) -> float:  # type: ignore[no-untyped-def]
    """Tokens/s of the bare KV-cached forward with the same per-token maths as a token's `finish`."""
    cache = model.new_cache()
    n_ctx = model.config.n_ctx
    n = len(seq) - 1
    t0 = time.perf_counter()
    for i in range(n):
        if i % n_ctx == 0:
            cache.reset()
        logits, _ = model.forward_one(int(seq[i]), cache)
        z = logits - logits.max()
        e = np.exp(z)
        total = float(e.sum())
        logq = z - math.log(total)
        _entropy = float(-(e @ logq) / total)
        _surprisal = float(-logq[seq[i + 1]])
    return n / (time.perf_counter() - t0)


def world_rate(simpy_stream: bool, graph: bool, seed: int = 0) -> float:
    """Tokens/s of an AttentionWorld stream (SimPy or synchronous), trace and metrics in memory."""
    run = Run(seed)
    source, model = build_source_and_model(run)
    world = AttentionWorld(run, model, source, record_graph=graph)
    gc.collect()
    t0 = time.perf_counter()
    if simpy_stream:
        world.start(N_TOKENS)
        run.run_until(N_TOKENS + 1)
    else:
        world.process_now(N_TOKENS)
    if graph:
        edges = world.graph.number_of_edges()  # materialise the graph, as an analysis reading it would
        assert edges > 0
    rate = world.tokens_done / (time.perf_counter() - t0)
    assert world.tokens_done == N_TOKENS
    return rate


def train_rate() -> float:
    """Optimiser steps/s (default model, batch 32 × 32 tokens) as a SimPy process."""
    run = Run(0)
    source, model = build_source_and_model(run)
    trainer = Trainer(run, model, source, steps=TRAIN_STEPS)
    trainer.start()
    t0 = time.perf_counter()
    run.run_until(TRAIN_STEPS + 1)
    return TRAIN_STEPS / (time.perf_counter() - t0)


def graph_bytes_per_token() -> tuple[float, int]:
    """Bytes allocated by the graph per token held (one full window), and the edges per window."""
    out = []
    for graph in (True, False):
        run = Run(0)
        source, model = build_source_and_model(run)
        world = AttentionWorld(run, model, source, record_graph=graph)
        gc.collect()
        tracemalloc.start()
        world.process_now(model.config.n_ctx)
        edges = world.graph.number_of_edges()
        current, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out.append((current, edges))
    n_ctx = build_source_and_model(Run(0))[1].config.n_ctx
    return (out[0][0] - out[1][0]) / n_ctx, out[0][1]


def main() -> None:
    """Measure and print."""
    run = Run(0)
    source, model = build_source_and_model(run)
    seq = source.sample(run.rng, N_TOKENS + 1)
    plain_loop(model, seq[:500])  # warm-up
    rates: dict[str, list[float]] = {k: [] for k in "abcde"}
    for _ in range(REPEATS):
        rates["a"].append(plain_loop(model, seq))
        rates["b"].append(world_rate(simpy_stream=False, graph=True))
        rates["c"].append(world_rate(simpy_stream=True, graph=True))
        rates["d"].append(world_rate(simpy_stream=True, graph=False))
        rates["e"].append(world_rate(simpy_stream=False, graph=False))
    a, b, c, d, e = (max(rates[k]) for k in "abcde")
    steps = train_rate()
    per_token, edges = graph_bytes_per_token()
    c_ = model.config
    print(
        f"model: V={c_.vocab} n_ctx={c_.n_ctx} d_model={c_.d_model} L={c_.n_layers} H={c_.n_heads}; {N_TOKENS} tokens"
        f" (best of {REPEATS})"
    )
    print(f"(a) plain loop, KV-cached forward only     {a:10.0f} tokens/s")
    print(f"(b) world without SimPy (trace+graph)      {b:10.0f} tokens/s")
    print(f"(c) SimPy stream (trace+graph)             {c:10.0f} tokens/s")
    print(f"(d) SimPy stream (trace, no graph)         {d:10.0f} tokens/s")
    print(f"(e) world without SimPy, no graph          {e:10.0f} tokens/s")
    print(f"ratio c/a (SimPy stream vs plain forward)  {c / a:10.2f}   (target >= 0.5)")
    print(f"ratio c/b (SimPy cost alone)               {c / b:10.2f}")
    print(f"ratio d/a (no graph vs plain forward)      {d / a:10.2f}   (target >= 0.8)")
    us = {k: 1e6 / v for k, v in zip("abcde", (a, b, c, d, e), strict=True)}
    print(
        f"per token: forward {us['a']:.1f} us, trace+metrics+glue {us['e'] - us['a']:.1f} us, "
        f"graph {us['b'] - us['e']:.1f} us, SimPy {us['c'] - us['b']:.1f} us"
    )
    print(
        f"training                                   {steps:10.1f} steps/s "
        f"({steps * 32 * 32:.0f} tokens/s, batch 32 x 32)"
    )
    print(
        f"graph memory                               {per_token:10.0f} bytes per token held "
        f"({edges} edges per full window, {per_token * c_.n_ctx / max(edges, 1):.0f} B/edge)"
    )


if __name__ == "__main__":
    main()
