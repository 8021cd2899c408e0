"""Scenario `side_by_side`: both gradient engines on one clock, measured with the same instruments.

Timetable (one SimPy clock, seconds):
    [0, t_charge]                 the membrane charges from rest (Δp = 0) on NADH under a steady ATP demand
                                  while the attention model trains (`train_steps` optimiser steps, one every
                                  t_charge / train_steps seconds: the attention world's model time is mapped
                                  onto the shared clock this way);
    t_charge                      rotenone blocks complex I (the fuel is cut: no more pumping); training stops;
    (t_charge, t_charge + t_discharge]  the demand keeps drawing ATP, so the synthases spend the stored gradient
                                  and Δp relaxes, while `n_tokens` tokens flow through the trained model (one
                                  every t_discharge / n_tokens seconds) and spend its stored order.
`replicates` copies of both worlds run on the same clock and generator; copy 0 is traced and sampled into
the run's outputs, the others (`Run.replica`) record nothing and contribute only their fitted relaxation
parameters, for the pre-declared same-pattern test of `analysis.comparison` (β and the shape of φ(t/τ) of the
build-up, across ≥ 5 seeds, against phase-randomised surrogates). A control training per replicate (same
source and initial weights, learning-rate warm-up `control_warmup` instead of `warmup`, untraced) repeats the
test: the pattern is called shared only if it is shared under both schedules, because β of a training curve
depends on the optimiser's warm-up (found in a first run: with warm-up 20 the test passed, without it failed).
Results: per-world fits (τ, β, CIs),
the verdict, the analogy table, efficiencies and entropy measures; `report.md` with figures.
"""

from __future__ import annotations

import numpy as np

from analysis.comparison import pattern_verdict, surrogate_test
from analysis.entropy import spatial_entropy
from analysis.order import phi_attention, phi_membrane
from analysis.relaxation import fit_relaxation, normalised_curve
from analysis.report_side_by_side import U_GRID, report_side_by_side, side_by_side_numbers
from scenarios.params import Param
from scenarios.registry import scenario
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model, evaluate
from world.clock import Run
from world.membrane import MembraneWorld


def _spatial_order(world: MembraneWorld, block: int) -> tuple[float, float]:
    occ = world.lattice.occupancy()
    bands = np.delete(occ, world.lattice.membrane_row, axis=1)
    return spatial_entropy(bands, block=block)


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
        "train_steps": Param(300, int, bounds=(10, 100_000), help="optimiser steps during the charge phase"),
        "warmup": Param(20, int, bounds=(0, 100_000), help="learning-rate warm-up steps of the training"),
        "control_warmup": Param(
            0, int, bounds=(0, 100_000), help="warm-up of the control training that tests the verdict's robustness"
        ),
        "n_tokens": Param(200, int, bounds=(1, 1_000_000), help="tokens during the discharge phase"),
        "replicates": Param(5, int, bounds=(1, 20), help="seeds of both worlds on the clock (≥ 5 for a verdict)"),
        "block": Param(5, int, bounds=(1, 100), help="coarse-graining block of the proton field (cells)"),
    },
    duration=lambda p: p["t_charge"] + p["t_discharge"],
    report=report_side_by_side,
    smoke={"t_charge": 0.3, "t_discharge": 0.2, "train_steps": 60, "n_tokens": 30, "replicates": 2},
    fitted=("relaxation.*", "curves.*", "verdict.beta.*", "verdict_control.beta.*", "fits.*.shape_distance"),
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
    train_steps: int,
    warmup: int,
    control_warmup: int,
    n_tokens: int,
    replicates: int,
    block: int,
) -> dict:
    """Charge/train, then discharge/infer, for every replicate on the one clock; fit and compare."""
    t_end = t_charge + t_discharge
    train_dt = t_charge / train_steps
    reps = []
    for r in range(replicates):
        rr = run if r == 0 else run.replica(f"rep{r}")
        mem = MembraneWorld(rr, dt=dt, atp_demand=atp_demand)
        run.drive(mem, dt, until=t_end)
        pmf: list[tuple[float, float]] = []

        def sample(mem: MembraneWorld = mem, rr: Run = rr, pmf: list = pmf, traced: bool = r == 0) -> None:
            pmf.append((rr.now, mem.pmf_mV))
            if traced:
                mem.sample()
                s, d = _spatial_order(mem, block)
                rr.metrics.record_many(
                    rr.now, "membrane", {"spatial_entropy_nats": (s, "nats"), "spatial_order_nats": (d, "nats")}
                )

        run.every(sample_dt, sample)
        source, model = build_source_and_model(rr, V=V, alpha=alpha)
        # the control: the same source and initial weights, trained with another warm-up, recording nothing
        control = Trainer(run.replica(f"control{r}"), model.copy(), source, steps=train_steps, dt=train_dt,
                          warmup=control_warmup, name="control")  # fmt: skip
        trainer = Trainer(rr, model, source, steps=train_steps, dt=train_dt, warmup=warmup, name="train")
        trainer.start()
        control.start()
        att = AttentionWorld(
            rr,
            model,
            source,
            name="trained",
            token_interval=t_discharge / n_tokens,
            layer_time=0.25 * t_discharge / n_tokens,
        )
        att.start(n_tokens, at=t_charge + 0.5 * t_discharge / n_tokens)
        reps.append({"mem": mem, "pmf": pmf, "trainer": trainer, "control": control, "source": source, "model": model,
                     "att": att})  # fmt: skip

    def switch(env):  # type: ignore[no-untyped-def]
        yield env.timeout(t_charge)
        yield env.timeout(0)  # after the membrane steps and samples due at t_charge
        for rep in reps:
            rep["charged"] = rep["mem"].snapshot()
            rep["mem"].add_inhibitor("rotenone")

    run.env.process(switch(run.env))
    run.run_until(t_end)

    fits, betas_m, betas_a, p_values, curves = [], [], [], [], {}
    betas_c, p_control = [], []
    for r, rep in enumerate(reps):
        t, y = np.array(rep["pmf"]).T
        charge, discharge = t <= t_charge, t >= t_charge
        mem_up = fit_relaxation(t[charge], y[charge])
        mem_down = fit_relaxation(t[discharge], y[discharge])
        h = rep["source"].entropy_rate_nats
        steps_t = train_dt * np.arange(1, train_steps + 1)
        excess = np.asarray(rep["trainer"].losses) - h
        att_up = fit_relaxation(steps_t, excess)
        excess_c = np.asarray(rep["control"].losses) - h
        ctl_up = fit_relaxation(steps_t, excess_c)
        # Only determined fits are measurements (analysis.relaxation): an undetermined build-up drops the
        # replicate from the comparison it cannot inform, and its numbers are reported as not determined.
        test = ctl_test = None
        if mem_up.determined and att_up.determined:
            phi_m = normalised_curve(t[charge], y[charge], mem_up, U_GRID)
            phi_a = normalised_curve(steps_t, excess, att_up, U_GRID)
            test = surrogate_test(phi_m, phi_a, run.rng)
            betas_m.append(mem_up.beta)
            betas_a.append(att_up.beta)
            p_values.append(test.p_value)
            if r == 0:
                curves = {"phi_membrane_u": phi_m.tolist(), "phi_attention_u": phi_a.tolist()}
        if mem_up.determined and ctl_up.determined:
            phi_m = normalised_curve(t[charge], y[charge], mem_up, U_GRID)
            ctl_test = surrogate_test(phi_m, normalised_curve(steps_t, excess_c, ctl_up, U_GRID), run.rng)
            betas_c.append(ctl_up.beta)
            p_control.append(ctl_test.p_value)
        fits.append(
            {
                "replicate": r,
                "membrane_charge": mem_up.record(),
                "membrane_discharge": mem_down.record(),
                "attention_training": att_up.record(),
                "attention_control": ctl_up.record(),
                "shape_distance": test.distance if test else float("nan"),
                "shape_p_value": test.p_value if test else float("nan"),
            }
        )
    rep0 = reps[0]
    mem0, att0, src0, model0 = rep0["mem"], rep0["att"], rep0["source"], rep0["model"]
    held = src0.sample_batch(run.rng, 512, model0.config.n_ctx + 1)
    ev = evaluate(model0, src0, held)
    end = mem0.snapshot()
    charged = rep0["charged"]
    membrane = {
        "pmf_charged_mV": rep0["charged"]["pmf_mV"],
        "pmf_end_mV": end["pmf_mV"],
        "delta_psi_charged_mV": rep0["charged"]["delta_psi_mV"],
        "phi_charged": float(phi_membrane(np.array([rep0["charged"]["pmf_mV"]]))[0]),
        "phi_end": float(phi_membrane(np.array([end["pmf_mV"]]))[0]),
        "h_pumped_charge": rep0["charged"]["h_pumped"],
        "atp_made_discharge": end["atp_made"] - rep0["charged"]["atp_made"],
        "atp_made_charge": charged["atp_made"],
        "atp_rate_charged": charged["atp_made"] / t_charge,
        "o2_charge": charged["o2_consumed"],
        "atp_consumed_discharge": end["atp_consumed"] - charged["atp_consumed"],
        "dg_atp_matrix_kJ_per_mol": mem0.dg_atp_kJ_per_mol("matrix"),
        "redox_released_charge_J": charged["redox_released_J"],
        "h_per_atp_rotor": end["rotor_steps"] / end["atp_made"] if end["atp_made"] else float("nan"),
        "stored_atp_J": end["stored_atp_J"],
        "redox_released_J": end["redox_released_J"],
        "heat_J": end["heat_J"],
        "temperature_K": mem0.params.temperature_K,
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
    return side_by_side_numbers(
        membrane,
        attention,
        fits,
        pattern_verdict(betas_m, betas_a, p_values),
        curves,
        control=pattern_verdict(betas_m, betas_c, p_control),
    )


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("side_by_side")
