"""Scenario `head_ablation`: ablating heads is the oligomycin analogue — the stored order cannot be spent.

The default source is order 2, where predicting the next symbol needs the previous one, which only attention
can fetch (the current symbol reaches the output through the residual stream); the model therefore has an
MLP (a 1-layer attention-only model cannot represent an order-2 chain). After training, one token stream
runs while 0, 1, ..., L·H heads are ablated in turn (layer-major order: (0,0), (0,1), ...), each count for
``windows_per_count`` context windows. Per count: stream cross-entropy and next-token entropy, the exact
held-out expected cross-entropy and KL, against two exact references: the entropy rate (everything used)
and H(X_{t+1} | X_t) (only the current symbol used): with every head off the model sees only the current
symbol and its position, so H(X_{t+1} | X_t) is the limit of a fully ablated model (not the unigram entropy).

The stream ablates by zeroing (the oligomycin analogue). On the held-out windows the run also measures, with
`analysis.interp`, a per-head table (previous-token, induction and entropy scores; CE change under zero, mean
and resample ablation), ablation curves for the three kinds in index order and in importance order (largest
single-head mean-ablation effect first), activation patching (clean windows against copies whose symbol
one step back is changed: which head at which position restores the clean last prediction), the logit lens,
direct logit attribution and the QK/OV circuits.
The run keeps its model, source and stream attention (`world.attention.keep`); the report draws from them.

Timetable (model time): (0, steps] training; steps + 1 + k·N token slots: k heads ablated from here.
"""

from __future__ import annotations

import numpy as np

from analysis.console_tables import tables_head_ablation
from analysis.interp import (
    ABLATIONS,
    ablation_curve,
    circuit_table,
    direct_logit_attribution,
    head_table,
    importance_order,
    logit_lens,
    patching_effects,
)
from analysis.report_interp import report_head_ablation
from scenarios.params import Param, check_source
from scenarios.registry import scenario
from world.attention.keep import keep_run
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model, evaluate
from world.clock import Run

PATCH_SEQS = 64
"""Held-out windows used for activation patching (the corrupted copy changes the symbol one step back)."""


def corrupted(x: np.ndarray, V: int) -> np.ndarray:
    """Copy of windows ``x`` with the second-to-last symbol replaced by the next symbol of the alphabet."""
    out = x.copy()
    out[:, -2] = (out[:, -2] + 1) % V
    return out


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
        "heldout_seqs": Param(512, int, bounds=(2, 100_000), help="held-out sequences per count"),
    },
    duration=lambda p: p["steps"] + 2 + (p["n_layers"] * p["n_heads"] + 1) * p["windows_per_count"] * p["n_ctx"],
    tables=tables_head_ablation,
    smoke={"steps": 20, "n_heads": 2, "windows_per_count": 1, "n_ctx": 8, "heldout_seqs": 16},
    report=report_head_ablation,
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
    world = AttentionWorld(run, model, source, name="head_ablation", keep_attention=True)
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
    keep_run(run, model, source, world)

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
    x = heldout[:, :-1]
    table = head_table(model, source, x)
    orders = {"index": order_of_heads, "importance": importance_order(table, "mean")}
    curves = {kind: {w: ablation_curve(model, source, x, o, kind) for w, o in orders.items()} for kind in ABLATIONS}
    return {
        "head_table": table.to_dict(orient="records"),
        "ablation_orders": {w: [list(h) for h in o] for w, o in orders.items()},
        "curves": curves,
        "logit_lens_nats": logit_lens(model, source, x),
        "patching": patching_effects(model, source, x[:PATCH_SEQS], corrupted(x[:PATCH_SEQS], V)).tolist(),
        "direct_logit_attribution": direct_logit_attribution(model, x, heldout[:, 1:]),
        "circuits": circuit_table(model, source).to_dict(orient="records"),
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
