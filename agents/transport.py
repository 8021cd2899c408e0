"""Other ways across the membrane: leak sites, the uncoupler, the nucleotide exchanger, and ATP demand.

Key names: `LeakSite`, `NucleotideExchanger`, `AdenineNucleotideTranslocase`, `PhosphateCarrier`, `Uncoupler`,
`ATPDemand`.

* `LeakSite` — a fixed membrane cell through which one proton hops P ⇄ N; symmetric-barrier rates
  ``k0·exp(∓ΔG/2kT)`` (`world.membrane.thermo.barrier_rates`): the net leak ``2 k0 sinh(FΔp/2RT)`` rises steeply
  (non-ohmically) with Δp. Trace ``leak`` (entity = proton, value ±1, energy_J = heat).
* `Uncoupler` — a protonophore (FCCP-like) dissolved in the membrane: a well-mixed population whose shuttle
  rate is ``k_uncoupler_per_uM · concentration`` with the same barrier law; events per step are a Poisson
  pair (forward, backward) at a random membrane column. Trace ``uncoupler``.
* `NucleotideExchanger` — adenine nucleotide translocase + phosphate carrier lumped: ATP⁴⁻(matrix) out,
  ADP³⁻ in, Pi with one H⁺ in: net one proton (and one charge) P → N per ATP exported, the reference's
  "+1 H⁺ per ATP for transport". Fermi rates, blind to substrate levels. Trace ``exchange`` (entity = proton,
  value ±1). The world's transport when ``transport="lumped"`` (the default).
* `AdenineNucleotideTranslocase` (``transport="ant_pic"``) — ATP⁴⁻(matrix) + ADP³⁻(cytosol) ⇄ ATP⁴⁻(cytosol) +
  ADP³⁻(matrix): one negative charge N → P per ATP exported, no proton. Saturable
  (`world.membrane.thermo.saturable_rates`): the cytosolic face binds ADP or ATP competitively with K_D and K_T
  (Metelkin et al. 2006: 38.89 and 56.05 µM at
  Δψ = 0, both rising with Δψ, ATP's four times as steeply), the matrix face is saturated (only the matrix
  ATP/ADP share counts), and the charge's crossing is a step of its own (``σ(ΔG_el/kT)``), so export speeds up
  with Δψ until that step saturates and import is suppressed exponentially. Trace ``ant`` (entity = the
  translocase, value ±1 ATP exported, energy_J = heat).
* `PhosphateCarrier` (``transport="ant_pic"``) — Pi(cytosol) + H⁺(P) ⇄ Pi(matrix) + H⁺(N), electroneutral,
  saturable with one K on either face (`pic_km_uM`, total Pi). Trace ``pi_symport`` (entity = proton, value ±1).
  Together the two keep the lumped exchanger's cost exactly: one charge per ATP exported and one H⁺ per Pi
  imported (per move; per ATP whenever matrix Pi is steady).
* `ATPDemand` — the cell's ATP consumers: cytosolic ATP → ADP + Pi at ``demand · ATP/(ATP + K_m)`` per s
  (and the reverse at the detailed-balance ratio, negligible). Its free energy is dissipated: counted as
  heat. Trace ``atp_demand`` (value = net ATP hydrolysed this step, energy_J = heat).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.complexes import MembraneSite, run_pass
from world.constants import E_CHARGE
from world.membrane import kernels
from world.membrane.geometry import COMPARTMENT_NAMES, N_SIDE, P_SIDE
from world.membrane.moves import proton_key
from world.membrane.params import ANT_DELTA_D, ANT_DELTA_T, ANT_KM_MATRIX_MOLECULES
from world.membrane.state import Change
from world.membrane.thermo import Couple, barrier_rates, elec_dG_J, molecules_per_uM, saturable_rates

if TYPE_CHECKING:
    from world.membrane import MembraneWorld

_HOP = Change(-1, 1, -1)
"""One proton P → N with its charge (leak, uncoupler)."""
_EXCHANGE = Change(-1, 1, -1, (("atp_m", -1), ("atp_c", 1), ("adp_c", -1), ("adp_m", 1), ("pi_c", -1), ("pi_m", 1)))
"""The lumped exchanger: ATP out, ADP and Pi in, one proton P → N (−1 charge)."""
_HYDROLYSIS = Change(mols=(("atp_c", -1), ("adp_c", 1), ("pi_c", 1)))
_CONSUMED = {"atp_consumed": 1}
ANT_FIELD_IN_BINDING = 4 * ANT_DELTA_T - 3 * ANT_DELTA_D
"""Share of the field's work on one exchange that the Δψ-dependent K's carry (their ratio K_T/K_D rises as
exp((4δ_T − 3δ_D)·FΔψ/RT)); the translocation step carries the rest."""
_ANT = Change(-1, 0, 0, (("atp_m", -1), ("atp_c", 1), ("adp_c", -1), ("adp_m", 1)))
"""The translocase: ATP⁴⁻ out, ADP³⁻ in, one negative charge out of the matrix (−1 charge N → P), no proton."""
_PI = Change(0, 1, -1, (("pi_c", -1), ("pi_m", 1)))
"""The phosphate carrier: Pi in with one proton P → N, electroneutral."""


def _proton_hop(site_x: int, world: MembraneWorld, change: Change, kind: str, counts: dict[str, float]) -> bool:
    """Make a one-proton move across (`change`: dn_n = +1 is P → N, −1 is N → P) with its molecules and charge;
    book it with `counts`, trace the proton (heat on its row)."""
    direction = change.dn_n
    src, dst = (P_SIDE, N_SIDE) if direction > 0 else (N_SIDE, P_SIDE)
    if not world.can_take(src, site_x, 1) or not world.state.possible(change):
        return False
    heat = world.state.apply(change, counts)
    world.moves.transfer(src, dst, site_x, 1, kind, None, float(direction), energy_J=heat)
    return True


_HOP_KEYS: dict[tuple[str, int], tuple[tuple]] = {}
"""The trace-row signature of a batch of one-proton hops (`_hop_many`), per kind and direction (a constant
table, whose number `RowBuffer.codes` remembers)."""


def _hop_many(
    cls: type[MembraneSite],
    world: MembraneWorld,
    members: Sequence[MembraneSite],
    sites: np.ndarray,
    direction: int,
    kind: str,
    counts: dict[str, float],
) -> None:
    """`_proton_hop` for many moves at once (``site_events="batch"``, `kernels.hop_pass`): one proton each, P → N
    forward."""
    xs = world.site_arrays[cls][0][sites]
    m = int(xs.size)
    src, dst = (P_SIDE, N_SIDE) if direction > 0 else (N_SIDE, P_SIDE)
    mv, lat = world.moves, world.lattice
    keys = _HOP_KEYS.get((kind, direction))
    if keys is None:
        keys = _HOP_KEYS[kind, direction] = (
            proton_key(kind, COMPARTMENT_NAMES[src], COMPARTMENT_NAMES[dst], None, float(direction), heat=True),
        )
    key = keys[0]
    change = cls.forward_change(world)
    mv.buf.n, h = run_pass(
        world.state,
        kernels.hop_pass,
        (src, dst, lat.batch_args(), xs, mv.row_args(m), mv.buf.codes(keys)[0]),
        change,
        direction * m,
    )
    world.state.add(change, direction * m, counts, m)
    lat.batch_moved()
    if mv.transit is not None:
        mv.transit.moved(h, kind, key[1], key[2], xs, mv.t)


class LeakSite(MembraneSite):
    """A basal proton-leak pathway in one membrane cell (rate constant `k_leak`, per site)."""

    k_param = "k_leak"
    rate_law = "barrier"
    number = 6

    @classmethod
    def forward_change(cls, world: MembraneWorld) -> Change:
        """One proton P → N, one charge back."""
        return _HOP

    def fire(self, world: MembraneWorld, direction: int) -> bool:
        """One hop P → N (+1) or N → P (−1)."""
        return _proton_hop(self.x, world, _HOP.times(direction), "leak", {"leak_h": direction})

    @classmethod
    def fire_many(
        cls, world: MembraneWorld, members: Sequence[MembraneSite], sites: np.ndarray, ranks: np.ndarray, direction: int
    ) -> None:
        """Many hops at once (`MembraneSite.fire_many`)."""
        _hop_many(cls, world, members, sites, direction, "leak", {"leak_h": direction})


class NucleotideExchanger(MembraneSite):
    """ANT + phosphate carrier: ATP(m) + ADP(c) + Pi(c) + H⁺(P) ⇄ ATP(c) + ADP(m) + Pi(m) + H⁺(N)."""

    k_param = "k_exchanger"
    number = 7

    @classmethod
    def forward_change(cls, world: MembraneWorld) -> Change:
        """Export one ATP, import one ADP and one Pi with one proton P → N (−1 charge)."""
        return _EXCHANGE

    def fire(self, world: MembraneWorld, direction: int) -> bool:
        """One exchange forward (ATP out) or backward (ATP in)."""
        counts = {"atp_exported": direction, "transport_h": direction}
        return _proton_hop(self.x, world, _EXCHANGE.times(direction), "exchange", counts)

    @classmethod
    def fire_many(
        cls, world: MembraneWorld, members: Sequence[MembraneSite], sites: np.ndarray, ranks: np.ndarray, direction: int
    ) -> None:
        """Many exchanges at once (`MembraneSite.fire_many`)."""
        _hop_many(
            cls, world, members, sites, direction, "exchange", {"atp_exported": direction, "transport_h": direction}
        )


class AdenineNucleotideTranslocase(MembraneSite):
    """ANT: ATP⁴⁻(m) + ADP³⁻(c) ⇄ ATP⁴⁻(c) + ADP³⁻(m), one negative charge out per ATP exported (electrogenic)."""

    k_param = "k_ant"
    number = 7
    always_saturable = True

    @classmethod
    def forward_change(cls, world: MembraneWorld) -> Change:
        """Export one ATP and import one ADP: −1 charge N → P (a negative charge leaves the matrix), no proton."""
        return _ANT

    @classmethod
    def couples(cls, world: MembraneWorld, direction: int = 1) -> tuple[Couple, ...]:
        """Cytosolic face: ADP (substrate, K_D) against ATP (product, K_T), both at Δψ of the move's midpoint
        (charge − ½·direction: the same from either end of the move, so detailed balance stays exact); matrix face:
        ATP against ADP, saturated."""
        p = world.params
        phi = (world.state.charge - 0.5 * direction) * E_CHARGE * E_CHARGE / (p.capacitance_F * world.kT)
        c = molecules_per_uM(p.volume_cyt_L)
        k_d = p.ant_km_adp_uM * math.exp(3 * ANT_DELTA_D * phi) * c
        k_t = p.ant_km_atp_uM * math.exp(4 * ANT_DELTA_T * phi) * c
        pool = world.state.pool
        k_m = ANT_KM_MATRIX_MOLECULES
        return (pool["adp_c"], pool["atp_c"], 1, k_d, k_t), (pool["atp_m"], pool["adp_m"], 1, k_m, k_m)

    @classmethod
    def rates(cls, world: MembraneWorld, k: float) -> tuple[float, float]:
        """The saturable law with the charge's crossing as its own step (`el_J`): the capacitor's energy change
        less the share the cytosolic face's binding already feels (``4δ_T − 3δ_D`` of it, `ANT_FIELD_IN_BINDING`),
        so that the field's work is counted once between binding and translocation."""
        cap = world.params.capacitance_F
        share = 1.0 - ANT_FIELD_IN_BINDING
        q = world.state.charge
        el = (share * elec_dG_J(q, -1, cap), share * elec_dG_J(q, 1, cap))
        return saturable_rates(
            k,
            cls.rate_dG(world, 1),
            cls.rate_dG(world, -1),
            world.kT,
            cls.couples(world, 1),
            el_J=el,
            couples_bwd=cls.couples(world, -1),
        )

    def fire(self, world: MembraneWorld, direction: int) -> bool:
        """One exchange forward (ATP out) or backward (ATP in)."""
        change = _ANT.times(direction)
        if not world.state.possible(change):
            return False
        heat = world.state.apply(change, {"atp_exported": direction})
        world.moves.emit("ant", entity_id=self.unique_id, pos=self.x, value=float(direction), unit="ATP", energy_J=heat)
        return True

    @classmethod
    def fire_many(
        cls, world: MembraneWorld, members: Sequence[MembraneSite], sites: np.ndarray, ranks: np.ndarray, direction: int
    ) -> None:
        """Many exchanges at once (`MembraneSite.fire_many`)."""
        xall, uall = world.site_arrays[cls]
        m = int(sites.size)
        heat = world.state.book(_ANT, direction * m, {"atp_exported": direction}, m)
        world.moves.emit_many("ant", uall[sites], xall[sites], float(direction), "ATP", energy_J=np.full(m, heat / m))


class PhosphateCarrier(MembraneSite):
    """PiC: Pi(c) + H⁺(P) ⇄ Pi(m) + H⁺(N), electroneutral."""

    k_param = "k_pi_carrier"
    number = 8
    always_saturable = True

    @classmethod
    def forward_change(cls, world: MembraneWorld) -> Change:
        """Import one Pi with one proton P → N; no charge."""
        return _PI

    @classmethod
    def couples(cls, world: MembraneWorld, direction: int = 1) -> tuple[Couple, ...]:
        """One site facing either side: cytosolic Pi (substrate) against matrix Pi (product), K = `pic_km_uM`."""
        p = world.params
        pool = world.state.pool
        return (
            (
                pool["pi_c"],
                pool["pi_m"],
                1,
                p.pic_km_uM * molecules_per_uM(p.volume_cyt_L),
                p.pic_km_uM * molecules_per_uM(p.volume_m_L),
            ),
        )

    def fire(self, world: MembraneWorld, direction: int) -> bool:
        """One symport forward (Pi in) or backward (Pi out)."""
        return _proton_hop(self.x, world, _PI.times(direction), "pi_symport", {"transport_h": direction})

    @classmethod
    def fire_many(
        cls, world: MembraneWorld, members: Sequence[MembraneSite], sites: np.ndarray, ranks: np.ndarray, direction: int
    ) -> None:
        """Many symports at once (`MembraneSite.fire_many`)."""
        _hop_many(cls, world, members, sites, direction, "pi_symport", {"transport_h": direction})


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
            d = dirs[i]
            _proton_hop(int(xs[i]), world, _HOP.times(d), "uncoupler", {"uncoupler_h": d})


class ATPDemand(mesa.Agent):
    """Cytosolic ATP consumers; `rate` is the maximal ATP hydrolysis per second."""

    def __init__(self, model: MembraneWorld) -> None:
        super().__init__(model)
        self.rate = 0.0

    def step_demand(self, world: MembraneWorld) -> None:
        """Hydrolyse cytosolic ATP for one step; one ``atp_demand`` trace row when any happened."""
        state = world.state
        pool = state.pool
        if self.rate <= 0 or pool["atp_c"] < 1:
            return
        v = self.rate * pool["atp_c"] / (pool["atp_c"] + world.params.demand_km)
        dg = state.dG(_HYDROLYSIS)
        rng = world.rng
        nf = int(rng.poisson(v * world.dt))
        nb = int(rng.poisson(v * math.exp(dg / world.kT) * world.dt)) if dg / world.kT > -700 else 0
        net = max(-pool["adp_c"], min(nf - nb, pool["atp_c"]), -pool["pi_c"])
        if net == 0:
            return
        heat = state.book(_HYDROLYSIS, net, _CONSUMED, net)
        world.moves.emit("atp_demand", entity_id=self.unique_id, value=float(net), unit="ATP", energy_J=heat)
