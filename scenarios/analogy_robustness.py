"""Scenario `analogy_robustness`: the decided analogy of `side_by_side` over a grid of parameters.

One-at-a-time grid around `side_by_side`'s defaults: the baseline, then each listed value of ATP demand,
learning rate, warm-up, model width and c-ring with every other parameter at its default. The default demands,
180 and 720 ATP/s, are half and twice `side_by_side`'s 360 ATP/s (≈ 40 % and ≈ 150 % of a default patch's
ADP-saturated synthesis capacity, ≈ 450–500 ATP/s, as 300 and 1200 were of 600 at the earlier Fermi defaults,
capacity ≈ 775 ATP/s): one demand the membrane meets easily, one it cannot meet. Each grid point is
decided as `side_by_side` decides (shortened by `t_discharge`, `train_steps`, `n_tokens`, with `replicates`
seeds, the first min(3, replicates) with the blocked converters) from its replicates. The charge is not
shortened by default: the pace-of-demand row reads the second half of charging as the membrane's steady state,
and at the recalibrated membrane defaults ATP made ÷ ATP hydrolysed is still ≈ 0.7–0.9 in the first second
(the synthases ran backwards while Δp rose from 0; see `side_by_side_replicate`), so a shorter charge decides
that row on the transient. Every
replicate of every point is an ordinary run directory of `side_by_side_replicate` in ``grid/`` inside this
run's directory, all run as one sweep (`scenarios.sweep.run_sweep`): serially by default, on a local Dask
cluster with ``scheduler=local``, or on a cluster with ``scheduler=tcp://HOST:PORT``; a rerun reuses the
complete ones. Every point uses the same replicate seeds (`side_by_side.replicate_seeds` of this run's seed),
so points differ by their parameter, not by a fresh draw of seeds; both worlds of a replicate share its one
generator, though, so a parameter of either world also changes the other world's random draws.
Results: per point the verdict of every analogy row and of the β equivalence test; per row the fraction of the
grid where it holds; a heatmap in the report.
"""

from __future__ import annotations

from typing import Any

from analysis.report_robustness import report_robustness, robustness_numbers
from analysis.report_side_by_side import side_by_side_numbers
from scenarios.params import Param
from scenarios.registry import get, scenario
from scenarios.side_by_side import check_scheduler, replicate_seeds, run_replicates
from world.clock import Run

GRID_DIR = "grid"
"""The sweep directory of the grid's replicate runs inside an `analogy_robustness` run directory."""

AXES = ("atp_demand", "lr", "warmup", "d_model", "c_ring")
"""The parameters varied one at a time (each from its own list of values)."""


@scenario(
    name="analogy_robustness",
    description="side_by_side's decided analogy over a one-at-a-time grid; fraction of the grid where each row holds.",
    params={
        "atp_demand": Param((180.0, 720.0), float, many=True, bounds=(0.0, 1e5), help="ATP demands (ATP/s)"),
        "lr": Param((5e-3, 2e-2), float, many=True, bounds=(1e-5, 1.0), help="peak learning rates"),
        "warmup": Param((0, 40), int, many=True, bounds=(0, 100_000), help="learning-rate warm-ups (steps)"),
        "d_model": Param((16, 64), int, many=True, bounds=(4, 256), help="model widths"),
        "c_ring": Param((10, 12), int, many=True, bounds=(8, 15), help="c-ring sizes"),
        "axes": Param(  # literal, not AXES: `gradient list/show` read declarations from source without importing
            ("atp_demand", "lr", "warmup", "d_model", "c_ring"),
            str,
            many=True,
            choices=("atp_demand", "lr", "warmup", "d_model", "c_ring"),
            help="the parameters varied (the others stay at default)",
        ),
        "t_charge": Param(2.0, float, bounds=(0.05, 100.0), help="charging = training phase of each point (s)"),
        "t_discharge": Param(0.6, float, bounds=(0.05, 100.0), help="discharge = inference phase of each point (s)"),
        "train_steps": Param(180, int, bounds=(10, 100_000), help="optimiser steps of each point"),
        "n_tokens": Param(120, int, bounds=(8, 1_000_000), help="tokens of each point's inference"),
        "replicates": Param(3, int, bounds=(1, 40), help="seeds per grid point"),
        "scheduler": Param("serial", str, help="where the grid's runs go: serial, local (Dask) or tcp://HOST:PORT"),
    },
    duration=lambda p: p["t_charge"] + p["t_discharge"],
    check=lambda p: check_scheduler(p["scheduler"]),
    report=report_robustness,
    smoke={
        "atp_demand": (1200.0,),
        "axes": ("atp_demand",),
        "t_charge": 0.2,
        "t_discharge": 0.2,
        "train_steps": 40,
        "n_tokens": 16,
        "replicates": 1,
    },
)
def run_analogy_robustness(
    run: Run,
    *,
    atp_demand: tuple[float, ...],
    lr: tuple[float, ...],
    warmup: tuple[int, ...],
    d_model: tuple[int, ...],
    c_ring: tuple[int, ...],
    axes: tuple[str, ...],
    t_charge: float,
    t_discharge: float,
    train_steps: int,
    n_tokens: int,
    replicates: int,
    scheduler: str,
) -> dict[str, Any]:
    """Run every replicate of the baseline and of every one-at-a-time grid point; decide the rows at each."""
    sbs = get("side_by_side")
    base = {k: sbs.params[k].default for k in get("side_by_side_replicate").params if k != "blocked"}
    base.update(t_charge=t_charge, t_discharge=t_discharge, train_steps=train_steps, n_tokens=n_tokens)
    values = {"atp_demand": atp_demand, "lr": lr, "warmup": warmup, "d_model": d_model, "c_ring": c_ring}
    grid: list[tuple[str, Any]] = [("baseline", None)] + [(k, v) for k in AXES if k in axes for v in values[k]]
    sets = [dict(base) if axis == "baseline" else {**base, axis: value} for axis, value in grid]
    n_blocked = min(replicates, sbs.params["n_blocked"].default)
    seeds = replicate_seeds(run.seed, replicates)
    per_point = run_replicates(run, sets, seeds, n_blocked, scheduler, GRID_DIR)
    points = []
    for (axis, value), reps in zip(grid, per_point, strict=True):
        res = side_by_side_numbers(reps[0]["membrane"], reps[0]["attention"], [r["measures"] for r in reps],
                                   t_charge=t_charge, t_discharge=t_discharge)  # fmt: skip
        points.append(
            {
                "axis": axis,
                "value": value,
                "rows": {r["role"]: r["verdict"] for r in res["rows"]},
                "beta_status": res["verdict"]["beta_status"],
            }
        )
    return {**robustness_numbers(points), "grid": {"dir": GRID_DIR if run.out_dir else None, "seeds": seeds}}


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("analogy_robustness")
