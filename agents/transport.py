"""Other ways across the membrane: leak sites, the nucleotide exchanger, the uncoupler and ATP demand.

Key names: `LeakSite`, `NucleotideExchanger`, `Uncoupler`, `ATPDemand`, `EXCHANGE`, `HYDROLYSIS`.

* `LeakSite` — a fixed membrane site through which one proton hops P ⇄ N; symmetric-barrier rates
  ``k0·exp(∓ΔG/2kT)`` (`world.thermo.barrier_rates`): the net leak ``2 k0 sinh(FΔp/2RT)`` rises steeply
  (non-ohmically) with Δp. Trace ``leak`` (entity = proton, value ±1, energy_J = heat).
* `NucleotideExchanger` — adenine nucleotide translocase + phosphate carrier lumped: ATP⁴⁻(matrix) out,
  ADP³⁻ in, Pi with one H⁺ in: net one proton (and one charge) P → N per ATP exported, the reference's
  "+1 H⁺ per ATP for transport". Saturating rates. Trace ``exchange`` (entity = proton, value ±1).
* `Uncoupler` — a protonophore (FCCP-like) dissolved in the membrane: a well-mixed population whose shuttle
  rate is ``k_uncoupler_per_uM · concentration`` with the leak's barrier law; Poisson numbers of hops per step,
  each at a random place of the membrane. Trace ``uncoupler``.
* `ATPDemand` — the cell's ATP consumers: cytosolic ATP → ADP + Pi at ``demand · ATP/(ATP + K_m)`` per s
  (and the reverse at the detailed-balance ratio, negligible). Its free energy is dissipated: counted as
  heat. Trace ``atp_demand`` (value = net ATP hydrolysed this step, energy_J = heat).

The moves themselves are vectorised in `world.membrane.moves`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from agents.complexes import MembraneSite, Stoich

if TYPE_CHECKING:
    from world.membrane.model import MembraneWorld

EXCHANGE = (("atp_m", -1), ("atp_c", 1), ("adp_c", -1), ("adp_m", 1), ("pi_c", -1), ("pi_m", 1))
"""ATP out, ADP in, Pi in (with the proton of the stoichiometry)."""
HYDROLYSIS = (("atp_c", -1), ("adp_c", 1), ("pi_c", 1))
"""ATP → ADP + Pi in the cytosol."""


class LeakSite(MembraneSite):
    """A basal proton-leak pathway (rate constant `k_leak`, per site): one proton P → N, one charge back."""

    stoich = Stoich(-1, 1, -1)
    k_param = "k_leak"
    rate_law = "barrier"
    number = 6


class NucleotideExchanger(MembraneSite):
    """ANT + phosphate carrier: ATP(m) + ADP(c) + Pi(c) + H⁺(P) ⇄ ATP(c) + ADP(m) + Pi(m) + H⁺(N)."""

    stoich = Stoich(-1, 1, -1, EXCHANGE)
    k_param = "k_exchanger"
    number = 7


class Uncoupler(mesa.Agent):
    """The protonophore population of the membrane (FCCP-like); `concentration` in µM."""

    def __init__(self, model: MembraneWorld) -> None:
        super().__init__(model)
        self.concentration = 0.0


class ATPDemand(mesa.Agent):
    """Cytosolic ATP consumers; `rate` is the maximal ATP hydrolysis per second."""

    def __init__(self, model: MembraneWorld) -> None:
        super().__init__(model)
        self.rate = 0.0
