"""The proton: a Mesa agent that is a handle into the world's proton arrays.

Key names: `Proton`.

A proton's position and compartment live in `world.lattice` (numpy structure of arrays) so that diffusion
is one vectorised step for all of them; the agent carries the identity (`unique_id`, used as `entity_id` of
every crossing in the trace) and reads its state from the arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from world.membrane.geometry import COMPARTMENT_NAMES

if TYPE_CHECKING:
    from world.membrane import MembraneWorld


class Proton(mesa.Agent):
    """One proton equivalent.

    Args:
        model: the membrane world.
        index: row of this proton in the world's lattice arrays.
    """

    def __init__(self, model: MembraneWorld, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def x(self) -> int:
        """Lattice column."""
        return int(self.model.lattice.x[self.index])

    @property
    def y(self) -> int:
        """Lattice row (the membrane is row ``n_rows``)."""
        return int(self.model.lattice.y[self.index])

    @property
    def compartment(self) -> str:
        """``"N"``, ``"P"``, ``"bound"`` or ``"reserve"``."""
        return COMPARTMENT_NAMES[int(self.model.lattice.comp[self.index])]
