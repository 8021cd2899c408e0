"""Other ways across the membrane: leak sites, the uncoupler, the nucleotide exchanger, and ATP demand.

Key names: `LeakSite`, `NucleotideExchanger`, `Uncoupler`, `ATPDemand`.

* `LeakSite` — a fixed membrane cell through which one proton hops P ⇄ N; symmetric-barrier rates
  ``k0·exp(∓ΔG/2kT)`` (`world.thermo.barrier_rates`): the net leak ``2 k0 sinh(FΔp/2RT)`` rises steeply
  (non-ohmically) with Δp. Trace ``leak`` (entity = proton, value ±1, energy_J = heat).
* `Uncoupler` — a protonophore (FCCP-like) dissolved in the membrane: a well-mixed population whose shuttle
  rate is ``k_uncoupler_per_uM · concentration`` with the same barrier law; events per step are a Poisson
  pair (forward, backward) at a random membrane column. Trace ``uncoupler``.
* `NucleotideExchanger` — adenine nucleotide translocase + phosphate carrier lumped: ATP⁴⁻(matrix) out,
  ADP³⁻ in, Pi with one H⁺ in: net one proton (and one charge) P → N per ATP exported, the reference's
  "+1 H⁺ per ATP for transport". Saturating rates. Trace ``exchange`` (entity = proton, value ±1).
* `ATPDemand` — the cell's ATP consumers: cytosolic ATP → ADP + Pi at ``demand · ATP/(ATP + K_m)`` per s
  (and the reverse at the detailed-balance ratio, negligible). Its free energy is dissipated: counted as
  heat. Trace ``atp_demand`` (value = net ATP hydrolysed this step, energy_J = heat).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

from agents.complexes import Change, MembraneSite
from world.membrane_geometry import N_SIDE, P_SIDE
from world.thermo import barrier_rates

if TYPE_CHECKING:
    from world.membrane import MembraneWorld

_EXCHANGE = (("atp_m", -1), ("atp_c", 1), ("adp_c", -1), ("adp_m", 1), ("pi_c", -1), ("pi_m", 1))
_HYDROLYSIS = (("atp_c", -1), ("adp_c", 1), ("pi_c", 1))


def _proton_hop(
    site_x: int, world: MembraneWorld, direction: int, kind: str, chem: tuple[tuple[str, int], ...] = ()
) -> bool:
    """Move one proton P → N (direction +1) or N → P (−1) with `chem` molecule changes; trace and account."""
    src, dst = (P_SIDE, N_SIDE) if direction > 0 else (N_SIDE, P_SIDE)
    if not world.can_take(src, site_x, 1) or not world.possible(0, 0, chem):
        return False
    parts = world.event_dG(-direction, direction, -direction, chem, 0)
    heat = world.account(parts)
    world.transfer(src, dst, site_x, 1, kind, None, float(direction), energy_J=heat)
    world.charge -= direction
    for m, d in chem:
        world.pool[m] += d
    return True


class LeakSite(MembraneSite):
    """A basal proton-leak pathway in one membrane cell (rate constant `k_leak`, per site)."""

    k_param = "k_leak"
    rate_law = "barrier"
    number = 6

    @classmethod
    def forward_change(cls, world: MembraneWorld) -> Change:
        """One proton P → N, one charge back."""
        return -1, 1, -1, (), 0

    def fire(self, world: MembraneWorld, direction: int) -> bool:
        """One hop P → N (+1) or N → P (−1)."""
        if _proton_hop(self.x, world, direction, "leak"):
            world.counters["leak_h"] += direction
            return True
        return False


class NucleotideExchanger(MembraneSite):
    """ANT + phosphate carrier: ATP(m) + ADP(c) + Pi(c) + H⁺(P) ⇄ ATP(c) + ADP(m) + Pi(m) + H⁺(N)."""

    k_param = "k_exchanger"
    number = 7

    @classmethod
    def forward_change(cls, world: MembraneWorld) -> Change:
        """Export one ATP, import one ADP and one Pi with one proton P → N (−1 charge)."""
        return -1, 1, -1, _EXCHANGE, 0

    def fire(self, world: MembraneWorld, direction: int) -> bool:
        """One exchange forward (ATP out) or backward (ATP in)."""
        chem = tuple((m, direction * d) for m, d in _EXCHANGE)
        if _proton_hop(self.x, world, direction, "exchange", chem):
            world.counters["atp_exported"] += direction
            return True
        return False


class Uncoupler(mesa.Agent):
    """The protonophore population of the membrane (FCCP-like); `concentration` in µM."""

    def __init__(self, model: MembraneWorld) -> None:
        super().__init__(model)
        self.concentration = 0.0

    def step_shuttle(self, world: MembraneWorld) -> None:
        """Shuttle protons for one step: Poisson numbers forward and backward, each hop traced."""
        if self.concentration <= 0:
            return
        dg_f = LeakSite.rate_dG(world, 1)
        dg_b = LeakSite.rate_dG(world, -1)
        kf, kb = barrier_rates(world.params.k_uncoupler_per_uM * self.concentration, dg_f, dg_b, world.kT)
        rng = world.rng
        nf, nb = int(rng.poisson(kf * world.dt)), int(rng.poisson(kb * world.dt))
        if nf + nb == 0:
            return
        xs = rng.integers(0, world.params.width, size=nf + nb).tolist()
        dirs = [1] * nf + [-1] * nb
        order = rng.permutation(nf + nb).tolist()
        for i in order:
            if _proton_hop(int(xs[i]), world, dirs[i], "uncoupler"):
                world.counters["uncoupler_h"] += dirs[i]


class ATPDemand(mesa.Agent):
    """Cytosolic ATP consumers; `rate` is the maximal ATP hydrolysis per second."""

    def __init__(self, model: MembraneWorld) -> None:
        super().__init__(model)
        self.rate = 0.0

    def step_demand(self, world: MembraneWorld) -> None:
        """Hydrolyse cytosolic ATP for one step; one ``atp_demand`` trace row when any happened."""
        pool = world.pool
        if self.rate <= 0 or pool["atp_c"] < 1:
            return
        v = self.rate * pool["atp_c"] / (pool["atp_c"] + world.params.demand_km)
        dg = sum(world.event_dG(0, 0, 0, _HYDROLYSIS, 0))
        rng = world.rng
        nf = int(rng.poisson(v * world.dt))
        nb = int(rng.poisson(v * math.exp(dg / world.kT) * world.dt)) if dg / world.kT > -700 else 0
        net = max(-pool["adp_c"], min(nf - nb, pool["atp_c"]), -pool["pi_c"])
        if net == 0:
            return
        chem = tuple((m, net * d) for m, d in _HYDROLYSIS)
        heat = world.account(world.event_dG(0, 0, 0, chem, 0))
        for m, d in chem:
            pool[m] += d
        world.counters["atp_consumed"] += net
        world.emit("atp_demand", entity_id=self.unique_id, value=float(net), unit="ATP", energy_J=heat)
