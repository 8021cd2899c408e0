"""ATP synthase: an Fo c-ring rotor of n subunits coupled to three catalytic sites, reversible.

Key names: `ATPSynthase`, `atp_at_step`.

The elementary move is one c-subunit step (360/n degrees): one proton P → N (one charge). The rotor position
``s ∈ {0 … n−1}`` counts subunits; the γ shaft meets a catalytic β site every 120°, so the step s → s+1 makes
one ATP in the matrix exactly when ``⌊3(s+1)/n⌋ > ⌊3s/n⌋`` — three ATP and n protons per full turn for
any n (for n = 8 the ATP come after 3, 3 and 2 protons). Backward steps pass a proton N → P and, at the same
boundaries, hydrolyse ATP: the motor pumps when ATP's free energy exceeds (n/3)·F·Δp.

Rates (`world.thermo.fermi_rates`, k_max = `k_rotor` steps/s): the elastic γ shaft spreads the chemical work
over the steps, so each step's rate uses ``ΔG_step = ΔG(1 H⁺ across) + (3/n)·ΔG_ATP``. Over any full turn the
product of k₊/k₋ is exactly ``exp(−(n·ΔG_H⁺ + 3·ΔG_ATP)/kT)``: net synthesis stops where
(n/3)·F·Δp = ΔG_ATP and reverses beyond. The heat of each step is recorded with the step's actual free-energy
change (ATP appears on boundary steps), so it fluctuates in sign step by step but not over a turn.

Trace: ``rotor_step`` per proton (entity = proton id, value ±1, energy_J = heat, pos = column) and
``atp_made`` / ``atp_hydrolysed`` (entity = synthase id, value 1) on boundary steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.complexes import MembraneSite, Stoich
from world.constants import ATP_PER_TURN

if TYPE_CHECKING:
    from world.membrane.model import MembraneWorld

SYNTHESIS = (("atp_m", 1), ("adp_m", -1), ("pi_m", -1))
"""ADP + Pi → ATP in the matrix (made on boundary steps)."""


def atp_at_step(s: int | np.ndarray, n: int) -> bool | np.ndarray:
    """True if the forward step from rotor position `s` (of `n`) crosses a 120° boundary (makes one ATP)."""
    return (ATP_PER_TURN * (s + 1)) // n > (ATP_PER_TURN * s) // n


class ATPSynthase(MembraneSite):
    """FoF1 ATP synthase with a c-ring of `world.params.c_ring` subunits; blocked by oligomycin.

    Per-site state (arrays of its group): ``position`` (rotor position in c-subunits, 0 … n−1), ``steps`` (net
    c-subunit steps; ``steps / n`` full turns) and ``atp`` (net ATP made; always ``floor(3·steps / n)``).
    """

    stoich = Stoich(-1, 1, -1)
    k_param = "k_rotor"
    number = 5

    @classmethod
    def initial_state(cls, n: int) -> dict[str, np.ndarray]:
        """Rotor position, net steps and net ATP per site, all 0."""
        return {k: np.zeros(n, dtype=np.int64) for k in ("position", "steps", "atp")}

    @classmethod
    def rate_dG(cls, world: MembraneWorld, direction: int) -> float | None:
        """ΔG of one proton across plus 3/n of the ATP made (forward) or hydrolysed (backward)."""
        st = world.state
        chem = tuple((m, direction * d) for m, d in SYNTHESIS)
        if not st.possible(direction, -direction, chem):
            return None
        n = world.params.c_ring
        h = sum(st.event_dG(-direction, direction, -direction, (), 0))
        return h + ATP_PER_TURN / n * sum(st.event_dG(0, 0, 0, chem, 0))

    @property
    def position(self) -> int:
        """Rotor position (c-subunits)."""
        return int(self.group.state["position"][self.index])

    @property
    def steps(self) -> int:
        """Net c-subunit steps made."""
        return int(self.group.state["steps"][self.index])

    @property
    def atp(self) -> int:
        """Net ATP made by this synthase."""
        return int(self.group.state["atp"][self.index])
