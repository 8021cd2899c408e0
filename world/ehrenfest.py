"""The Ehrenfest urn as a Mesa model: the smallest real system that relaxes to equilibrium.

Key names: `UrnModel`, `expected_imbalance`, `mixing_entropy_nats`.

N balls in two boxes; at every step each ball independently changes box with probability `p`. The mean
imbalance ⟨n_left − N/2⟩ decays exactly as (1 − 2p)^k after k steps, and the entropy ln C(N, n_left) rises
to its maximum: a gradient relaxing, with a closed form to test against. Used by the `ehrenfest` scenario,
which proves the pipe (clock → Mesa model → SimPy sampling → trace → metrics → summary) end to end.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from agents.ball import Ball
from world.clock import Run


def expected_imbalance(initial: float, p: float, steps: int | np.ndarray) -> float | np.ndarray:
    """Exact mean of n_left − N/2 after `steps` steps from imbalance `initial`."""
    return initial * (1.0 - 2.0 * p) ** np.asarray(steps)


def mixing_entropy_nats(n_left: int, n: int) -> float:
    """Boltzmann entropy ln C(n, n_left) of the macrostate, in nats."""
    return math.lgamma(n + 1) - math.lgamma(n_left + 1) - math.lgamma(n - n_left + 1)


class UrnModel(mesa.Model):
    """Ehrenfest urn driven by the run's clock; every hop is a trace event.

    Args:
        run: the run (clock, generator, recorders).
        n_balls: number of balls (Mesa agents).
        p_hop: probability that a ball changes box in one step, in (0, 0.5].
        dt: simulated seconds per step.
    """

    def __init__(self, run: Run, n_balls: int = 1000, p_hop: float = 0.05, dt: float = 1.0) -> None:
        if n_balls < 1:
            raise ValueError(f"n_balls(={n_balls}) must be >= 1")
        if not 0.0 < p_hop <= 0.5:
            raise ValueError(f"p_hop(={p_hop}) must be in (0, 0.5]")
        if not dt > 0:
            raise ValueError(f"dt(={dt}) must be > 0")
        super().__init__(rng=run.rng)
        self.run = run
        self.p_hop = p_hop
        self.dt = dt
        self.box = np.zeros(n_balls, dtype=np.int8)  # all start left: the maximal gradient
        self.balls = [Ball(self, i) for i in range(n_balls)]
        self.ids = np.array([b.unique_id for b in self.balls], dtype=np.int64)
        self.hops = 0
        self.steps_done = 0
        self.samples: list[tuple[int, float]] = []  # (step, imbalance) at each sample

    @property
    def n_left(self) -> int:
        """Balls in the left box."""
        return int(self.box.size - np.count_nonzero(self.box))

    def step(self) -> None:
        """Each ball hops with probability `p_hop`; hops are recorded as one vectorised trace batch."""
        moving = np.flatnonzero(self.run.rng.random(self.box.size) < self.p_hop)
        if moving.size:
            src = np.where(self.box[moving] == 0, "left", "right")
            dst = np.where(self.box[moving] == 0, "right", "left")
            self.box[moving] ^= 1
            self.run.trace.emit_many(
                self.run.now, "membrane", "hop", entity_id=self.ids[moving], src=src, dst=dst, value=1.0
            )
        self.hops += int(moving.size)
        self.steps_done += 1

    def sample(self) -> None:
        """Record n_left, the imbalance, its exact expectation and the mixing entropy."""
        n = self.box.size
        self.samples.append((self.steps_done, self.n_left - n / 2))
        self.run.metrics.record_many(
            self.run.now,
            "membrane",
            {
                "n_left": (self.n_left, "balls"),
                "imbalance": (self.n_left - n / 2, "balls"),
                "expected_imbalance": (float(expected_imbalance(n / 2, self.p_hop, self.steps_done)), "balls"),
                "mixing_entropy_nats": (mixing_entropy_nats(self.n_left, n), "nats"),
                "hops": (self.hops, "hops"),
            },
        )
