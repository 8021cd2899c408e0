"""Scenario `coupled_budget`: the membrane's ATP pays for inference; cut the supply and inference stalls.

One clock, in seconds. The membrane world respires on NADH with no ATP demand of its own; the attention
world's tokens are its only ATP consumer: each token must take ``k_atp`` ATP from the membrane's cytosol
(`world.coupling.ATPBridge`: a `simpy.Container` that mirrors cytosolic ATP; a granted get hydrolyses real ATP
to ADP + Pi through `MembraneWorld.spend_atp`) before it is processed. Attention model time is mapped onto the
clock by the token slot: one token arrives every ``1 / token_rate`` seconds, and a layer holds its heads for a
quarter of a slot. The attention model trains during the warm-up (one optimiser step every
``0.9·t_warm / train_steps`` seconds; training costs no ATP).

Timetable (s):
    [0, t_warm)              the membrane energises from rest; the model trains;
    t_warm                   tokens start arriving (``token_rate`` per s, ``k_atp`` ATP each): baseline;
    t_uncoupler              ``uncoupler_uM`` protonophore added: Δp collapses, the synthases reverse, the
                             cytosolic pool drains and inference slows, then stalls;
    t_washout                uncoupler washed out (concentration set to 0): Δp rebuilds, ATP is exported
                             again and the stalled tokens are served, backlog first (the default wash-out is
                             10 s: the tokens' 400 ATP/s leave only ≈ 100 ATP/s of the membrane's export
                             capacity to serve the backlog, which then takes ≈ 7 s to clear);
    t_oligomycin             oligomycin (irreversible): ATP synthesis stops; the pool drains and inference
                             stalls for good (no recovery is modelled for oligomycin);
    t_end                    end.
The cytosolic ATP pool is smaller than the membrane world's default (``atp_cytosol`` = 800 instead of 9 000
molecules) so that it turns over within the phases (seconds); see docs/coupled.md.

Results per phase: tokens completed per second, ATP per token, Δψ, Δp, ATP synthesis, OCR, time without any
completion (stall); overall: stall onset after each cut, resume and catch-up time after the wash-out, ATP and
free energy spent by tokens, bits saved per ATP, and the conservation checks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from analysis.console_tables import tables_coupled_budget
from analysis.report_coupled import catch_up_time, report_coupled, stall_gaps
from scenarios.params import Param, require
from scenarios.registry import scenario
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model
from world.clock import Run
from world.coupling import ATPBridge
from world.membrane import MembraneWorld
from world.membrane.protocol import Protocol

PHASES = ("baseline", "uncoupler", "washout", "oligomycin")


def _check(p: Mapping[str, Any]) -> None:
    """The timetable is in order: t_warm < t_uncoupler < t_washout < t_oligomycin < t_end."""
    names = ("t_warm", "t_uncoupler", "t_washout", "t_oligomycin", "t_end")
    for a, b in pairwise(names):
        require(p[a] < p[b], f"{a}(={p[a]}) must be earlier than {b}(={p[b]})")


@scenario(
    name="coupled_budget",
    description="Coupled: tokens pay k ATP from the membrane's cytosol; uncoupler/oligomycin stall inference.",
    params={
        "k_atp": Param(4, int, bounds=(1, 1000), help="ATP per token"),
        "token_rate": Param(100.0, float, bounds=(1.0, 5000.0), help="token arrivals per second (1/slot)"),
        "atp_cytosol": Param(800, int, bounds=(0, 1_000_000), help="initial cytosolic ATP (molecules)"),
        "reserve": Param(0, int, bounds=(0, 1_000_000), help="cytosolic ATP tokens may not take"),
        "uncoupler_uM": Param(4.0, float, bounds=(0.0, 100.0), help="protonophore added at t_uncoupler (µM)"),
        "t_warm": Param(1.5, float, bounds=(0.1, 1e4), help="warm-up and training; tokens start here (s)"),
        "t_uncoupler": Param(3.0, float, bounds=(0.1, 1e4), help="uncoupler added (s)"),
        "t_washout": Param(6.0, float, bounds=(0.1, 1e4), help="uncoupler washed out (s)"),
        "t_oligomycin": Param(16.0, float, bounds=(0.1, 1e4), help="oligomycin added (s)"),
        "t_end": Param(18.5, float, bounds=(0.2, 1e4), help="end of the run (s)"),
        "train_steps": Param(300, int, bounds=(0, 100_000), help="optimiser steps during the warm-up"),
        "stall_gap": Param(
            0.1, float, bounds=(1e-3, 100.0), help="a gap without completions longer than this is a stall (s)"
        ),
        "dt": Param(1e-3, float, bounds=(1e-6, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.05, float, bounds=(1e-3, 10.0), help="metric sampling interval (s)"),
    },
    duration=lambda p: p["t_end"],
    report=report_coupled,
    tables=tables_coupled_budget,
    smoke={
        "atp_cytosol": 60,
        "t_warm": 0.3,
        "t_uncoupler": 0.6,
        "t_washout": 1.2,
        "t_oligomycin": 1.8,
        "t_end": 2.2,
        "train_steps": 20,
    },
    check=_check,
)
def run_coupled_budget(
    run: Run,
    *,
    k_atp: int,
    token_rate: float,
    atp_cytosol: int,
    reserve: int,
    uncoupler_uM: float,
    t_warm: float,
    t_uncoupler: float,
    t_washout: float,
    t_oligomycin: float,
    t_end: float,
    train_steps: int,
    stall_gap: float,
    dt: float,
    sample_dt: float,
) -> dict:
    """Warm up and train, then stream tokens paid with cytosolic ATP through uncoupler, wash-out, oligomycin."""
    _check({"t_warm": t_warm, "t_uncoupler": t_uncoupler, "t_washout": t_washout, "t_oligomycin": t_oligomycin,
            "t_end": t_end})  # fmt: skip
    slot = 1.0 / token_rate
    membrane = MembraneWorld(run, dt=dt, atp_c=atp_cytosol)
    proto = Protocol(run, membrane, sample_dt)
    bridge = ATPBridge(run, membrane, reserve=reserve, consumer="attention")
    run.every(sample_dt, bridge.sample)
    source, model = build_source_and_model(run)
    if train_steps:
        Trainer(run, model, source, steps=train_steps, dt=0.9 * t_warm / train_steps).start()
    attention = AttentionWorld(
        run,
        model,
        source,
        name="attention",
        token_interval=slot,
        layer_time=0.25 * slot / model.config.n_layers,
        energy=bridge.energy,
        cost_per_token=float(k_atp),
    )
    n_tokens = math.floor((t_end - t_warm) / slot + 1e-9)
    attention.start(n_tokens, at=t_warm)
    bounds = dict(
        zip(
            PHASES,
            zip(
                (t_warm, t_uncoupler, t_washout, t_oligomycin),
                (t_uncoupler, t_washout, t_oligomycin, t_end),
                strict=True,
            ),
            strict=True,
        )
    )
    windows = {ph: proto.measure(a, b) for ph, (a, b) in bounds.items()}
    spent_at: dict[str, float] = {}
    for ph, (a, _) in bounds.items():
        proto.at(a, lambda ph=ph: spent_at.__setitem__(ph, bridge.atp_spent))
    proto.at(t_uncoupler, membrane.add_uncoupler, uncoupler_uM)
    proto.at(t_washout, membrane.set_uncoupler, 0.0)
    proto.at(t_oligomycin, membrane.add_inhibitor, "oligomycin")
    run.run_until(t_end)
    spent_at["end"] = bridge.atp_spent

    ends = [r[1] for r in attention.records]
    arrivals = [t_warm + r[0] * slot for r in attention.records]  # regular arrivals: position × slot
    arrived = [t_warm + i * slot for i in range(attention.tokens_started)]
    phases = {}
    for i, (ph, (a, b)) in enumerate(bounds.items()):
        done = [r for r in attention.records if a < r[1] <= b]
        gaps = stall_gaps(ends, stall_gap, a, b)
        w = windows[ph]
        nxt = spent_at[PHASES[i + 1]] if i + 1 < len(PHASES) else spent_at["end"]
        phases[ph] = {
            "t_from_s": a,
            "t_to_s": b,
            "tokens_per_s": len(done) / (b - a),
            "arrivals_per_s": sum(1 for t in arrived if a <= t < b) / (b - a),
            "atp_spent_per_s": (nxt - spent_at[ph]) / (b - a),
            "stall_s": float(sum(y - x for x, y in gaps)),
            "longest_stall_s": max((y - x for x, y in gaps), default=0.0),
            "delta_psi_mV": w["delta_psi_mV"],
            "pmf_mV": w["pmf_mV"],
            "atp_synthesis_per_s": w["atp_rate"],
            "ocr_per_s": w["ocr"],
        }
    first_gap = {
        ph: next((x for x, _ in stall_gaps(ends, stall_gap, bounds[ph][0], bounds[ph][1])), None)
        for ph in ("uncoupler", "oligomycin")
    }
    resume = next((t for t in ends if t > t_washout), None)
    base_latency = max((e - s for e, s in zip(ends, arrivals, strict=True) if t_warm <= s < t_uncoupler), default=slot)
    catch_up = catch_up_time(arrivals, ends, t_washout, base_latency + slot)
    g = membrane.ledger()
    done_total = attention.tokens_done
    lhs = g["redox_released_J"] + g["external_J"]
    rhs = g["stored_pmf_J"] + g["stored_atp_J"] + g["heat_J"]
    return {
        "k_atp": k_atp,
        "slot_s": slot,
        "phases": phases,
        "tokens_per_s": {ph: phases[ph]["tokens_per_s"] for ph in PHASES},
        "delta_psi_mV": {ph: phases[ph]["delta_psi_mV"] for ph in PHASES},
        "stall_s": {ph: phases[ph]["stall_s"] for ph in PHASES},
        "stall_onset_after_uncoupler_s": None
        if first_gap["uncoupler"] is None
        else first_gap["uncoupler"] - t_uncoupler,
        "stall_onset_after_oligomycin_s": None
        if first_gap["oligomycin"] is None
        else first_gap["oligomycin"] - t_oligomycin,
        "resume_after_washout_s": None if resume is None else resume - t_washout,
        "recovery_time_s": None if catch_up is None else catch_up - t_washout,
        "tokens_started": attention.tokens_started,
        "tokens_done": done_total,
        "tokens_waiting_atp_at_end": bridge.waiting,
        "atp_spent": bridge.atp_spent,
        "atp_per_token": bridge.atp_spent / done_total if done_total else None,
        "atp_spent_J": g["atp_spent_J"],
        "atp_spent_kJ_per_mol": g["atp_spent_J"] / bridge.atp_spent * 6.02214076e23 / 1e3 if bridge.atp_spent else None,
        "inference_bits_saved": attention.bits_saved,
        "bits_saved_per_atp": attention.bits_saved / bridge.atp_spent if bridge.atp_spent else None,
        "atp_made": g["atp_made"],
        "atp_plus_adp": g["atp_plus_adp"],
        "atp_plus_adp_expected": g["atp_plus_adp_expected"],
        "energy_ledger_residual_J": lhs - rhs,
        "energy_ledger_scale_J": max(abs(lhs), abs(rhs)),
        "atp_cytosol_end": membrane.pool["atp_c"],
    }


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("coupled_budget")
