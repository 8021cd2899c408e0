"""Scenario `training_builds_gradient`: gradient descent stores order in the weights; tokens then spend it.

Timetable (model time; one train step = 1 unit, one token slot = 1 unit):
    (0, steps]                      training, one ``train_step`` event per step (stream ``train``);
    steps                           held-out evaluation of the trained and the untrained weights;
    steps + 1 ...                   ``n_tokens`` tokens through the trained model (stream ``trained``);
    steps + n_tokens + 2 ...        ``n_tokens`` tokens through the untrained weights (stream ``untrained``,
                                    the initial weights training started from: the "no substrate" analogue).
Results: held-out cross-entropy against the entropy rate (excess and exact KL), bits saved in training,
stream cross-entropy, next-token entropy and bits saved per token, trained against untrained, and the
attention rollout / flow of the newest trained token onto itself and its predecessor.
"""

from __future__ import annotations

from analysis.attention_graph import attention_flow, rollout_from_graph
from analysis.report_training import report_training_builds_gradient, tables_training_builds_gradient
from scenarios.params import Param, check_source
from scenarios.registry import scenario
from world.attention.keep import keep_run
from world.attention.model import ModelConfig
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model, check_training_memory, evaluate
from world.clock import Run


@scenario(
    name="training_builds_gradient",
    description="Train an attention LM to the entropy-rate floor of a Markov source; trained vs untrained tokens.",
    params={
        "V": Param(8, int, bounds=(2, 64), help="alphabet size of the Markov source"),
        "order": Param(1, int, bounds=(1, 3), help="Markov order of the source"),
        "alpha": Param(0.5, float, bounds=(0.05, 100.0), help="Dirichlet concentration of the rows"),
        "n_ctx": Param(32, int, bounds=(2, 256), help="context window (tokens)"),
        "d_model": Param(32, int, bounds=(2, 256), help="residual width"),
        "n_layers": Param(1, int, bounds=(1, 4), help="attention layers"),
        "n_heads": Param(2, int, bounds=(1, 8), help="heads per layer"),
        "mlp": Param(False, bool, help="add an MLP block per layer (needed for order ≥ 2)"),
        "steps": Param(400, int, bounds=(0, 100_000), help="optimiser steps"),
        "batch_size": Param(32, int, bounds=(1, 1024), help="sequences per step"),
        "lr": Param(1e-2, float, bounds=(0.0, 1.0), help="peak Adam learning rate"),
        "heldout_seqs": Param(1024, int, bounds=(1, 100_000), help="held-out sequences of n_ctx+1 tokens"),
        "n_tokens": Param(512, int, bounds=(1, 1_000_000), help="tokens per inference stream"),
    },
    duration=lambda p: p["steps"] + 2 * p["n_tokens"] + 3,
    report=report_training_builds_gradient,
    tables=tables_training_builds_gradient,
    smoke={"steps": 30, "n_tokens": 40, "heldout_seqs": 16, "batch_size": 8},
    check=lambda p: (
        check_source(p["V"], p["order"], p["n_ctx"])
        or check_training_memory(
            ModelConfig(
                vocab=p["V"],
                n_ctx=p["n_ctx"],
                d_model=p["d_model"],
                n_layers=p["n_layers"],
                n_heads=p["n_heads"],
                mlp=p["mlp"],
            ),
            p["batch_size"],
        )
    ),
)
def run_training_builds_gradient(
    run: Run,
    *,
    V: int,
    order: int,
    alpha: float,
    n_ctx: int,
    d_model: int,
    n_layers: int,
    n_heads: int,
    mlp: bool,
    steps: int,
    batch_size: int,
    lr: float,
    heldout_seqs: int,
    n_tokens: int,
) -> dict:
    """Train, evaluate on held-out data, then stream tokens through the trained and the untrained weights."""
    source, model = build_source_and_model(
        run, V=V, order=order, alpha=alpha, n_ctx=n_ctx, d_model=d_model, n_layers=n_layers, n_heads=n_heads, mlp=mlp
    )
    untrained = model.copy()
    trainer = Trainer(run, model, source, steps=steps, batch_size=batch_size, lr=lr)
    trainer.start()
    run.run_until(steps + 0.5)
    heldout = source.sample_batch(run.rng, heldout_seqs, n_ctx + 1)
    ev_trained = evaluate(model, source, heldout)
    ev_untrained = evaluate(untrained, source, heldout)

    trained_world = AttentionWorld(run, model, source, name="trained", keep_attention=True)
    untrained_world = AttentionWorld(run, untrained, source, name="untrained")
    trained_world.start(n_tokens, at=steps + 1)
    untrained_world.start(n_tokens, at=steps + n_tokens + 2)
    run.run_until(steps + 2 * n_tokens + 3)
    s_tr, s_un = trained_world.summary(), untrained_world.summary()
    keep_run(run, model, source, trained_world)

    top = (n_layers, trained_world.tokens_done - 1)
    rollout = rollout_from_graph(trained_world.graph, top)
    flow = attention_flow(trained_world.graph, top)
    newest, prev = top[1], top[1] - 1
    return {
        "entropy_rate_nats": source.entropy_rate_nats,
        "entropy_rate_bits": source.entropy_rate_bits,
        "unigram_entropy_nats": source.unigram_entropy_nats,
        "uniform_entropy_nats": source.uniform_entropy_nats,
        "heldout_cross_entropy_nats": ev_trained["cross_entropy_nats"],
        "heldout_cross_entropy_se_nats": ev_trained["cross_entropy_se_nats"],
        "heldout_excess_loss_nats": ev_trained["excess_nats"],
        "heldout_kl_nats": ev_trained["kl_nats"],
        "heldout_untrained_cross_entropy_nats": ev_untrained["cross_entropy_nats"],
        "train_steps": trainer.steps_done,
        "bits_saved": trainer.bits_saved,
        "final_train_loss_nats": trainer.summary()["final_train_loss_nats"],
        "trained_cross_entropy_nats": s_tr["cross_entropy_nats"],
        "untrained_cross_entropy_nats": s_un["cross_entropy_nats"],
        "trained_next_token_entropy_nats": s_tr["next_token_entropy_nats"],
        "untrained_next_token_entropy_nats": s_un["next_token_entropy_nats"],
        "trained_bits_saved_per_token": s_tr["bits_saved_per_token"],
        "untrained_bits_saved_per_token": s_un["bits_saved_per_token"],
        "inference_bits_saved_trained": trained_world.bits_saved,
        "inference_bits_saved_untrained": untrained_world.bits_saved,
        "tokens_done": trained_world.tokens_done + untrained_world.tokens_done,
        "rollout_newest_self": rollout.get(newest, 0.0),
        "rollout_newest_previous": rollout.get(prev, 0.0),
        "flow_newest_self": flow.get(newest, 0.0),
        "flow_newest_previous": flow.get(prev, 0.0),
    }


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("training_builds_gradient")
