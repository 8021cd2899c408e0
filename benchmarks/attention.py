"""Attention-world throughput, measured in one run (a script, not a test): ``python benchmarks/attention.py``.

Usage: ``python benchmarks/attention.py [--baseline REF] [--json]``

Prints tokens/s of
  (a) a plain Python loop calling the KV-cached forward (``forward_one`` + softmax, entropy, surprisal),
  (b) the same tokens through `AttentionWorld.process_now` (no SimPy, but trace, metrics and graph),
  (c) the SimPy stream (SimPy arrivals and layer holds, trace, metrics, graph),
(the graph variants keep the attention rows as tokens finish and read ``world.graph`` once at the end, which
materialises the retained window: the cost an analysis that asks for the graph pays),
  (d) the SimPy stream without the graph,
  (e) the world without SimPy and without the graph,
and the ratios c/a (target ≥ ½), c/b (what SimPy alone costs) and d/a (target ≥ 0.8); then the per-token
breakdown (forward = 1/a; trace + metrics + glue = 1/e − 1/a; graph = 1/b − 1/e; SimPy = 1/c − 1/b), training
steps/s and the bytes of networkx graph held per token of the window. Every world variant's timed region ends
with ``run.trace.flush()`` and ``run.metrics.flush()`` (the in-memory recorders turn their buffers into Arrow
tables there, work a run writing files pays at every flush), so rows built late are charged to the stream.

``--baseline REF`` first measures git revision REF the same way (its tree exported to a temporary directory and
measured by this script in a child process, so both sides run the same measuring code) and prints its per-token
breakdown beside this tree's. ``--json`` prints the measurement as one JSON object (what the child prints).

Rates are per CPU-second of this process (`CLOCK`), pinned to one BLAS thread (set before numpy is imported), as
on one core. Each rate is the best of `REPEATS`
runs, taken in turn (a, b, c, d, e, a, b, ...), so that load from other processes on a shared machine hits every
variant alike and a single slow run does not set a ratio.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import gc
import json
import math
import time
import tracemalloc

import numpy as np
from _revision import at_revision

from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model
from world.clock import Run

CLOCK = time.process_time
"""CPU time of this process: on a shared machine, time other processes take the core is not charged to the
variant that happened to be running (wall time made the ratios swing by ±0.15 between runs under load)."""
N_TOKENS = 6000
TRAIN_STEPS = 150
REPEATS = 9


def plain_loop(model, seq: np.ndarray) -> float:  # type: ignore[no-untyped-def]
    """Tokens/s of the bare KV-cached forward with the same per-token maths as a token's `finish`."""
    cache = model.new_cache()
    n_ctx = model.config.n_ctx
    n = len(seq) - 1
    t0 = CLOCK()
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
    return n / (CLOCK() - t0)


def world_rate(simpy_stream: bool, graph: bool, seed: int = 0) -> float:
    """Tokens/s of an AttentionWorld stream (SimPy or synchronous), trace and metrics in memory, flushed."""
    run = Run(seed)
    source, model = build_source_and_model(run)
    world = AttentionWorld(run, model, source, record_graph=graph)
    gc.collect()
    t0 = CLOCK()
    if simpy_stream:
        world.start(N_TOKENS)
        run.run_until(N_TOKENS + 1)
    else:
        world.process_now(N_TOKENS)
    if graph:
        edges = world.graph.number_of_edges()  # materialise the graph, as an analysis reading it would
        assert edges > 0
    run.trace.flush()
    run.metrics.flush()
    rate = world.tokens_done / (CLOCK() - t0)
    assert world.tokens_done == N_TOKENS
    assert run.trace.events == 4 * N_TOKENS  # token_start, 2 attend (H = 2, L = 1), token_end per token
    return rate


def train_rate() -> float:
    """Optimiser steps/s (default model, batch 32 × 32 tokens) as a SimPy process."""
    run = Run(0)
    source, model = build_source_and_model(run)
    trainer = Trainer(run, model, source, steps=TRAIN_STEPS)
    trainer.start()
    t0 = CLOCK()
    run.run_until(TRAIN_STEPS + 1)
    return TRAIN_STEPS / (CLOCK() - t0)


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


def measure() -> dict[str, float]:
    """Best-of-`REPEATS` tokens/s of the variants a–e (keys ``a`` … ``e``) and the per-token breakdown in µs."""
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
    out = {k: max(v) for k, v in rates.items()}
    us = {k: 1e6 / v for k, v in out.items()}
    out |= {
        "forward_us": us["a"],
        "glue_us": us["e"] - us["a"],
        "graph_us": us["b"] - us["e"],
        "simpy_us": us["c"] - us["b"],
        "simpy_no_graph_us": us["d"] - us["e"],
    }
    return out


def baseline(ref: str) -> dict[str, float]:
    """`measure` run on git revision ``ref`` of this repository, in a child process."""
    return at_revision(__file__, ref, ["--json"])


def breakdown(m: dict[str, float]) -> str:
    """One line: the per-token costs in µs."""
    return (
        f"forward {m['forward_us']:6.1f}  trace+metrics+glue {m['glue_us']:6.1f}  graph {m['graph_us']:6.1f}  "
        f"SimPy {m['simpy_us']:6.1f} (without graph {m['simpy_no_graph_us']:6.1f})  us/token; "
        f"c/a {m['c'] / m['a']:.2f}  d/a {m['d'] / m['a']:.2f}"
    )


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", metavar="REF", help="also measure this git revision, in a child process")
    parser.add_argument("--json", action="store_true", help="print the measurement as one JSON object")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure()))
        return
    before = baseline(args.baseline) if args.baseline else None
    m = measure()
    a, b, c, d, e = (m[k] for k in "abcde")
    steps = train_rate()
    per_token, edges = graph_bytes_per_token()
    c_ = build_source_and_model(Run(0))[1].config
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
    if before is not None:
        print(f"per token, {args.baseline:>8}: {breakdown(before)}")
    print(f"per token, this tree: {breakdown(m)}")
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
