"""The membrane world: an inner mitochondrial membrane as a Mesa model on a numpy lattice.

Key names: `MembraneWorld`, `MembraneParams`, `INHIBITORS`, `SUBSTRATES`.

Modules (one job each; `state` is the only writer of pools, charge and counters):

| module | holds |
|---|---|
| `model` | `MembraneWorld` (the `mesa.Model`): construction, site placement, the step, rate passes |
| `state` | `ChemState`: pools, charge, counters and the energy of a move; `ChemState.apply` books every change |
| `moves` | `ProtonMoves`: protons across and out of the membrane, with their trace rows |
| `observe` | observables as functions of the world's state (Δψ, pH, Δp, ledger, snapshot, metrics) |
| `perturb` | the perturbations a protocol applies (ADP pulse, demand, inhibitors, uncoupler, leak, substrate) |
| `params` | `MembraneParams`, constants of the membrane's physics and their sources |
| `geometry` | `ProtonLattice`: protons as numpy arrays on the lattice, their walk and reserve |
| `diffusion` | exact continuous-time lattice walks (ring and band kernels) |
| `thermo` | free energies and the rate laws that keep detailed balance |
| `protocol` | `Protocol`: timed injections and steady-state measurement windows |
| `transit` | `TransitLog`: pump-to-rotor transits of individual protons |

The names below are imported lazily (PEP 562), so the agents can import the membrane's small modules
(geometry, thermo, params) without importing the model that imports them.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "MembraneWorld": "world.membrane.model",
    "INHIBITORS": "world.membrane.model",
    "SUBSTRATES": "world.membrane.model",
    "COUNTER_NAMES": "world.membrane.state",
    "MODEL_REPORTERS": "world.membrane.model",
    "MembraneParams": "world.membrane.params",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'world.membrane' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
