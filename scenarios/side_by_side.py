"""Scenario `side_by_side`: both gradient engines on one clock, measured with the same instruments.

Key names: `run_side_by_side`, `replicate_seeds`, `check_scheduler`, `REPLICATES_DIR`.

Each replicate is one run of `side_by_side_replicate` (its timetable: the membrane charges from rest while the
attention model trains, then rotenone cuts the fuel and the demand drains the gradient while tokens flow through
the trained model; a control training with warm-up `control_warmup` on the same clock; the first `n_blocked`
replicates also run the blocked converters; the default demand, 360 ATP/s, is ≈ 75–80 % of a default patch's
ADP-saturated synthesis capacity, the 2 s charge lets the membrane settle to that demand before its second half
(which the pace-of-demand row and the steady-state efficiencies read), and the 3 s discharge is set by its slow
relaxation after rotenone, τ ≈ 1–2 s: see `side_by_side_replicate`). Replicate r runs at its own seed
(`replicate_seeds`: spawned from this run's seed by `numpy.random.SeedSequence`, so replicate r is the same
whatever the number of replicates) as an ordinary run directory ``replicates/blocked=BOOL_sSEED/`` inside this
run's directory (claimed in its manifest), through the sweep engine (`scenarios.sweep.run_sweep`): serially in this
process by default, or on a Dask cluster with ``scheduler=local`` (127.0.0.1, one worker per core) or
``scheduler=tcp://HOST:PORT``. Complete replicates are reused when the run is repeated (a forced rerun, or one
after an interrupt), so only missing or failed replicates run again; replicates of other parameters are replaced.
This run then aggregates the replicates' ``replicate.json`` files: the pre-declared test of `analysis.comparison`
(TOST on β, rival-family shape null) under both schedules — the pattern is shared only if it is shared under both —,
every analogy row decided (`analysis.analogy`), entropy in nats for both worlds, efficiencies while charging and at
steady state (from replicate 0), and the per-seed curves the report draws. This run's own trace and metrics are
empty: the events are in the replicates' traces. Called without an output directory (a test, a library call), the
replicates run in this process on in-memory runs of the same seeds.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from analysis.report_side_by_side import report_side_by_side, side_by_side_numbers
from scenarios.params import Param, require
from scenarios.registry import scenario
from scenarios.side_by_side_replicate import read_replicate, run_replicate
from world.clock import Run
from world.rundir import claim

REPLICATES_DIR = "replicates"
"""The sweep directory of the replicates inside a `side_by_side` run directory."""

_SCHEDULER = re.compile(r"serial|local|(tcp|tls)://[^\s/]+:\d+")


def check_scheduler(value: str) -> None:
    """Refuse a scheduler other than ``serial``, ``local`` or ``tcp://HOST:PORT`` (a scenario's check hook)."""
    require(
        _SCHEDULER.fullmatch(value) is not None,
        f"scheduler(={value!r}) must be serial, local or tcp://HOST:PORT",
    )


def replicate_seeds(seed: int, n: int) -> list[int]:
    """The seeds of `n` replicates of a run at `seed`: the first 32-bit word of each child of
    ``SeedSequence(seed).spawn(n)`` (replicate r's seed does not depend on `n`)."""
    return [int(c.generate_state(1, np.uint32)[0]) for c in np.random.SeedSequence(seed).spawn(n)]


def run_replicates(
    run: Run,
    param_sets: list[dict[str, Any]],
    seeds: list[int],
    n_blocked: int,
    scheduler: str,
    out: str = REPLICATES_DIR,
) -> list[list[dict[str, Any]]]:
    """Run one `side_by_side_replicate` per seed (the first `n_blocked` blocked) for each parameter set, and
    return what each recorded (``membrane``, ``attention``, ``measures``), one list of replicates per set.

    With an output directory, all of them run as one sweep (`scenarios.sweep.run_sweep`) into
    ``run.out_dir / out`` (claimed in the run's manifest), named from the parameters that differ between the
    sets, ``blocked`` and the seed; without one, in this process on in-memory runs.

    Raises:
        SweepFailedError: a replicate failed (the others are kept; a rerun redoes only the failed ones).
    """
    if run.out_dir is None:
        return [
            [
                run_replicate(Run(s, run_id=f"{run.run_id}/set{i}/replicate{r}"), **ps, blocked=r < n_blocked)
                for r, s in enumerate(seeds)
            ]
            for i, ps in enumerate(param_sets)
        ]
    from scenarios.sweep import run_sweep

    first = param_sets[0]
    varying = [k for k in first if any(ps[k] != first[k] for ps in param_sets)]
    table = run_sweep(
        "side_by_side_replicate",
        [],
        overrides={k: v for k, v in first.items() if k not in varying},
        points=[
            {**{k: ps[k] for k in varying}, "blocked": r < n_blocked, "seed": s}
            for ps in param_sets
            for r, s in enumerate(seeds)
        ],
        out=claim(run.out_dir, out),
        replace_stale=True,
        scheduler=scheduler,
        report=False,
        progress=False,
    )
    reps = [read_replicate(run.out_dir / out / name) for name in table["run"]]
    return [reps[i : i + len(seeds)] for i in range(0, len(reps), len(seeds))]


@scenario(
    name="side_by_side",
    description="Both engines on one clock: membrane charges/discharges, attention trains/infers; fits, verdict.",
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
        "replicates": Param(10, int, bounds=(1, 40), help="seeds of both worlds, a run each (≥ 10 for a verdict)"),
        "n_blocked": Param(3, int, bounds=(0, 40), help="replicates that also run the blocked converters (row 4)"),
        "c_ring": Param(8, int, bounds=(8, 15), help="c-subunits of the synthase rotor (H⁺ per turn)"),
        "block": Param(5, int, bounds=(1, 100), help="coarse-graining block of the proton field (cells)"),
        "scheduler": Param("serial", str, help="where the replicates run: serial, local (Dask) or tcp://HOST:PORT"),
    },
    duration=lambda p: p["t_charge"] + p["t_discharge"],
    check=lambda p: check_scheduler(p["scheduler"]),
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
    scheduler: str,
) -> dict:
    """Run every replicate (a run directory each, through the sweep engine), then fit, compare and decide."""
    params = dict(t_charge=t_charge, t_discharge=t_discharge, atp_demand=atp_demand, dt=dt, sample_dt=sample_dt,
                  V=V, alpha=alpha, d_model=d_model, lr=lr, train_steps=train_steps, warmup=warmup,
                  control_warmup=control_warmup, n_tokens=n_tokens, c_ring=c_ring, block=block)  # fmt: skip
    seeds = replicate_seeds(run.seed, replicates)
    [reps] = run_replicates(run, [params], seeds, n_blocked, scheduler)
    results = side_by_side_numbers(
        reps[0]["membrane"],
        reps[0]["attention"],
        [rep["measures"] for rep in reps],
        t_charge=t_charge,
        t_discharge=t_discharge,
    )
    results["replicates"] = {"dir": REPLICATES_DIR if run.out_dir is not None else None, "seeds": seeds}
    return results


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("side_by_side")
