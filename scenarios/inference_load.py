"""Scenario `inference_load`: the token-load titration, twin of `demand_titration`.

Inference as a load on a metabolism (`world.attention.serving`; docs/serving.md). One clock, in seconds.

Queueing side (unlimited ATP): one `ServingModel` per offered load ρ in ``loads`` (rate = ρ × compute
capacity), all on the same clock from t = 0 to the end, each with its own layer resources. Per level:
throughput, latency mean / p50 / p99, mean queue wait with its 99 % batch-means confidence interval, time-average
queue length and utilisation per layer, and the theory (M^X/D/1 by Pollaczek–Khinchine and Friedman's tandem
reduction; one slot per layer and no batching only). Measured over arrivals in [10 %, 90 %] of the run.

Membrane side: two identical membrane worlds with a small cytosolic pool (``atp_cytosol``) respire on NADH
side by side on the clock, with the same timetable (warm-up, then one level every ``hold`` s):

* the *demand* world gets the ATP demand k·r for each r in ``token_rates`` (the ATP-equivalent of each token
  rate), then a saturating ``demand_max``: its flux–force response to plain ATP demand. Its ATP export at
  ``demand_max`` is the membrane's maximal sustained ATP supply J_max, and J_max / k the predicted maximal
  sustainable token rate;
* the *token* world has no ATP demand; tokens paid with k ATP each through the conserving `ATPBridge` arrive at
  each rate in ``token_rates`` (tokens that wait longer than ``atp_timeout`` for ATP are dropped), then none.

Per level (last ``window`` s of each hold): served throughput, latency, OCR, Δψ, Δp, ATP/ADP (cytosol, end of
the level), ATP/O. The measured maximal sustainable rate is the served rate at the highest level beyond J_max / k
(lower levels beyond it may still be living on the stored pool; all are listed).

Defaults, as measured: the small pool follows a demand step in about 2 s, and Δψ, the cytosolic ATP and NADH
settle within that time; but every window must also hold enough O₂ reductions for the flux item of
`analysis.steady` (about 1 000 or more), and the lowest level respires at about 40 O₂/s. So each level is held
``hold`` = 35 s and measured over its last ``window`` = 30 s: about 1 100 reductions or more, and all 11 membrane
windows shown steady (seed 0). With 6 s holds and 4 s windows a window held about 150–400 reductions and the
levels below the supply were not shown steady; with 1.2 s holds and 0.8 s windows the levels at 400 and 600
ATP/s read Δψ 6–7 mV above the values they settle to. At a saturating demand the export stays at 530–550 ATP/s
(seeds 0 and 1), so J_max is a sustained maximum. J_max / k is about 134 tokens/s at k = 4, so the token rates
lie at 0.4, 0.7 and 0.8 of it and at 2.2 and 3.3 times it. The third rate is 110 and not 150 tokens/s: 150
tokens/s (600 ATP/s) lies just beyond the supply. The run simulates 211.5 s (about 8 minutes of wall time).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from analysis.queueing import batch_means_ci
from analysis.report_serving import report_serving
from analysis.steady import steady_summary
from scenarios.params import Param, require
from scenarios.registry import scenario
from world.attention.model import ModelConfig
from world.attention.serving import ServingModel, mean_wait_theory
from world.clock import Run
from world.coupling import ATPBridge
from world.membrane import MembraneWorld
from world.membrane.protocol import Protocol


def _queue_level(s: ServingModel, t0: float, t1: float) -> dict[str, Any]:
    """Measured and theoretical queueing numbers of one unlimited-ATP level."""
    row = {"rho": s.rho, "rate": s.rate, **s.results(t0, t1)}
    r = s.records()
    order = np.argsort(r["arrive"], kind="stable")
    sel = (r["arrive"][order] >= t0) & (r["arrive"][order] < t1)
    waits = (r["grant"] - r["request"]).sum(axis=1)[order][sel]
    if len(waits) >= 40:
        row["queue_wait_mean"], row["queue_wait_ci99"] = batch_means_ci(waits, 20, 0.99)
    else:
        row["queue_wait_ci99"] = None
    theory = mean_wait_theory(s.rate, float(s.service.max()), s.burst) if (s.capacity, s.batch_max) == (1, 1) else None
    row["theory_wait"] = None if theory is None or math.isinf(theory) else theory
    row["theory_latency"] = None if row["theory_wait"] is None else theory + float(s.service.sum())
    return row


def _membrane_row(m: dict[str, float], pools: dict[str, float]) -> dict[str, Any]:
    return {
        "ocr": m["ocr"],
        "delta_psi_mV": m["delta_psi_mV"],
        "pmf_mV": m["pmf_mV"],
        "atp_rate": m["atp_rate"],
        "atp_export_rate": m["atp_export_rate"],
        "atp_adp": pools["atp_c"] / pools["adp_c"] if pools.get("adp_c") else None,
        "atp_per_o": m["atp_made"] / (2 * m["o2_consumed"]) if m["o2_consumed"] else None,
    }


@scenario(
    name="inference_load",
    description="Coupled: token-load titration; queueing vs theory, and OCR/Δψ vs token rate beside ATP demand.",
    params={
        "loads": Param((0.2, 0.5, 0.8, 0.9, 1.2), float, many=True, bounds=(0.01, 3.0), help="offered loads ρ"),
        "token_rates": Param(
            (50.0, 100.0, 110.0, 300.0, 450.0), float, many=True, bounds=(1.0, 1e4), help="coupled token rates (1/s)"
        ),
        "k_atp": Param(4, int, bounds=(1, 1000), help="ATP per token"),
        "compute_rate": Param(1e7, float, bounds=(1e3, 1e15), help="FLOP/s of one layer slot"),
        "capacity": Param(1, int, bounds=(1, 64), help="slots per layer"),
        "burst": Param(1, int, bounds=(1, 64), help="tokens per Poisson arrival"),
        "batch_max": Param(1, int, bounds=(1, 256), help="largest batch a layer serves at once (1 = none)"),
        "batch_shared": Param(0.0, float, bounds=(0.0, 1.0), help="fraction of a token's service a batch shares"),
        "demand_max": Param(5000.0, float, bounds=(1.0, 1e6), help="saturating ATP demand (ATP/s)"),
        "atp_cytosol": Param(400, int, bounds=(0, 1_000_000), help="initial cytosolic ATP (molecules)"),
        "atp_timeout": Param(0.5, float, bounds=(1e-3, 1e3), help="drop a token waiting this long for ATP (s)"),
        "warmup": Param(1.5, float, bounds=(0.1, 1e4), help="membrane warm-up before the first level (s)"),
        "hold": Param(35.0, float, bounds=(0.2, 1e4), help="time at each membrane level (s)"),
        "window": Param(30.0, float, bounds=(0.05, 1e4), help="measurement window at the end of each level (s)"),
        "dt": Param(1e-3, float, bounds=(1e-6, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.05, float, bounds=(1e-3, 10.0), help="metric sampling interval (s)"),
    },
    duration=lambda p: p["warmup"] + (len(p["token_rates"]) + 1) * p["hold"],
    check=lambda p: require(p["window"] < p["hold"], f"window(={p['window']}) must be shorter than hold(={p['hold']})"),
    report=report_serving,
    smoke={
        "loads": (0.5, 0.9, 1.2),
        "token_rates": (100.0, 450.0),
        "warmup": 0.3,
        "hold": 0.4,
        "window": 0.2,
    },
)
def run_inference_load(
    run: Run,
    *,
    loads: tuple[float, ...],
    token_rates: tuple[float, ...],
    k_atp: int,
    compute_rate: float,
    capacity: int,
    burst: int,
    batch_max: int,
    batch_shared: float,
    demand_max: float,
    atp_cytosol: int,
    atp_timeout: float,
    warmup: float,
    hold: float,
    window: float,
    dt: float,
    sample_dt: float,
) -> dict:
    """Titrate token load: queues against theory with unlimited ATP, then the membrane as the ATP supply."""
    config = ModelConfig()
    t_end = warmup + (len(token_rates) + 1) * hold
    serve = {
        "compute_rate": compute_rate,
        "capacity": capacity,
        "burst": burst,
        "batch_max": batch_max,
        "batch_shared": batch_shared,
    }
    probe = ServingModel(run, config, rate=1.0, **serve)
    queues = []
    for rho in loads:
        s = ServingModel(run, config, rate=rho * probe.max_throughput, name=f"load_{rho:g}", **serve)
        s.start(t_end)
        queues.append(s)

    demand_world = MembraneWorld(run, dt=dt, atp_c=atp_cytosol)
    token_world = MembraneWorld(run, dt=dt, atp_c=atp_cytosol)
    protos = {"demand": Protocol(run, demand_world, sample_dt), "tokens": Protocol(run, token_world, sample_dt)}
    bridge = ATPBridge(run, token_world, consumer="inference")
    demands = [k_atp * r for r in token_rates] + [demand_max]
    windows: dict[str, list[dict[str, float]]] = {"demand": [], "tokens": []}
    pools: dict[str, list[dict[str, float]]] = {"demand": [], "tokens": []}

    def pool_now(world: MembraneWorld, store: list[dict[str, float]]) -> None:
        store.append({k: float(world.pool[k]) for k in ("atp_c", "adp_c")})

    coupled = []
    for i, d in enumerate(demands):
        t, a = warmup + i * hold, warmup + (i + 1) * hold - window
        protos["demand"].at(t, demand_world.set_atp_demand, float(d))
        windows["demand"].append(protos["demand"].measure(a, t + hold))
        protos["demand"].at(t + hold, pool_now, demand_world, pools["demand"])
        if i < len(token_rates):
            s = ServingModel(
                run,
                config,
                rate=token_rates[i],
                energy=bridge.energy,
                atp_per_token=k_atp,
                atp_timeout=atp_timeout,
                name=f"rate_{token_rates[i]:g}",
                **serve,
            )
            s.start(t + hold, at=t)
            coupled.append((s, a, t + hold))
            windows["tokens"].append(protos["tokens"].measure(a, t + hold))
            protos["tokens"].at(t + hold, pool_now, token_world, pools["tokens"])
    run.run_until(t_end)

    q0, q1 = 0.1 * t_end, 0.9 * t_end
    queue_rows = [_queue_level(s, q0, q1) for s in queues]
    demand_rows = [
        {"demand": d, **_membrane_row(m, p)}
        for d, m, p in zip(demands, windows["demand"], pools["demand"], strict=True)
    ]
    j_max = demand_rows[-1]["atp_export_rate"]
    token_rows = []
    for (s, a, b), m, p in zip(coupled, windows["tokens"], pools["tokens"], strict=True):
        done = sum(int(((x.records()["end"] >= a) & (x.records()["end"] < b)).sum()) for x, _, _ in coupled)
        lat = s.results(a, b)
        token_rows.append(
            {
                "token_rate": s.rate,
                "atp_equivalent": k_atp * s.rate,
                "throughput": done / (b - a),
                "latency_mean": lat["latency_mean"],
                "latency_p99": lat["latency_p99"],
                "atp_wait_mean": lat["atp_wait_mean"],
                **s.counts(),
                **_membrane_row(m, p),
            }
        )
    served = [r["throughput"] for r in token_rows if r["token_rate"] * k_atp > j_max]
    counts = [s.counts() for s, _, _ in coupled]
    return {
        "service_s": probe.service.tolist(),
        "flops_per_token": float(probe.flops.sum()),
        "compute_capacity_per_s": probe.max_throughput,
        "queue_levels": queue_rows,
        "demand_levels": demand_rows,
        "token_levels": token_rows,
        "max_atp_supply_per_s": j_max,
        "predicted_max_token_rate": j_max / k_atp,
        "measured_max_token_rate": served[-1] if served else None,
        "levels_beyond_supply_served": served,
        "atp_drawn": sum(c["atp_drawn"] for c in counts),
        "atp_hydrolysed_by_bridge": bridge.atp_spent,
        "tokens_admitted_times_k": k_atp * sum(c["admitted"] for c in counts),
        "steadiness": steady_summary(
            {f"demand_{i}_{d:g}": m for i, (d, m) in enumerate(zip(demands, windows["demand"], strict=True))}
            | {
                f"tokens_{i}_{s.rate:g}": m
                for i, ((s, _, _), m) in enumerate(zip(coupled, windows["tokens"], strict=True))
            }
        ),
    }


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("inference_load")
