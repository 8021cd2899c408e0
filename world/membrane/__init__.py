"""The membrane world: chemistry state, geometry, moves, observables, parameters and protocols.

Key names: `MembraneWorld`, `MembraneParams`, `SMALL_WORLD`, `INHIBITORS`, `SUBSTRATES`, `Protocol`,
`METRIC_UNITS`.

Modules: `model` (the Mesa model, composition of the parts), `state` (`ChemState`, the only writer of pools, charge
and counters, via `apply(change)`), `geometry` (proton positions, exact diffusion, mouths), `moves` (every site
class in one vectorised pass), `movers` (the move of each class), `populations` (supply, uncoupler, demand),
`perturb` (the world's perturbation methods), `observables` (functions of the state), `rows` (trace rows of a
step), `params`, `protocol`. docs/membrane.md describes the physics.
"""

from world.membrane.model import INHIBITORS, SITE_CLASSES, SUBSTRATES, MembraneWorld
from world.membrane.observables import METRIC_UNITS
from world.membrane.params import SMALL_WORLD, MembraneParams
from world.membrane.protocol import Protocol

__all__ = [
    "INHIBITORS",
    "METRIC_UNITS",
    "SITE_CLASSES",
    "SMALL_WORLD",
    "SUBSTRATES",
    "MembraneParams",
    "MembraneWorld",
    "Protocol",
]
