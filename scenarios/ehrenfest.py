"""Scenario `ehrenfest`: N balls relax from one box to an even split; the pipe proven end to end.

A Mesa model (the urn) is stepped by the SimPy clock every `dt`, a second SimPy process samples metrics
every `sample_every` steps, every hop is a trace event. Results: the fitted relaxation rate against the exact
−ln(1 − 2p)/dt, and the final imbalance and entropy.
"""

from __future__ import annotations

import math

import numpy as np

from analysis.report_ehrenfest import report_ehrenfest
from scenarios.params import Param
from scenarios.registry import scenario
from world.clock import Run
from world.ehrenfest import UrnModel, mixing_entropy_nats


@scenario(
    name="ehrenfest",
    description="Ehrenfest urn: N balls relax from one box to an even split (pipe check, exact law).",
    params={
        "n_balls": Param(2000, int, bounds=(1, 1_000_000), help="balls (Mesa agents)"),
        "p_hop": Param(0.02, float, bounds=(1e-6, 0.5), help="hop probability per ball per step"),
        "steps": Param(300, int, bounds=(1, 1_000_000), help="steps to run"),
        "dt": Param(1.0, float, bounds=(1e-9, 1e6), help="simulated seconds per step"),
        "sample_every": Param(5, int, bounds=(1, 1_000_000), help="steps between metric samples"),
    },
    duration=lambda p: p["steps"] * p["dt"],
    report=report_ehrenfest,
    smoke={"n_balls": 300, "steps": 40},
)
def run_ehrenfest(run: Run, *, n_balls: int, p_hop: float, steps: int, dt: float, sample_every: int) -> dict:
    """Relax the urn for `steps` steps and compare the imbalance's decay rate with the exact one."""
    urn = UrnModel(run, n_balls=n_balls, p_hop=p_hop, dt=dt)
    run.every(sample_every * dt, urn.sample)
    run.drive(urn, dt, until=steps * dt)
    run.run_until(steps * dt)
    steps_arr, imbalance = np.array(urn.samples).T
    # fit ln(imbalance) against steps while the mean is far above the equilibrium noise (std √N/2)
    usable = imbalance > 5.0 * math.sqrt(n_balls)
    fitted = -np.polyfit(steps_arr[usable], np.log(imbalance[usable]), 1)[0] / dt if usable.sum() >= 3 else None
    return {
        "fitted_relaxation_rate_per_s": fitted,
        "n_balls": n_balls,
        "steps": urn.steps_done,
        "hops": urn.hops,
        "final_n_left": urn.n_left,
        "final_mixing_entropy_nats": mixing_entropy_nats(urn.n_left, n_balls),
        "max_mixing_entropy_nats": mixing_entropy_nats(n_balls // 2, n_balls),
        "exact_relaxation_rate_per_s": -math.log(1.0 - 2.0 * p_hop) / dt if p_hop < 0.5 else math.inf,
        "half_life_steps": float(np.log(0.5) / np.log(abs(1.0 - 2.0 * p_hop))) if p_hop != 0.5 else 0.0,
    }


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("ehrenfest")
