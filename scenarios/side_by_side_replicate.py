"""Scenario `side_by_side_replicate`: one seed of `side_by_side` — both worlds on one clock, traced, measured.

Key names: `run_replicate`, `read_replicate`, `REPLICATE_FILE`, `HELDOUT_SEQS`.

Timetable (one SimPy clock, seconds), as in `side_by_side`:
    [0, t_charge]                 the membrane charges from rest (Δp = 0) on NADH under a steady ATP demand
                                  while the attention model trains (`train_steps` optimiser steps, one every
                                  t_charge / train_steps seconds) and, on the same clock, a control training
                                  (same source and initial weights, warm-up `control_warmup`);
    t_charge                      rotenone blocks complex I; training stops;
    (t_charge, t_charge + t_discharge]  the demand drains the gradient while `n_tokens` tokens flow through the
                                  trained model, spread over the whole window.
The default demand, 360 ATP/s, is ≈ 75–80 % of a default patch's ADP-saturated ATP synthesis capacity
(≈ 450–500 ATP/s), the role 600 ATP/s had at the earlier Fermi defaults (capacity ≈ 775 ATP/s); a demand above
capacity would leave the pace-of-demand row measuring a deficit by construction. The default charge (2 s) is
what the membrane needs to reach that demand's steady state before the second half of charging, which the
pace-of-demand row and the steady-state efficiencies read: Δp charges with τ ≈ 0.07 s, but the synthases run
backwards while it rises from 0 and the ATP pools follow more slowly, so ATP made ÷ ATP hydrolysed is ≈ 0.7
over 0.25–0.5 s, ≈ 0.9 over 0.5–1 s and 1.00 ± 0.08 after ≈ 1.5 s (the membrane alone, seeds 0–5, windows of
0.25–0.5 s): a 1 s charge's second half is still settling. The default discharge (3 s) follows the slow
relaxation after rotenone: the matrix's endogenous succinate still feeds complexes III and IV for seconds and
the reversed synthases hold Δp up on the cytosolic ATP, so Δp falls ≈ 12 mV in the first 0.5 s and then drifts
on towards ≈ 150 mV, at a pace set by the demand that drains it. At 360 ATP/s it is still falling at 3 s
(≈ 25–30 mV below charged), and the discharge fit is determined in 6 of `side_by_side`'s 10 default seeds
(τ ≈ 1.0–1.7 s; over a 5 s discharge, τ ≈ 2–5 s); a 1 s discharge leaves it undetermined.
With ``blocked`` the converters are also blocked on the same clock: a second membrane gets oligomycin with the
rotenone, and a second stream runs through the same trained weights with every head ablated (row 4 of the
analogy). The main membrane and the trained model's stream are traced and sampled into this run's outputs;
the control training and the blocked worlds run on replica views of the clock (`Run.replica`) that record
nothing but their measured series.

`side_by_side` runs one of these per replicate through the sweep engine (`scenarios.sweep.run_sweep`), each an
ordinary run directory, and aggregates their ``replicate.json`` files. Results (also in ``replicate.json``,
where NaN stays NaN): ``membrane`` and ``attention`` totals, ``measures`` (fits with their determinacy, shape
tests, row effects, entropy rates and curves: `analysis.side_by_side_measures`), and a few headline scalars
for a sweep's table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from analysis.entropy import spatial_entropy
from analysis.order import phi_attention
from analysis.side_by_side_measures import replicate_measures
from scenarios.params import Param
from scenarios.registry import scenario
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model, evaluate
from world.clock import Run
from world.membrane import MembraneWorld
from world.rundir import claim

HELDOUT_SEQS = 128
"""Held-out sequences for the order of the weights before and after the token stream (row 2)."""

REPLICATE_FILE = "replicate.json"
"""The file `side_by_side` aggregates: the replicate's results with NaN kept (``summary.json`` writes null)."""


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
    name="side_by_side_replicate",
    description="One seed of side_by_side: membrane charges/discharges, attention trains/infers; its fits and rows.",
    params={
        "t_charge": Param(2.0, float, bounds=(0.05, 100.0), help="charging = training phase (s)"),
        "t_discharge": Param(3.0, float, bounds=(0.05, 100.0), help="discharge = inference phase (s)"),
        "atp_demand": Param(360.0, float, bounds=(0.0, 1e5), help="steady ATP demand of the cell (ATP/s)"),
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
        "blocked": Param(False, bool, help="also run the blocked converters (oligomycin; every head ablated)"),
        "c_ring": Param(8, int, bounds=(8, 15), help="c-subunits of the synthase rotor (H⁺ per turn)"),
        "block": Param(5, int, bounds=(1, 100), help="coarse-graining block of the proton field (cells)"),
    },
    duration=lambda p: p["t_charge"] + p["t_discharge"],
    fitted=("measures.curves.*", "measures.entropy.*", "measures.shape_p.*", "beta_*", "tau_*"),
    smoke={"t_charge": 0.3, "t_discharge": 0.2, "train_steps": 60, "n_tokens": 30, "blocked": True},
)
def run_replicate(
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
    blocked: bool,
    c_ring: int,
    block: int,
) -> dict[str, Any]:
    """Charge/train, then discharge/infer, on this run's clock; measure and fit; write ``replicate.json``."""
    t_end = t_charge + t_discharge
    train_dt = t_charge / train_steps
    tok_dt = t_discharge / n_tokens
    mem, rows = _membrane(run, run, dt, t_end, sample_dt, block, True, atp_demand=atp_demand, c_ring=c_ring)
    if blocked:
        blocked_mem, blocked_rows = _membrane(run.replica("oligomycin"), run, dt, t_end, sample_dt, block, False,
                                              atp_demand=atp_demand, c_ring=c_ring)  # fmt: skip
    source, model = build_source_and_model(run, V=V, alpha=alpha, d_model=d_model)
    control = _NormTrainer(run.replica("control"), model.copy(), source, steps=train_steps, dt=train_dt, lr=lr,
                           warmup=control_warmup, name="control")  # fmt: skip
    trainer = _NormTrainer(run, model, source, steps=train_steps, dt=train_dt, lr=lr, warmup=warmup, name="train")
    trainer.start()
    control.start()
    att = AttentionWorld(run, model, source, name="trained", token_interval=tok_dt, layer_time=0.25 * tok_dt)
    att.start(n_tokens, at=t_charge + 0.5 * tok_dt)
    held = source.sample_batch(run.rng, HELDOUT_SEQS, model.config.n_ctx + 1)
    if blocked:
        abl = AttentionWorld(run.replica("ablated"), model, source, name="ablated", token_interval=tok_dt,
                             layer_time=0.25 * tok_dt, record_graph=False)  # fmt: skip
        abl.ablate_heads(np.zeros((model.config.n_layers, model.config.n_heads)))
        abl.start(n_tokens, at=t_charge + 0.5 * tok_dt)
    marks: dict[str, Any] = {}

    def timetable(env):  # type: ignore[no-untyped-def]
        yield env.timeout(t_charge / 2)
        marks["half"] = mem.snapshot()
        yield env.timeout(t_charge - env.now)
        yield env.timeout(0)  # after the membrane steps and samples due at t_charge
        marks["charged"] = mem.snapshot()
        mem.add_inhibitor("rotenone")
        if blocked:
            blocked_mem.add_inhibitor("rotenone")
            blocked_mem.add_inhibitor("oligomycin")
        marks["order_before"] = evaluate(model, source, held)["excess_nats"]

    run.env.process(timetable(run.env))
    run.run_until(t_end)

    data = {
        "membrane": np.array(rows, np.float64),
        "blocked_membrane": np.array(blocked_rows, np.float64) if blocked else None,
        "losses": np.asarray(trainer.losses),
        "grad_norms": np.asarray(trainer.grad_norms),
        "control_losses": np.asarray(control.losses),
        "control_grad_norms": np.asarray(control.grad_norms),
        "entropy_rate_nats": source.entropy_rate_nats,
        "vocab": V,
        "order_before_excess": marks["order_before"],
        "order_after_excess": evaluate(model, source, held)["excess_nats"],
        "tokens": np.array([(x[1], x[2], x[3]) for x in att.records], np.float64),
        "ablated_tokens": np.array([(x[1], x[2], x[3]) for x in abl.records], np.float64) if blocked else None,
        "tokens_arrived": n_tokens,
    }
    measures = replicate_measures(
        data, t_charge=t_charge, train_dt=train_dt, temperature_K=mem.params.temperature_K, rng=run.rng
    )
    result = {
        "membrane": _membrane_totals(mem, marks["charged"], marks["half"], t_charge),
        "attention": _attention_totals(run, trainer, att, source, model, V),
        "measures": measures,
    }
    if run.out_dir is not None:
        text = json.dumps(result, allow_nan=True, default=_plain)
        claim(run.out_dir, REPLICATE_FILE).write_text(text + "\n", encoding="utf-8")
    fits = measures["fits"]
    return {
        **{f"beta_{k}": v["beta"] for k, v in fits.items()},
        **{f"tau_{k}": v["tau"] for k, v in fits.items()},
        "pmf_charged_mV": result["membrane"]["pmf_charged_mV"],
        "heldout_excess_nats": result["attention"]["heldout_excess_nats"],
        **result,
    }


def _plain(obj: Any) -> Any:
    """numpy scalars and arrays as Python numbers and lists (for ``json.dumps``); anything else is a bug."""
    if isinstance(obj, np.ndarray | np.generic):
        return obj.tolist()
    raise TypeError(f"replicate results hold a {type(obj).__name__}, which replicate.json cannot store")


def _membrane_totals(
    mem: MembraneWorld, charged: dict[str, float], half: dict[str, float], t_charge: float
) -> dict[str, float]:
    """The membrane's totals: after charging, over the steady second half of charging, and at the end."""
    end = mem.snapshot()
    return {
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
        "dg_atp_matrix_kJ_per_mol": mem.dg_atp_kJ_per_mol("matrix"),
        "dg_atp_cytosol_kJ_per_mol": mem.dg_atp_kJ_per_mol("cytosol"),
        "redox_released_charge_J": charged["redox_released_J"],
        "h_per_atp_rotor": end["rotor_steps"] / end["atp_made"] if end["atp_made"] else float("nan"),
        "stored_atp_J": end["stored_atp_J"],
        "redox_released_J": end["redox_released_J"],
        "heat_J": end["heat_J"],
        "temperature_K": mem.params.temperature_K,
        "c_ring": mem.params.c_ring,
    }


def _attention_totals(run: Run, trainer: Trainer, att: AttentionWorld, source: Any, model: Any, V: int) -> dict:
    """The attention world's totals: held-out loss of the trained model, training and inference summaries."""
    held = source.sample_batch(run.rng, 512, model.config.n_ctx + 1)
    ev = evaluate(model, source, held)
    cfg = model.config
    return {
        "entropy_rate_nats": source.entropy_rate_nats,
        "vocab": V,
        "heldout_cross_entropy_nats": ev["cross_entropy_nats"],
        "heldout_excess_nats": ev["excess_nats"],
        "phi_trained": float(phi_attention(np.array([ev["excess_nats"]]), V, source.entropy_rate_nats)[0]),
        **{f"train_{k}": v for k, v in trainer.summary().items()},
        **{f"inference_{k}": v for k, v in att.summary().items()},
        **att.counters(),
        "d_model": cfg.d_model,
        "n_layers": cfg.n_layers,
        "n_ctx": cfg.n_ctx,
        "mlp_hidden": cfg.d_mlp if cfg.mlp else 0,
    }


def read_replicate(run_dir: Path | str) -> dict[str, Any]:
    """The ``membrane``, ``attention`` and ``measures`` of a complete replicate run, NaN kept."""
    return json.loads((Path(run_dir) / REPLICATE_FILE).read_text(encoding="utf-8"))


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("side_by_side_replicate")
