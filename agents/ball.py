"""A ball of the Ehrenfest urn: a Mesa agent whose box lives in its model's numpy array.

Key names: `Ball`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from world.ehrenfest import UrnModel


class Ball(mesa.Agent):
    """One ball; `index` is its row in the model's arrays (structure of arrays, the agent is a handle)."""

    model: UrnModel

    def __init__(self, model: UrnModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def box(self) -> int:
        """0 (left) or 1 (right)."""
        return int(self.model.box[self.index])
