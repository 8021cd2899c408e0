"""Coupling of the two worlds: the membrane's cytosolic ATP pays for the attention world's inference.

Key names: `CytosolicATP` (a `simpy.Container` whose level *is* the membrane world's cytosolic ATP),
`ATPBridge` (builds the container and the SimPy process that re-offers ATP to waiting tokens after every
membrane step).

How it conserves. The container holds nothing of its own: its ``level`` is read from the membrane world
(cytosolic ATP above ``reserve``), and a granted ``get(k)`` calls `MembraneWorld.spend_atp(k)`, which
hydrolyses k real cytosolic ATP to ADP + Pi at that instant, counts them (``atp_spent``) and their free energy
(``atp_spent_J``, booked as heat: work done on the attention world, which dissipates it), and writes one
``atp_spent`` trace row. So ATP + ADP and ATP + Pi of the membrane world stay constant, its energy ledger still
balances, tokens completed × k = ``atp_spent`` exactly, and the trace replays the transfer. Gets are FIFO
(SimPy's `Container` semantics): when the pool is empty the stream stalls in order, and resumes as the
synthases and the exchanger put ATP back into the cytosol. ``put`` is refused: ATP only enters the cytosol
through the membrane world's own transitions.

Clock: both worlds run on the run's one SimPy environment in seconds. The attention world's model-time unit
(one token slot) is mapped onto the clock by giving `AttentionWorld` ``token_interval`` = the slot length in
seconds (and ``layer_time`` a fraction of it), which the scenarios document.

Usage::

    bridge = ATPBridge(run, membrane, reserve=0, consumer="attention")   # after run.drive(membrane, dt)
    attn = AttentionWorld(run, model, source, energy=bridge.energy, cost_per_token=4, token_interval=0.01)
"""

from __future__ import annotations

import math
from typing import Any

import simpy

from world.clock import Run
from world.errors import SimulationError

__all__ = ["ATPBridge", "CytosolicATP"]


class CytosolicATP(simpy.Container):
    """A container that mirrors a membrane world's cytosolic ATP; every granted get hydrolyses real ATP.

    Args:
        env: the run's environment.
        world: the `MembraneWorld` whose cytosol pays.
        reserve: ATP molecules the consumer may not take (≥ 0, integer).
        consumer: ``dst`` of the ``atp_spent`` trace rows.
    """

    def __init__(self, env: simpy.Environment, world: Any, reserve: int = 0, consumer: str = "attention") -> None:
        if isinstance(reserve, bool) or not isinstance(reserve, int) or reserve < 0:
            raise ValueError(f"reserve(={reserve!r}) must be a non-negative integer number of ATP molecules")
        if not isinstance(consumer, str) or not consumer:
            raise ValueError(f"consumer(={consumer!r}) must be a non-empty string")
        super().__init__(env, capacity=math.inf, init=0)
        self.world = world
        self.reserve = reserve
        self.consumer = consumer
        self.granted = 0
        """Total ATP handed out (= ATP hydrolysed for this consumer)."""
        self.gets = 0
        """Number of granted gets."""

    @property
    def level(self) -> int:  # type: ignore[override]
        """Cytosolic ATP the consumer may take now (molecules above the reserve)."""
        return max(int(self.world.pool["atp_c"]) - self.reserve, 0)

    def _do_put(self, event: simpy.resources.container.ContainerPut) -> bool | None:
        raise SimulationError("CytosolicATP refuses puts: ATP enters the cytosol only through the membrane world")

    def _do_get(self, event: simpy.resources.container.ContainerGet) -> bool | None:
        amount = event.amount
        if amount != int(amount):
            raise ValueError(f"amount(={amount}) must be a whole number of ATP molecules")
        n = int(amount)
        if self.level < n:
            return None
        spent = self.world.spend_atp(n, self.consumer)
        if spent != n:  # level checked above: cannot happen unless the world changed under us
            raise SimulationError(f"spend_atp({n}) hydrolysed {spent}")
        self.granted += n
        self.gets += 1
        event.succeed()
        return True

    def offer(self) -> None:
        """Re-try the waiting gets in FIFO order against the current cytosolic ATP."""
        self._trigger_get(None)


class ATPBridge:
    """The membrane's cytosolic ATP as an energy container for another world, re-offered every step.

    Build it after the membrane world is driven (``run.drive(world, world.dt)``): its process then wakes at
    the same times as the steps, right after them (and before samplers of the same instant), and lets waiting
    tokens take the ATP the step exported.

    Args:
        run: the run (its clock).
        world: the `MembraneWorld` that pays.
        reserve: cytosolic ATP the consumer may not take.
        consumer: label of the consumer in the trace (``dst`` of ``atp_spent``).
        dt: interval of the re-offers (s; default the world's step).

    Attributes:
        energy: the `CytosolicATP` container to hand to ``AttentionWorld(energy=...)``.
    """

    def __init__(
        self, run: Run, world: Any, *, reserve: int = 0, consumer: str = "attention", dt: float | None = None
    ) -> None:
        dt = world.dt if dt is None else dt
        if not (isinstance(dt, int | float) and math.isfinite(dt) and dt > 0):
            raise ValueError(f"dt(={dt!r}) must be a finite number > 0 (seconds)")
        self.run = run
        self.world = world
        self.dt = float(dt)
        self.energy = CytosolicATP(run.env, world, reserve, consumer)
        self.process = run.env.process(self._loop(run.env))

    def _loop(self, env: simpy.Environment):  # type: ignore[no-untyped-def]
        """Offer at t0 + k·dt, the step times of `Run.drive`, with no extra ``timeout(0)``: the offer then runs
        right after the step due at that instant and before any `Run.every` sampler of the same instant (which
        queues behind with a ``timeout(0)``), so a sample at t sees every ``atp_spent`` row stamped ≤ t."""
        t0 = float(env.now)
        k = 0
        while True:
            k += 1
            yield env.timeout(max(0.0, t0 + k * self.dt - env.now))
            self.energy.offer()

    @property
    def atp_spent(self) -> int:
        """ATP hydrolysed for the consumer so far."""
        return self.energy.granted

    @property
    def waiting(self) -> int:
        """Gets (tokens) waiting for ATP now."""
        return len(self.energy.get_queue)

    def sample(self) -> None:
        """Record ``atp_cytosol`` (molecule), ``atp_spent`` (ATP) and ``tokens_waiting_atp`` into run.metrics."""
        self.run.metrics.record_many(
            self.run.now,
            "membrane",
            {
                "atp_cytosol": (float(self.world.pool["atp_c"]), "molecule"),
                "atp_spent": (float(self.energy.granted), "ATP"),
                "tokens_waiting_atp": (float(self.waiting), "tokens"),
            },
        )
