"""Scenario `side_by_side`: both gradient engines on one clock, measured with the same instruments.

Timetable (one SimPy clock, seconds):
    [0, t_charge]                 the membrane charges from rest (Δp = 0) on NADH under a steady ATP demand
                                  while the attention model trains (`train_steps` optimiser steps, one every
                                  t_charge / train_steps seconds: the attention world's model time is mapped
                                  onto the shared clock this way);
    t_charge                      rotenone blocks complex I (the fuel is cut: no more pumping); training stops;
    (t_charge, t_charge + t_discharge]  the demand keeps drawing ATP, so the synthases spend the stored gradient
                                  and Δp relaxes, while `n_tokens` tokens flow through the trained model (one
                                  every t_discharge / n_tokens seconds, spread over the whole window).
`replicates` copies of both worlds run on the same clock and generator; copy 0 is traced and sampled into the
run's outputs, the others (`Run.replica`) record nothing and contribute their measured series and fits. Per
replicate a control training (same source and initial weights, warm-up `control_warmup` instead of `warmup`)
repeats the pre-declared test of `analysis.comparison` (TOST on β, rival-family shape null): the pattern is
shared only if it is shared under both schedules. The first `n_blocked` replicates also run the blocked
converters on the same clock: a membrane that gets oligomycin with the rotenone, and a stream through the
same trained weights with every head ablated (row 4 of the analogy, `analysis.analogy`).
Results: fits with their determinacy, the verdict, every analogy row decided, entropy in nats for both worlds,
efficiencies while charging and at steady state, and the per-seed curves the report draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.entropy import spatial_entropy
from analysis.order import phi_attention
from analysis.report_side_by_side import report_side_by_side, side_by_side_numbers
from analysis.side_by_side_measures import replicate_measures
from scenarios.params import Param
from scenarios.registry import scenario
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model, evaluate
from world.clock import Run
from world.membrane import MembraneWorld

HELDOUT_SEQS = 128
"""Held-out sequences for the order of the weights before and after the token stream (row 2)."""


class _NormTrainer(Trainer):
    """A `Trainer` that also keeps each step's gradient norm (the builder's rate of row 1)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grad_norms: list[float] = []

    def _record(self, t: float, loss: float, gnorm: float, ent: np.ndarray) -> None:
        self.grad_norms.append(gnorm)
        super()._record(t, loss, gnorm, ent)


def _membrane(rr: Run, run: Run, dt: float, t_end: float, sample_dt: float, block: int, traced: bool,
              **params: Any) -> tuple[MembraneWorld, list[tuple[float, ...]]]:  # fmt: skip
    """A membrane world driven to `t_end`, sampled every `sample_dt`: t, Δp, counters, field entropy."""
    mem = MembraneWorld(rr, dt=dt, **params)
    run.drive(mem, dt, until=t_end)
    rows: list[tuple[float, ...]] = []

    def sample() -> None:
        c = mem.counters
        occ = np.delete(mem.lattice.occupancy(), mem.lattice.membrane_row, axis=1)
        s, d = spatial_entropy(occ, block=block)
        rows.append((rr.now, mem.pmf_mV, c["h_pumped"], c["atp_made"], c["atp_consumed"], c["heat_J"], s,
                     float(occ.sum())))  # fmt: skip
        if traced:
            mem.sample()
            rr.metrics.record_many(
                rr.now, "membrane", {"spatial_entropy_nats": (s, "nats"), "spatial_order_nats": (d, "nats")}
            )

    run.every(sample_dt, sample)
    return mem, rows


@scenario(
    name="side_by_side",
    description="Both engines on one clock: membrane charges/discharges, attention trains/infers; fits, verdict.",
    params={
        "t_charge": Param(1.0, float, bounds=(0.05, 100.0), help="charging = training phase (s)"),
        "t_discharge": Param(1.0, float, bounds=(0.05, 100.0), help="discharge = inference phase (s)"),
        "atp_demand": Param(600.0, float, bounds=(0.0, 1e5), help="steady ATP demand of the cell (ATP/s)"),
        "dt": Param(1e-3, float, bounds=(1e-5, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.01, float, bounds=(1e-3, 1.0), help="membrane sampling interval (s)"),
        "V": Param(8, int, bounds=(2, 64), help="alphabet of the Markov source"),
        "alpha": Param(0.5, float, bounds=(0.05, 100.0), help="Dirichlet concentration of the source rows"),
        "d_model": Param(32, int, bounds=(4, 256), help="residual width of the attention model"),
        "lr": Param(1e-2, float, bounds=(1e-5, 1.0), help="peak learning rate of the training"),
        "train_steps": Param(300, int, bounds=(10, 100_000), help="optimiser steps during the charge phase"),
        "warmup": Param(20, int, bounds=(0, 100_000), help="learning-rate warm-up steps of the training"),
        "control_warmup": Param(
            0, int, bounds=(0, 100_000), help="warm-up of the control training that tests the verdict's robustness"
        ),
        "n_tokens": Param(200, int, bounds=(8, 1_000_000), help="tokens spread over the whole discharge phase"),
        "replicates": Param(10, int, bounds=(1, 40), help="seeds of both worlds on the clock (≥ 10 for a verdict)"),
        "n_blocked": Param(3, int, bounds=(0, 40), help="replicates that also run the blocked converters (row 4)"),
        "c_ring": Param(8, int, bounds=(8, 15), help="c-subunits of the synthase rotor (H⁺ per turn)"),
        "block": Param(5, int, bounds=(1, 100), help="coarse-graining block of the proton field (cells)"),
    },
    duration=lambda p: p["t_charge"] + p["t_discharge"],
    report=report_side_by_side,
    fitted=(
        "relaxation.*",
        "curves.*",
        "entropy.*",
        "verdict.beta.*",
        "verdict_control.beta.*",
        "verdict.shape_p.*",
        "verdict_control.shape_p.*",
        "verdict.max_shape_p",
        "verdict_control.max_shape_p",
    ),
    smoke={"t_charge": 0.3, "t_discharge": 0.2, "train_steps": 60, "n_tokens": 30, "replicates": 2, "n_blocked": 1},
)
def run_side_by_side(
    run: Run,
    *,
    t_charge: float,
    t_discharge: float,
    atp_demand: float,
    dt: float,
    sample_dt: float,
    V: int,
    alpha: float,
    d_model: int,
    lr: float,
    train_steps: int,
    warmup: int,
    control_warmup: int,
    n_tokens: int,
    replicates: int,
    n_blocked: int,
    c_ring: int,
    block: int,
) -> dict:
    """Charge/train, then discharge/infer, for every replicate on the one clock; measure, fit and compare."""
    t_end = t_charge + t_discharge
    train_dt = t_charge / train_steps
    tok_dt = t_discharge / n_tokens
    reps: list[dict[str, Any]] = []
    for r in range(replicates):
        rr = run if r == 0 else run.replica(f"rep{r}")
        mem, rows = _membrane(rr, run, dt, t_end, sample_dt, block, r == 0, atp_demand=atp_demand, c_ring=c_ring)
        rep: dict[str, Any] = {"mem": mem, "rows": rows}
        if r < n_blocked:
            rep["blocked_mem"], rep["blocked_rows"] = _membrane(
                run.replica(f"oligomycin{r}"),
                run,
                dt,
                t_end,
                sample_dt,
                block,
                False,
                atp_demand=atp_demand,
                c_ring=c_ring,
            )
        source, model = build_source_and_model(rr, V=V, alpha=alpha, d_model=d_model)
        control = _NormTrainer(run.replica(f"control{r}"), model.copy(), source, steps=train_steps, dt=train_dt,
                               lr=lr, warmup=control_warmup, name="control")  # fmt: skip
        trainer = _NormTrainer(rr, model, source, steps=train_steps, dt=train_dt, lr=lr, warmup=warmup, name="train")
        trainer.start()
        control.start()
        att = AttentionWorld(rr, model, source, name="trained", token_interval=tok_dt, layer_time=0.25 * tok_dt)
        att.start(n_tokens, at=t_charge + 0.5 * tok_dt)
        rep.update(trainer=trainer, control=control, source=source, model=model, att=att)
        rep["held"] = source.sample_batch(run.rng, HELDOUT_SEQS, model.config.n_ctx + 1)
        if r < n_blocked:
            abl = AttentionWorld(run.replica(f"ablated{r}"), model, source, name="ablated", token_interval=tok_dt,
                                 layer_time=0.25 * tok_dt, record_graph=False)  # fmt: skip
            abl.ablate_heads(np.zeros((model.config.n_layers, model.config.n_heads)))
            abl.start(n_tokens, at=t_charge + 0.5 * tok_dt)
            rep["ablated"] = abl
        reps.append(rep)

    def timetable(env):  # type: ignore[no-untyped-def]
        yield env.timeout(t_charge / 2)
        for rep in reps:
            rep["half"] = rep["mem"].snapshot()
        yield env.timeout(t_charge - env.now)
        yield env.timeout(0)  # after the membrane steps and samples due at t_charge
        for rep in reps:
            rep["charged"] = rep["mem"].snapshot()
            rep["mem"].add_inhibitor("rotenone")
            if "blocked_mem" in rep:
                rep["blocked_mem"].add_inhibitor("rotenone")
                rep["blocked_mem"].add_inhibitor("oligomycin")
            rep["order_before"] = evaluate(rep["model"], rep["source"], rep["held"])["excess_nats"]

    run.env.process(timetable(run.env))
    run.run_until(t_end)

    measures = []
    for rep in reps:
        src = rep["source"]
        data = {
            "membrane": np.array(rep["rows"], np.float64),
            "blocked_membrane": np.array(rep["blocked_rows"], np.float64) if "blocked_rows" in rep else None,
            "losses": np.asarray(rep["trainer"].losses),
            "grad_norms": np.asarray(rep["trainer"].grad_norms),
            "control_losses": np.asarray(rep["control"].losses),
            "control_grad_norms": np.asarray(rep["control"].grad_norms),
            "entropy_rate_nats": src.entropy_rate_nats,
            "vocab": V,
            "order_before_excess": rep["order_before"],
            "order_after_excess": evaluate(rep["model"], src, rep["held"])["excess_nats"],
            "tokens": np.array([(x[1], x[2], x[3]) for x in rep["att"].records], np.float64),
            "ablated_tokens": np.array([(x[1], x[2], x[3]) for x in rep["ablated"].records], np.float64)
            if "ablated" in rep
            else None,
            "tokens_arrived": n_tokens,
        }
        measures.append(
            replicate_measures(
                data, t_charge=t_charge, train_dt=train_dt, temperature_K=rep["mem"].params.temperature_K, rng=run.rng
            )
        )
    rep0 = reps[0]
    mem0, att0, src0, model0 = rep0["mem"], rep0["att"], rep0["source"], rep0["model"]
    held = src0.sample_batch(run.rng, 512, model0.config.n_ctx + 1)
    ev = evaluate(model0, src0, held)
    end, charged, half = mem0.snapshot(), rep0["charged"], rep0["half"]
    membrane = {
        "pmf_charged_mV": charged["pmf_mV"],
        "pmf_end_mV": end["pmf_mV"],
        "delta_psi_charged_mV": charged["delta_psi_mV"],
        "h_pumped_charge": charged["h_pumped"],
        "atp_made_discharge": end["atp_made"] - charged["atp_made"],
        "atp_made_charge": charged["atp_made"],
        "atp_rate_charged": charged["atp_made"] / t_charge,
        "o2_charge": charged["o2_consumed"],
        "atp_made_steady": charged["atp_made"] - half["atp_made"],
        "o2_steady": charged["o2_consumed"] - half["o2_consumed"],
        "redox_released_steady_J": charged["redox_released_J"] - half["redox_released_J"],
        "atp_consumed_discharge": end["atp_consumed"] - charged["atp_consumed"],
        "dg_atp_matrix_kJ_per_mol": mem0.dg_atp_kJ_per_mol("matrix"),
        "dg_atp_cytosol_kJ_per_mol": mem0.dg_atp_kJ_per_mol("cytosol"),
        "redox_released_charge_J": charged["redox_released_J"],
        "h_per_atp_rotor": end["rotor_steps"] / end["atp_made"] if end["atp_made"] else float("nan"),
        "stored_atp_J": end["stored_atp_J"],
        "redox_released_J": end["redox_released_J"],
        "heat_J": end["heat_J"],
        "temperature_K": mem0.params.temperature_K,
        "c_ring": mem0.params.c_ring,
    }
    cfg = model0.config
    attention = {
        "entropy_rate_nats": src0.entropy_rate_nats,
        "vocab": V,
        "heldout_cross_entropy_nats": ev["cross_entropy_nats"],
        "heldout_excess_nats": ev["excess_nats"],
        "phi_trained": float(phi_attention(np.array([ev["excess_nats"]]), V, src0.entropy_rate_nats)[0]),
        **{f"train_{k}": v for k, v in rep0["trainer"].summary().items()},
        **{f"inference_{k}": v for k, v in att0.summary().items()},
        **att0.counters(),
        "d_model": cfg.d_model,
        "n_layers": cfg.n_layers,
        "n_ctx": cfg.n_ctx,
        "mlp_hidden": cfg.d_mlp if cfg.mlp else 0,
    }
    return side_by_side_numbers(membrane, attention, measures, t_charge=t_charge, t_discharge=t_discharge)


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("side_by_side")
