"""Perturbations of the membrane world: what a protocol (or a user) does to it from outside.

Key names: `add_adp`, `add_pi`, `set_atp_demand`, `spend_atp`, `set_uncoupler`, `add_uncoupler`, `add_inhibitor`,
`set_leak`, `set_substrate`.

Each is a function of the world; `MembraneWorld` exposes each as a method of the same name. Changes of pools and
counters go through the world's `ChemState` like every move; inhibitors are looked up in
`world.membrane.model.INHIBITORS` (name → {site class: fraction blocked}).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from world.membrane.state import Change

if TYPE_CHECKING:
    from world.membrane.model import MembraneWorld


def _nonneg(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}(={value!r}) must be a finite number >= 0")
    return float(value)


def add_adp(world: MembraneWorld, amount: int) -> None:
    """Add `amount` ADP molecules to the cytosol (an ADP pulse)."""
    if isinstance(amount, bool) or not isinstance(amount, int | np.integer) or amount < 0:
        raise ValueError(f"amount(={amount!r}) must be a non-negative integer number of ADP molecules")
    n = int(amount)
    world.state.apply(Change(mols=(("adp_c", n),)), {"adp_added": n}, energy=False)


def add_pi(world: MembraneWorld, amount: int) -> None:
    """Add `amount` phosphate (Pi) molecules to the cytosol (the medium's phosphate, e.g. with an ADP pulse)."""
    if isinstance(amount, bool) or not isinstance(amount, int | np.integer) or amount < 0:
        raise ValueError(f"amount(={amount!r}) must be a non-negative integer number of Pi molecules")
    n = int(amount)
    world.state.apply(Change(mols=(("pi_c", n),)), {"pi_added": n}, energy=False)


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
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n(={n!r}) must be a non-negative integer number of ATP molecules")
    state = world.state
    n = min(int(n), state.pool["atp_c"])
    if n == 0:
        return 0
    heat = state.apply(Change(mols=(("atp_c", -n), ("adp_c", n), ("pi_c", n))), {"atp_spent": n})
    state.count("atp_spent_J", heat)
    world.moves.t = float(world.run.now)
    world.moves.emit("atp_spent", src="cytosol", dst=consumer, value=float(n), unit="ATP", energy_J=heat)
    world.moves.flush()
    return n


def set_uncoupler(world: MembraneWorld, concentration: float) -> None:
    """Set the protonophore concentration (µM); 0 washes it out."""
    world.uncoupler.concentration = _nonneg("concentration", concentration)


def add_uncoupler(world: MembraneWorld, concentration: float) -> None:
    """Add protonophore (µM) to the membrane."""
    world.uncoupler.concentration += _nonneg("concentration", concentration)


def add_inhibitor(world: MembraneWorld, name: str, dose: float = 1.0) -> None:
    """Add an inhibitor of `world.membrane.model.INHIBITORS` (oligomycin: synthase, rotenone: I, antimycin_a: III,
    cyanide: IV) at `dose`, the fraction of a full block (1, the default, blocks its targets completely). Doses
    do not wash out: a second call keeps the larger dose. A partial block scales both directions of the targets'
    moves by the unblocked share, so detailed balance is untouched."""
    from world.membrane.model import INHIBITORS

    if name not in INHIBITORS:
        raise ValueError(f"inhibitor(={name!r}) must be one of: {', '.join(INHIBITORS)}")
    if not (isinstance(dose, int | float) and math.isfinite(dose) and 0.0 <= dose <= 1.0):
        raise ValueError(f"dose(={dose!r}) must be a number between 0 and 1")
    world.inhibitors[name] = max(float(dose), world.inhibitors.get(name, 0.0))


def set_leak(world: MembraneWorld, rate: float) -> None:
    """Set the basal leak rate constant k0 per leak site (1/s)."""
    world.state.params = replace(world.state.params, k_leak=_nonneg("rate", rate))


def set_substrate(world: MembraneWorld, kind: str, supply_rate: float, exclusive: bool = True) -> None:
    """Supply ``"nadh"`` or ``"succinate"`` at `supply_rate` molecules/s; `exclusive` stops the other."""
    if kind not in ("nadh", "succinate"):
        raise ValueError(f"substrate(={kind!r}) must be 'nadh' or 'succinate'")
    rate = _nonneg("supply_rate", supply_rate)
    if kind == "nadh":
        world.nadh_supply = rate
        if exclusive:
            world.succinate_supply = 0.0
    else:
        world.succinate_supply = rate
        if exclusive:
            world.nadh_supply = 0.0
