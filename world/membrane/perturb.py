"""Perturbations of the membrane world: what a scenario does to it at a time (the world's methods).

Key names: `add_adp`, `set_atp_demand`, `spend_atp`, `set_uncoupler`, `add_uncoupler`, `add_inhibitor`,
`set_leak`, `set_substrate`.

Each is a plain function of the world, bound as a method of `MembraneWorld` (``world.add_adp(1200)``). Values are
validated (ValueError naming the value); pools and counters change only through `ChemState.apply`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from world.membrane.populations import spend
from world.membrane.state import Change

if TYPE_CHECKING:
    from world.membrane.model import MembraneWorld


def _nonneg(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}(={value!r}) must be a finite number >= 0")
    return float(value)


def _count(name: str, value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{name}(={value!r}) must be a non-negative integer number of {what}")
    return int(value)


def add_adp(world: MembraneWorld, amount: int) -> None:
    """Add `amount` ADP molecules to the cytosol (an ADP pulse)."""
    n = _count("amount", amount, "ADP molecules")
    world.state.apply(Change(n=1, mols={"adp_c": n}, counters={"adp_added": n}, external=True))


def set_atp_demand(world: MembraneWorld, rate: float) -> None:
    """Set the cytosolic ATP demand: maximal hydrolysis rate in ATP/s."""
    world.demand.rate = _nonneg("rate", rate)


def spend_atp(world: MembraneWorld, n: int, consumer: str = "external") -> int:
    """Hydrolyse up to `n` cytosolic ATP to ADP + Pi now, for a consumer outside the membrane world.

    Takes ``min(n, ATP in the cytosol)``; counts it in ``counters["atp_spent"]`` and the free energy released,
    −ΔG (J), in ``counters["atp_spent_J"]`` and in ``heat_J`` (work done on the consumer, which dissipates it), so
    ATP + ADP, ATP + Pi and the energy ledger still balance. Writes one ``atp_spent`` trace row at once, stamped
    with the current time (``dst`` = `consumer`, value = ATP, energy_J = −ΔG).

    Returns:
        The number of ATP hydrolysed.
    """
    n = min(_count("n", n, "ATP molecules"), world.state.pool["atp_c"])
    if n == 0:
        return 0
    n, heat = spend(world, n, consumer)
    world.t = float(world.run.now)
    world.run.trace.emit(
        world.t, "membrane", "atp_spent", src="cytosol", dst=consumer, value=float(n), unit="ATP", energy_J=heat
    )
    return n


def set_uncoupler(world: MembraneWorld, concentration: float) -> None:
    """Set the protonophore concentration (µM); 0 washes it out."""
    world.uncoupler.concentration = _nonneg("concentration", concentration)


def add_uncoupler(world: MembraneWorld, concentration: float) -> None:
    """Add protonophore (µM) to the membrane."""
    world.uncoupler.concentration += _nonneg("concentration", concentration)


def add_inhibitor(world: MembraneWorld, name: str, fraction: float = 1.0) -> None:
    """Block `fraction` (0 … 1, default all) of every target of inhibitor `name` (`INHIBITORS`); adding the same
    inhibitor again raises its fraction to the larger value (a titration step)."""
    from world.membrane.model import INHIBITORS

    if name not in INHIBITORS:
        raise ValueError(f"inhibitor(={name!r}) must be one of: {', '.join(INHIBITORS)}")
    f = _nonneg("fraction", fraction)
    if f > 1:
        raise ValueError(f"fraction(={fraction!r}) must be between 0 and 1")
    world.inhibitors[name] = max(f, world.inhibitors.get(name, 0.0))


def set_leak(world: MembraneWorld, rate: float) -> None:
    """Set the basal leak rate constant k0 per leak site (1/s)."""
    world.params = dataclasses.replace(world.params, k_leak=_nonneg("rate", rate))


def set_substrate(world: MembraneWorld, kind: str, supply_rate: float, exclusive: bool = True) -> None:
    """Supply ``"nadh"`` or ``"succinate"`` at `supply_rate` molecules/s; `exclusive` stops the other."""
    if kind not in ("nadh", "succinate"):
        raise ValueError(f"substrate(={kind!r}) must be 'nadh' or 'succinate'")
    rate = _nonneg("supply_rate", supply_rate)
    sup = world.supply
    if kind == "nadh":
        sup.nadh = rate
        if exclusive:
            sup.succinate = 0.0
    else:
        sup.succinate = rate
        if exclusive:
            sup.nadh = 0.0
