"""Scenario `attribution_benchmark`: every attribution method scored against the source's true dependencies.

For each model shape (``"{layers}x{heads}"``, ``+mlp`` for an MLP block) and each source order k, ``seeds``
models are trained on fresh sources (one trainer after another on the run's clock, each for ``steps`` steps,
trace ``src`` = ``{shape}-o{k}-m{i}``), and every method of `analysis.attribution` explains the last
prediction of ``eval_seqs`` held-out windows. Its score is the share of attribution on the k true parents
and recall@k (`analysis.attribution`), with a 95 % Student-t interval over the models. Controls: for k ≥ 2
the hand-built lag-head model (`world.attention.circuits`), whose circuit is known exactly, is scored on the
same windows (it is not in the trained leaderboard). Each model's held-out excess cross-entropy over the
entropy rate is recorded, so a method is never credited on a model that learned nothing.

Writes ``attribution.parquet`` (one row per model and method) next to the summary; the report holds the
leaderboard table and figure. Timetable (model time): trainer j occupies (j·steps, (j+1)·steps].
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.attribution import leaderboard, score_model
from analysis.interp import expected_ce
from analysis.report_interp import report_attribution
from scenarios.params import Param
from scenarios.registry import scenario
from world.attention.circuits import lag_head_model
from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, ModelConfig
from world.attention.training import Trainer
from world.clock import Run
from world.rundir import claim

SHAPE = re.compile(r"^([1-4])x([1-8])(\+mlp)?$")


def parse_shape(shape: str) -> tuple[int, int, bool]:
    """``"2x4+mlp"`` → (2 layers, 4 heads, MLP)."""
    m = SHAPE.match(shape)
    if m is None:
        raise ValueError(f"shape(={shape!r}) must look like LxH or LxH+mlp with 1 ≤ L ≤ 4 and 1 ≤ H ≤ 8")
    return int(m.group(1)), int(m.group(2)), m.group(3) is not None


def _check(p: dict) -> None:
    for shape in p["shapes"]:
        parse_shape(shape)


@scenario(
    name="attribution_benchmark",
    description="Attribution methods (attention, rollout, flow, gradient×input, ablation) against true parents.",
    params={
        "shapes": Param(("1x2", "2x2", "1x2+mlp", "2x2+mlp"), str, many=True, help="model shapes LxH[+mlp]"),
        "orders": Param((1, 2, 3), int, many=True, bounds=(1, 3), help="Markov orders of the sources"),
        "seeds": Param(3, int, bounds=(1, 50), help="models (fresh source and weights) per shape and order"),
        "V": Param(4, int, bounds=(2, 8), help="alphabet size"),
        "alpha": Param(0.5, float, bounds=(0.05, 100.0), help="Dirichlet concentration"),
        "n_ctx": Param(12, int, bounds=(4, 64), help="context window"),
        "d_model": Param(32, int, bounds=(4, 128), help="residual width"),
        "steps": Param(300, int, bounds=(0, 100_000), help="optimiser steps per model"),
        "batch_size": Param(32, int, bounds=(1, 1024), help="sequences per step"),
        "eval_seqs": Param(24, int, bounds=(2, 1000), help="held-out windows explained per model"),
    },
    duration=lambda p: len(p["shapes"]) * len(p["orders"]) * p["seeds"] * max(p["steps"], 1),
    smoke={"shapes": ("2x1",), "orders": (1, 2), "seeds": 2, "steps": 15, "n_ctx": 5, "d_model": 8, "eval_seqs": 4},
    check=_check,
    report=report_attribution,
)
def run_attribution_benchmark(
    run: Run,
    *,
    shapes: tuple[str, ...],
    orders: tuple[int, ...],
    seeds: int,
    V: int,
    alpha: float,
    n_ctx: int,
    d_model: int,
    steps: int,
    batch_size: int,
    eval_seqs: int,
) -> dict:
    """Train every (shape, order, seed) model, score every attribution method, and rank the methods."""
    rows = []
    for shape in shapes:
        n_layers, n_heads, mlp = parse_shape(shape)
        for order in orders:
            for i in range(seeds):
                source = MarkovSource.random(run.rng, V=V, order=order, alpha=alpha)
                config = ModelConfig(V, n_ctx, d_model, n_layers, n_heads, mlp=mlp)
                model = AttentionModel.init(config, run.rng)
                Trainer(run, model, source, steps=steps, batch_size=batch_size, name=f"{shape}-o{order}-m{i}").start()
                run.run_until(run.now + steps + 0.5)
                x = source.sample_batch(run.rng, eval_seqs, n_ctx)
                models = [(shape, model)]
                if order >= 2 and shape == shapes[0]:
                    models.append(("hand-built", lag_head_model(source, n_ctx)))
                for label, m in models:
                    excess = expected_ce(m.forward(x)[0], source, x) - source.entropy_rate_nats
                    for method, s in score_model(m, source, x, run.rng).items():
                        rows.append(
                            {"shape": label, "order": order, "model": i, "method": method, "excess_nats": excess, **s}
                        )
    records = pd.DataFrame(rows)
    if run.out_dir is not None:
        records.to_parquet(claim(Path(run.out_dir), "attribution.parquet"), index=False)
    trained = records[records["shape"] != "hand-built"]
    board = leaderboard(trained)
    by_order = trained.groupby(["method", "order"], sort=False)["parent_mass"].mean().unstack("order")
    hand = records[records["shape"] == "hand-built"]
    return {
        "models_trained": int(trained.groupby(["shape", "order", "model"]).ngroups),
        "mean_excess_nats": float(trained.drop_duplicates(["shape", "order", "model"])["excess_nats"].mean()),
        "leaderboard": board.to_dict(orient="records"),
        "parent_mass_by_order": {str(m): {str(k): float(v) for k, v in r.items()} for m, r in by_order.iterrows()},
        "hand_built": leaderboard(hand).to_dict(orient="records") if len(hand) else [],
    }


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("attribution_benchmark")
