"""Scenario `head_ablation`: ablating heads is the oligomycin analogue — the stored order cannot be spent.

The default source is order 2, where predicting the next symbol needs the previous one, which only attention
can fetch (the current symbol reaches the output through the residual stream); the model therefore has an
MLP (a 1-layer attention-only model cannot represent an order-2 chain). After training, one token stream
runs while 0, 1, ..., L·H heads are ablated in turn (layer-major order: (0,0), (0,1), ...), each count for
``windows_per_count`` context windows. Per count: stream cross-entropy and next-token entropy, the exact
held-out expected cross-entropy and KL, against two exact references: the entropy rate (everything used)
and H(X_{t+1} | X_t) (only the current symbol used).

Timetable (model time): (0, steps] training; steps + 1 + k·N token slots: k heads ablated from here.
"""

from __future__ import annotations

import numpy as np

from scenarios.params import Param, check_source
from scenarios.registry import scenario
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model, evaluate
from world.clock import Run


@scenario(
    name="head_ablation",
    description="Head ablation (oligomycin analogue): cross-entropy as 0..L·H heads are switched off.",
    params={
        "windows_per_count": Param(8, int, bounds=(1, 10_000), help="context windows of tokens per count"),
        "V": Param(8, int, bounds=(2, 64), help="alphabet size"),
        "order": Param(2, int, bounds=(1, 3), help="Markov order of the source"),
        "alpha": Param(0.5, float, bounds=(0.05, 100.0), help="Dirichlet concentration"),
        "n_ctx": Param(32, int, bounds=(2, 256), help="context window"),
        "d_model": Param(32, int, bounds=(2, 256), help="residual width"),
        "n_heads": Param(4, int, bounds=(1, 8), help="heads per layer"),
        "n_layers": Param(1, int, bounds=(1, 4), help="layers"),
        "mlp": Param(True, bool, help="MLP block per layer"),
        "steps": Param(600, int, bounds=(0, 100_000), help="optimiser steps before the stream"),
        "heldout_seqs": Param(512, int, bounds=(1, 100_000), help="held-out sequences per count"),
    },
    duration=lambda p: p["steps"] + 2 + (p["n_layers"] * p["n_heads"] + 1) * p["windows_per_count"] * p["n_ctx"],
    smoke={"steps": 20, "n_heads": 2, "windows_per_count": 1, "n_ctx": 8, "heldout_seqs": 16},
    check=lambda p: check_source(p["V"], p["order"], p["n_ctx"]),
)
def run_head_ablation(
    run: Run,
    *,
    windows_per_count: int,
    V: int,
    order: int,
    alpha: float,
    n_ctx: int,
    d_model: int,
    n_heads: int,
    n_layers: int,
    mlp: bool,
    steps: int,
    heldout_seqs: int,
) -> dict:
    """Train, then ablate 0..L·H heads in turn while tokens stream."""
    source, model = build_source_and_model(
        run, V=V, order=order, alpha=alpha, n_ctx=n_ctx, d_model=d_model, n_layers=n_layers, n_heads=n_heads, mlp=mlp
    )
    Trainer(run, model, source, steps=steps).start()
    run.run_until(steps + 0.5)
    heldout = source.sample_batch(run.rng, heldout_seqs, n_ctx + 1)
    world = AttentionWorld(run, model, source, name="head_ablation")
    order_of_heads = [(layer, head) for layer in range(n_layers) for head in range(n_heads)]
    counts = list(range(len(order_of_heads) + 1))
    per_count = windows_per_count * n_ctx
    t0 = steps + 1.0

    def timetable(env):  # type: ignore[no-untyped-def]
        for k in counts:
            yield env.timeout(max(0.0, t0 + k * per_count - 0.5 - env.now))
            world.restore_heads()
            world.ablate_heads(order_of_heads[:k])

    run.env.process(timetable(run.env))
    world.start(len(counts) * per_count, at=t0)
    run.run_until(t0 + len(counts) * per_count + 1)

    rows = []
    for k in counts:
        s = world.summary(k * per_count, (k + 1) * per_count)
        mask = np.ones((n_layers, n_heads))
        for layer, head in order_of_heads[:k]:
            mask[layer, head] = 0.0
        ev = evaluate(model, source, heldout, head_mask=mask)
        rows.append(
            {
                "heads_ablated": k,
                "cross_entropy_nats": s["cross_entropy_nats"],
                "cross_entropy_se_nats": s["cross_entropy_se_nats"],
                "next_token_entropy_nats": s["next_token_entropy_nats"],
                "heldout_expected_cross_entropy_nats": ev["expected_cross_entropy_nats"],
                "heldout_kl_nats": ev["kl_nats"],
            }
        )
    return {
        "entropy_rate_nats": source.entropy_rate_nats,
        "current_symbol_only_floor_nats": source.conditional_entropy_nats(1),
        "unigram_entropy_nats": source.unigram_entropy_nats,
        "tokens_per_count": per_count,
        "counts": rows,
        "cross_entropy_nats": [r["cross_entropy_nats"] for r in rows],
        "heldout_expected_cross_entropy_nats": [r["heldout_expected_cross_entropy_nats"] for r in rows],
        "tokens_done": world.tokens_done,
    }


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("head_ablation")
