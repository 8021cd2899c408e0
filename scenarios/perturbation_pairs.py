"""Scenario `perturbation_pairs`: each membrane perturbation next to its attention analogue, on one clock.

Pairs (membrane ↔ attention):
    uncoupler  ↔ output softmax temperature ``temperature`` (> 1): the gradient is dissipated without work;
    oligomycin ↔ ablation of every head: the machinery that spends the stored order is switched off;
    rotenone   ↔ untrained weights (the initial weights training started from): no substrate, no order.

Clock (seconds). The pairs run one after another, one segment of ``warmup + settle + window`` seconds each,
so every trace row and metric sample of a pair lies in its segment (time separates the pairs' worlds; a
segment's membrane counters are the trace replayed to its end minus the replay to its start). In segment k a
fresh membrane world (NADH, ATP demand ``atp_demand``) energises from rest for ``warmup`` s; the perturbation
comes at t_p = k·T + warmup in both worlds at once. Attention model time is mapped onto the clock by the token
slot: one token every ``1 / token_rate`` s from t_p − window to the segment's end (a layer holds its heads for a
quarter of a slot). The attention model (order-2 source, 1 layer + MLP, so that heads matter) trains during the
first segment, one optimiser step every ``0.9·(warmup − window) / train_steps`` s.

The default ``settle`` (5 s) is set by rotenone: a fresh world's matrix holds succinate that mass-action complex
II, near equilibrium with the partly reduced Q pool, oxidises only slowly while NADH flows; once rotenone stops
complex I that succinate still feeds complexes III and IV (tens of O₂/s at first) until it is gone, ≈ 4–5 s
later, and only then is respiration stopped. The uncoupler and oligomycin reach their new states within ≈ 0.5 s.

Windows: baseline [t_p − window, t_p); perturbed [t_p + settle, t_p + settle + window). Per pair and side, effect
sizes with units: membrane — ATP synthesis rate (ATP/s; relative change) and Δp (mV; relative); attention —
cross-entropy (nats/token; relative), bits saved per token (bits) and the order left at the output,
log V − H(q) (nats; relative), each from the token stream and exactly from held-out contexts
(`world.attention.training.evaluate`). Directions are compared by `analysis.report_pairs`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from analysis.console_tables import tables_perturbation_pairs
from analysis.report_pairs import pair_effects, report_pairs
from scenarios.params import Param, check_source, require
from scenarios.registry import scenario
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model, evaluate
from world.clock import Run
from world.membrane import MembraneWorld

PAIRS = (("uncoupler", "temperature"), ("oligomycin", "head_ablation"), ("rotenone", "untrained"))


def _at(run: Run, t: float, fn: Callable[[], Any]) -> None:
    """Call ``fn()`` at time `t`, after the events already due then (a membrane step at that instant)."""

    def proc(env):  # type: ignore[no-untyped-def]
        yield env.timeout(t - env.now)
        yield env.timeout(0)
        fn()

    run.env.process(proc(run.env))


def _stream(world: AttentionWorld, t_start: float, slot: float, a: float, b: float) -> dict[str, float]:
    """Means over the tokens of `world` that arrived in [a, b): cross-entropy, H(q), bits saved per token."""
    recs = [r for r in world.records if a - 1e-9 <= t_start + r[0] * slot < b - 1e-9]
    s = np.array([(r[2], r[3]) for r in recs]) if recs else np.full((1, 2), math.nan)
    ce = float(s[:, 0].mean())
    return {
        "tokens": len(recs),
        "cross_entropy_nats": ce,
        "cross_entropy_se_nats": float(s[:, 0].std(ddof=1) / math.sqrt(len(recs))) if len(recs) > 1 else math.nan,
        "next_token_entropy_nats": float(s[:, 1].mean()),
        "bits_saved_per_token": (math.log(world.source.V) - ce) / math.log(2.0),
    }


def _check(p: Mapping[str, Any]) -> None:
    """The baseline window ends before the perturbation; the default source (V = 8) of the given order fits."""
    require(
        p["window"] < p["warmup"],
        f"window(={p['window']}) must be shorter than warmup(={p['warmup']}) (training needs the rest)",
    )
    check_source(8, p["order"], 32)


@scenario(
    name="perturbation_pairs",
    description="Analogue pairs side by side: uncoupler/temperature, oligomycin/head ablation, rotenone/untrained.",
    params={
        "atp_demand": Param(300.0, float, bounds=(0.0, 1e5), help="membrane ATP demand (ATP/s)"),
        "uncoupler_uM": Param(1.0, float, bounds=(0.0, 100.0), help="protonophore added (µM)"),
        "temperature": Param(2.0, float, bounds=(1e-3, 1e3), help="output softmax temperature of the perturbed phase"),
        "warmup": Param(1.5, float, bounds=(0.1, 1e4), help="membrane energising time before each perturbation (s)"),
        "settle": Param(5.0, float, bounds=(0.0, 1e4), help="time after the perturbation before the window (s)"),
        "window": Param(0.4, float, bounds=(0.01, 1e4), help="baseline and perturbed windows (s)"),
        "token_rate": Param(1000.0, float, bounds=(1.0, 1e5), help="tokens per second (1/slot)"),
        "train_steps": Param(400, int, bounds=(0, 100_000), help="optimiser steps in the first segment"),
        "order": Param(2, int, bounds=(1, 3), help="Markov order of the source"),
        "n_heads": Param(2, int, bounds=(1, 8), help="attention heads"),
        "mlp": Param(True, bool, help="MLP block (needed for order ≥ 2)"),
        "heldout_seqs": Param(256, int, bounds=(1, 100_000), help="held-out sequences for the exact effects"),
        "dt": Param(1e-3, float, bounds=(1e-6, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.02, float, bounds=(1e-3, 10.0), help="membrane sampling interval (s)"),
    },
    duration=lambda p: 3 * (p["warmup"] + p["settle"] + p["window"]),
    report=report_pairs,
    tables=tables_perturbation_pairs,
    smoke={"warmup": 0.4, "settle": 0.1, "window": 0.15, "train_steps": 30, "heldout_seqs": 32, "token_rate": 400.0},
    check=_check,
)
def run_perturbation_pairs(
    run: Run,
    *,
    atp_demand: float,
    uncoupler_uM: float,
    temperature: float,
    warmup: float,
    settle: float,
    window: float,
    token_rate: float,
    train_steps: int,
    order: int,
    n_heads: int,
    mlp: bool,
    heldout_seqs: int,
    dt: float,
    sample_dt: float,
) -> dict:
    """Three segments, one per pair: both worlds' baseline, the perturbation at t_p, the perturbed window."""
    _check({"window": window, "warmup": warmup, "order": order})
    seg = warmup + settle + window
    slot = 1.0 / token_rate
    source, model = build_source_and_model(run, order=order, n_heads=n_heads, mlp=mlp)
    untrained = model.copy()
    if train_steps:
        Trainer(run, model, source, steps=train_steps, dt=0.9 * (warmup - window) / train_steps).start()
    cases = []
    for k, (mem_name, att_name) in enumerate(PAIRS):
        t0 = k * seg
        t_p = t0 + warmup
        run.run_until(t0)
        world = MembraneWorld(run, dt=dt, atp_demand=atp_demand)
        run.drive(world, dt, until=t0 + seg)
        run.every(
            sample_dt, lambda w=world, end=t0 + seg: w.sample() if run.now <= end + 1e-9 else None, start=t0 + sample_dt
        )
        snaps: dict[str, dict] = {}
        for label, t in (("b0", t_p - window), ("b1", t_p), ("p0", t_p + settle), ("p1", t0 + seg)):
            _at(run, t, lambda label=label, w=world, s=snaps: s.__setitem__(label, w.snapshot()))
        attn = AttentionWorld(run, model, source, name=att_name, token_interval=slot, layer_time=0.25 * slot)
        t_stream = t_p - window
        attn.start(math.floor((seg - warmup + window) / slot + 1e-9), at=t_stream)
        if mem_name == "uncoupler":
            _at(run, t_p, lambda w=world: w.add_uncoupler(uncoupler_uM))
            _at(run, t_p, lambda a=attn: a.set_temperature(out_temperature=temperature))
        else:
            _at(run, t_p, lambda w=world, n=mem_name: w.add_inhibitor(n))
            if att_name == "head_ablation":
                _at(run, t_p, lambda a=attn: a.ablate_heads(np.zeros(a.head_mask.shape)))
            else:
                _at(run, t_p, lambda a=attn: a.set_model(untrained))
        cases.append((mem_name, att_name, t0, t_p, world, attn, snaps, t_stream))
    run.run_until(3 * seg)

    heldout = source.sample_batch(run.rng, heldout_seqs, model.config.n_ctx + 1)
    base_eval = evaluate(model, source, heldout)
    pert_eval = {
        "temperature": evaluate(model, source, heldout, out_temperature=temperature),
        "head_ablation": evaluate(model, source, heldout, head_mask=np.zeros((model.config.n_layers, n_heads))),
        "untrained": evaluate(untrained, source, heldout),
    }
    pairs = {}
    for mem_name, att_name, t0, t_p, world, attn, snaps, t_stream in cases:
        before = MembraneWorld.window(snaps["b0"], snaps["b1"])
        after = MembraneWorld.window(snaps["p0"], snaps["p1"])
        s_before = _stream(attn, t_stream, slot, t_p - window, t_p)
        s_after = _stream(attn, t_stream, slot, t_p + settle, t0 + seg)
        pairs[f"{mem_name}_vs_{att_name}"] = {
            "membrane": mem_name,
            "attention": att_name,
            "t_segment_s": [t0, t0 + seg],
            "t_perturbation_s": t_p,
            **pair_effects(before, after, s_before, s_after, base_eval, pert_eval[att_name], source.V),
            "membrane_counters": {k: world.counters[k] for k in ("atp_made", "o2_consumed", "h_pumped")},
            "tokens_done": attn.tokens_done,
        }
    return {
        "slot_s": slot,
        "segment_s": seg,
        "entropy_rate_nats": source.entropy_rate_nats,
        "current_symbol_only_floor_nats": source.conditional_entropy_nats(1),
        "uniform_entropy_nats": math.log(source.V),
        "heldout_cross_entropy_nats": base_eval["expected_cross_entropy_nats"],
        "pairs": pairs,
        "same_direction": {name: p["same_direction"] for name, p in pairs.items()},
    }


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("perturbation_pairs")
