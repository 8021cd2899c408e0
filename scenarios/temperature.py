"""Scenario `temperature`: softmax temperature as the uncoupler — order stays in the weights but is not spent.

A model is trained to the floor, then one token stream runs while the temperature steps through ``levels``
on a timetable (each level holds for ``windows_per_level`` context windows; a token keeps the temperature it
arrived with). ``target`` says which softmax is heated: the output (``"output"``), the attention
(``"attention"``) or both. Per level: stream cross-entropy and next-token entropy, and the exact held-out
expected cross-entropy and KL to the source at that temperature. ``heldout_min_temperature`` is the level
with the lowest held-out expected cross-entropy and ``v_shape`` says whether that cross-entropy falls strictly
to it and rises strictly after it with levels on both sides (a model trained at τ = 1 should give a V with
its minimum at τ = 1 when the levels are sorted; an unsorted timetable is reported as it is).

Timetable (model time): (0, steps] training; steps + 1 + k·N token slots: level k begins (N = tokens per level).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from analysis.console_tables import tables_temperature
from analysis.report_interp import report_temperature
from scenarios.params import Param, check_source
from scenarios.registry import scenario
from world.attention.keep import keep_run
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model, evaluate
from world.clock import Run


def _temps(target: str, tau: float) -> dict[str, float]:
    return {
        "temperature": tau if target in ("attention", "both") else 1.0,
        "out_temperature": tau if target in ("output", "both") else 1.0,
    }


@scenario(
    name="temperature",
    description="Softmax temperature (uncoupler analogue): cross-entropy and next-token entropy per level.",
    params={
        "levels": Param(
            (0.25, 0.5, 1.0, 2.0, 4.0), float, many=True, bounds=(0.01, 100.0), help="temperatures, in timetable order"
        ),
        "target": Param("both", str, choices=("output", "attention", "both"), help="which softmax is heated"),
        "windows_per_level": Param(8, int, bounds=(1, 10_000), help="context windows of tokens per level"),
        "V": Param(8, int, bounds=(2, 64), help="alphabet size"),
        "order": Param(1, int, bounds=(1, 3), help="Markov order of the source"),
        "alpha": Param(0.5, float, bounds=(0.05, 100.0), help="Dirichlet concentration"),
        "n_ctx": Param(32, int, bounds=(2, 256), help="context window"),
        "n_heads": Param(2, int, bounds=(1, 8), help="heads per layer"),
        "n_layers": Param(1, int, bounds=(1, 4), help="layers"),
        "mlp": Param(False, bool, help="MLP block per layer"),
        "steps": Param(400, int, bounds=(0, 100_000), help="optimiser steps before the stream"),
        "heldout_seqs": Param(512, int, bounds=(1, 100_000), help="held-out sequences per level"),
    },
    duration=lambda p: p["steps"] + 2 + len(p["levels"]) * p["windows_per_level"] * p["n_ctx"],
    tables=tables_temperature,
    smoke={"steps": 20, "levels": (0.5, 1.0, 2.0), "windows_per_level": 1, "n_ctx": 8, "heldout_seqs": 16},
    report=report_temperature,
    check=lambda p: check_source(p["V"], p["order"], p["n_ctx"]),
)
def run_temperature(
    run: Run,
    *,
    levels: tuple[float, ...],
    target: str,
    windows_per_level: int,
    V: int,
    order: int,
    alpha: float,
    n_ctx: int,
    n_heads: int,
    n_layers: int,
    mlp: bool,
    steps: int,
    heldout_seqs: int,
) -> dict:
    """Train, then step the temperature through ``levels`` while tokens stream."""
    source, model = build_source_and_model(
        run, V=V, order=order, alpha=alpha, n_ctx=n_ctx, n_layers=n_layers, n_heads=n_heads, mlp=mlp
    )
    Trainer(run, model, source, steps=steps).start()
    run.run_until(steps + 0.5)
    heldout = source.sample_batch(run.rng, heldout_seqs, n_ctx + 1)
    world = AttentionWorld(run, model, source, name="temperature", keep_attention=True)
    per_level = windows_per_level * n_ctx
    t0 = steps + 1.0

    def timetable(env):  # type: ignore[no-untyped-def]
        for k, tau in enumerate(levels):
            yield env.timeout(max(0.0, t0 + k * per_level - 0.5 - env.now))
            world.set_temperature(**_temps(target, tau))

    run.env.process(timetable(run.env))
    world.start(len(levels) * per_level, at=t0)
    run.run_until(t0 + len(levels) * per_level + 1)
    keep_run(run, model, source, world)

    rows = []
    for k, tau in enumerate(levels):
        s = world.summary(k * per_level, (k + 1) * per_level)
        s_level = {key: s[key] for key in ("cross_entropy_nats", "cross_entropy_se_nats", "next_token_entropy_nats")}
        ev = evaluate(model, source, heldout, **_temps(target, tau))
        rows.append(
            {
                "temperature": tau,
                **s_level,
                "heldout_expected_cross_entropy_nats": ev["expected_cross_entropy_nats"],
                "heldout_kl_nats": ev["kl_nats"],
                "heldout_next_token_entropy_nats": ev["next_token_entropy_nats"],
            }
        )
    ce = [r["heldout_expected_cross_entropy_nats"] for r in rows]
    best = int(np.argmin(ce))
    v_shape = all(a > b for a, b in pairwise(ce[: best + 1])) and all(a < b for a, b in pairwise(ce[best:]))
    return {
        "heldout_min_temperature": levels[best],
        "v_shape": bool(v_shape and 0 < best < len(ce) - 1),
        "target": target,
        "entropy_rate_nats": source.entropy_rate_nats,
        "uniform_entropy_nats": source.uniform_entropy_nats,
        "tokens_per_level": per_level,
        "levels": rows,
        "cross_entropy_nats": [r["cross_entropy_nats"] for r in rows],
        "next_token_entropy_nats": [r["next_token_entropy_nats"] for r in rows],
        "tokens_done": world.tokens_done,
    }


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("temperature")
