"""The chemistry state of the membrane world: pools, charge and counters, and their only writer.

Key names: `ChemState`, `Change`, `Pools`, `COUNTER_NAMES`, `TURNOVERS`.

Every change of a pool, of the membrane's charge or of a counter goes through one `ChemState`: a move's
stoichiometry is a `Change` (declared once per site class, `MembraneSite.forward_change`), and
`ChemState.apply` books it — the exact free-energy change split into redox, proton-motive and nucleotide parts
(from the state before the move, including the free proton counts of the lattice), the new pools and charge, the
energy ledger and the move's counters — and returns the heat. The protons themselves live in the lattice
(`world.membrane.geometry.ProtonLattice`) and are moved by `world.membrane.moves.ProtonMoves`, which books its
counters here too (`count`). Readers get the state's dictionaries through read-only views
(`MembraneWorld.pool`, `MembraneWorld.counters`).

A batch of moves is booked as one change (`book`, the numbers of ``apply(change.times(s), …)``); a compiled
batched pass computes the same energy itself, before its moves, from the pools' numpy mirror (`Pools.array`),
the constants (`energy_constants`) and a table of CPython's ``math.lgamma`` values (`lgamma`), and books it here
afterwards (`booked`, then `add` for the matter).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from world.constants import E_CHARGE, ETC_CHARGES, LN10, N_A
from world.membrane.geometry import N_SIDE, P_SIDE
from world.membrane.params import (
    DG0_ATP_J_PER_MOL,
    E0_V,
    MembraneParams,
    nucleotide_mu0_J_per_mol,
    o2_standard_uM,
)
from world.membrane.thermo import elec_dG_J, kT_J, log_nav, ph_dG_J, ph_G_J

COUNTER_NAMES = (
    "h_pumped",
    "charges_moved",
    "electrons_to_o2",
    "o2_consumed",
    "atp_made",
    "rotor_steps",
    "leak_h",
    "uncoupler_h",
    "atp_exported",
    "transport_h",
    "atp_consumed",
    "atp_spent",
    "atp_spent_J",
    "nadh_oxidised",
    "succinate_oxidised",
    "nadh_supplied",
    "succinate_supplied",
    "h_produced",
    "h_consumed",
    "heat_J",
    "redox_released_J",
    "stored_pmf_J",
    "stored_atp_J",
    "external_J",
    "adp_added",
    "pi_added",
    "turnovers_1",
    "turnovers_2",
    "turnovers_3",
    "turnovers_4",
    "int_dpsi",
    "int_pmf",
    "int_dph",
)
"""The world's counters (cumulative net values since t = 0); docs/membrane.md says what each counts."""
_REDOX = frozenset({"nad", "nadh", "fum", "succ", "q", "qh2", "cox", "cred"})
Mols = tuple[tuple[str, int], ...]


class Change(NamedTuple):
    """The state change of one move: charges moved N → P, change of the free proton counts on each side,
    molecule count changes ``((pool name, Δn), ...)`` and half O₂ molecules reduced (per 2 e⁻)."""

    dq: int = 0
    dn_n: int = 0
    dn_p: int = 0
    mols: Mols = ()
    o2_halves: int = 0

    def times(self, s: int) -> Change:
        """This change done `s` times (−1: the backward move, which exactly undoes the forward one)."""
        if s == 1:
            return self
        return _times(self, s)


@functools.lru_cache(maxsize=1024)
def _times(change: Change, s: int) -> Change:
    """`Change.times` for s ≠ 1, remembered (a site class asks for its backward move at every step)."""
    return Change(
        s * change.dq,
        s * change.dn_n,
        s * change.dn_p,
        tuple((m, s * d) for m, d in change.mols),
        s * change.o2_halves,
    )


class Pools(dict):
    """The pools: molecules per name (a dict, read as one), every value mirrored in `array` (in `names` order)
    for the compiled rates and batched passes (`world.membrane.kernels`). A write by item or `update` keeps the
    mirror; `set` is the same write without the method lookup (`ChemState`'s own writes)."""

    def __init__(self, initial: Mapping[str, int]) -> None:
        super().__init__(initial)
        self.names = tuple(initial)
        self.index = {m: i for i, m in enumerate(self.names)}
        self.array = np.array([initial[m] for m in self.names], dtype=np.int64)

    def set(self, name: str, value: int) -> None:
        """``self[name] = value``."""
        dict.__setitem__(self, name, value)
        self.array[self.index[name]] = value

    def __setitem__(self, name: str, value: int) -> None:
        self.set(name, value)

    def update(self, *args: Any, **kwargs: int) -> None:  # type: ignore[override]
        """As `dict.update`, through `set`."""
        for name, value in dict(*args, **kwargs).items():
            self.set(name, value)

    def __reduce__(self) -> tuple:
        """Copied and pickled as built (a dict subclass would be refilled item by item before its mirror exists)."""
        return Pools, (dict(self),)

    def _fixed(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("the pools are fixed: set a count, do not add or remove a pool")

    __delitem__ = pop = popitem = clear = setdefault = _fixed  # type: ignore[assignment]


class ChemState:
    """Pools (molecules), the membrane's net charge (elementary charges moved N → P) and the counters, with the
    energy of a move computed from them and the lattice's free proton counts.

    Args:
        params: the world's parameters (initial pools, charge, pH, volumes, temperature, O₂).
        proton_counts: the lattice's live count array (free N, free P, bound, …), read for pH energies.
    """

    def __init__(self, params: MembraneParams, proton_counts: np.ndarray) -> None:
        p = params
        self.params = p
        self.proton_counts = proton_counts
        self.kT = kT_J(p.temperature_K)
        self.capacitance_F = p.capacitance_F
        # pH free energy of a side, G(d) = a·d + b·d² with d = n − n0 (the closed form of `thermo.ph_dG_J`)
        self._ph_a = (-LN10 * self.kT * (p.ph_n0 - 7.0), -LN10 * self.kT * (p.ph_p0 - 7.0))
        self._ph_b = (LN10 * self.kT / (2 * p.buffer_n), LN10 * self.kT / (2 * p.buffer_p))
        nadh = round(p.nad_total * p.nadh_fraction)
        succ = round(p.succ_total * p.succ_fraction)
        self.pool = Pools(
            {
                "nad": p.nad_total - nadh,
                "nadh": nadh,
                "fum": p.succ_total - succ,
                "succ": succ,
                "q": p.n_quinone,
                "qh2": 0,
                "cox": p.n_cytc,
                "cred": 0,
                "atp_m": p.atp_m,
                "adp_m": p.adp_m,
                "pi_m": p.pi_m,
                "atp_c": p.atp_c,
                "adp_c": p.adp_c,
                "pi_c": p.pi_c,
            }
        )
        """Molecules of each pool: NAD⁺/NADH, fumarate/succinate, Q/QH₂, cytochrome c ox/red, and ATP, ADP, Pi
        in the matrix (``_m``) and the cytosol (``_c``)."""
        e = E_CHARGE
        self.mu0 = dict.fromkeys(self.pool, 0.0)
        for sfx, ph in (("_m", p.atp_ph_m), ("_c", p.atp_ph_c)):
            if p.atp_standard == "compartment":
                mu = nucleotide_mu0_J_per_mol(ph, p.mg_free_mM, p.k_free_mM, p.temperature_K)
            else:
                mu = {"atp": DG0_ATP_J_PER_MOL, "adp": 0.0, "pi": 0.0}
            for m, v in mu.items():
                self.mu0[m + sfx] = v / N_A
        self.mu0.update(
            nadh=-2 * e * E0_V["nad"],
            succ=-2 * e * E0_V["fum"],
            qh2=-2 * e * E0_V["q"],
            cred=-e * E0_V["cytc"],
        )
        self.lognav = dict.fromkeys(self.pool, 0.0)
        for m in ("atp_m", "adp_m", "pi_m"):
            self.lognav[m] = log_nav(p.volume_m_L)
        for m in ("atp_c", "adp_c", "pi_c"):
            self.lognav[m] = log_nav(p.volume_cyt_L)
        e_o2 = E0_V["o2"] + self.kT / (4 * e) * math.log(p.o2_uM / o2_standard_uM(p.o2_standard, p.temperature_K))
        self.g_o2_half = -2 * e * e_o2
        """Free energy (J) of reducing half an O₂ at the world's O₂ level, per 2 e⁻ (O₂ is held constant)."""
        self._mol = {m: (self.mu0[m], self.lognav[m], m in _REDOX) for m in self.pool}
        """Per pool: (μ°, ln(N_A·V), redox couple?) — what `dG_parts` reads for each molecule a move changes."""
        self._n0 = (p.protons_n, p.protons_p)
        self._specs: dict[int, tuple] = {}
        self._shared: tuple | None = None
        self.lgamma = np.empty(0)
        """``lgamma[n] = math.lgamma(n + 1)`` for the counts met so far (`lgamma_upto`): the compiled rates take ln Γ
        from CPython's own function, so they give the numbers `dG_parts` gives."""
        self.lgamma_upto(2 * int(self.pool.array.max()) + 64)
        self.charge = round(p.initial_delta_psi_mV * 1e-3 * p.capacitance_F / E_CHARGE)
        """Net elementary charges moved N → P (Δψ = charge·e/C)."""
        self.charge0 = self.charge
        self.counters: dict[str, float] = dict.fromkeys(COUNTER_NAMES, 0)

    def energy_args(self, change: Change, s: int, s_mol: int | None = None) -> tuple:
        """What a compiled batched pass takes to book its energy (`world.membrane.kernels.pass_energy`): `change`
        done `s` times (its molecules `s_mol` times, default `s`), packed (`pack`), the pools, the charge, the
        constants (`energy_constants`) and the ln Γ table."""
        return (
            s,
            s if s_mol is None else s_mol,
            self.packed(change),
            self.pool.array,
            self.charge,
            *self.shared_args(),
        )

    def packed(self, change: Change) -> np.ndarray:
        """`pack` of `change`, remembered per change object (a site class's changes are constants)."""
        hit = self._specs.get(id(change))
        if hit is None or hit[0] is not change:
            hit = self._specs[id(change)] = (change, self.pack(change))
        return hit[1]

    def pack(self, change: Change) -> np.ndarray:
        """`change` as the compiled energy reads it (`world.membrane.kernels.change_parts`): ``[dq, dn_n, dn_p,
        o2_halves, k, k pool indices (`Pools.names` order), k counts]``."""
        index = self.pool.index
        mols = change.mols
        return np.array(
            [change.dq, change.dn_n, change.dn_p, change.o2_halves, len(mols)]
            + [index[m] for m, _ in mols]
            + [d for _, d in mols],
            dtype=np.int64,
        )

    def shared_args(self) -> tuple:
        """The compiled energy's constants (`energy_constants`) and the ln Γ table (rebuilt when the table
        grows)."""
        if self._shared is None or self._shared[-1] is not self.lgamma:
            self._shared = (self.energy_constants(), self.lgamma)
        return self._shared

    def grow_lgamma(self) -> None:
        """Extend the ln Γ table well past the largest pool (a compiled pass found it short)."""
        self.lgamma_upto(2 * int(self.pool.array.max()) + 4096)

    def booked(self, redox: float, pmf: float, atp: float) -> float:
        """Book the energy of a batch a compiled pass made (its `dG_parts`): the energy counters and the heat,
        as `book` does before it writes the matter (`add`). Returns the heat (J)."""
        c = self.counters
        c["redox_released_J"] -= redox
        c["stored_pmf_J"] += pmf
        c["stored_atp_J"] += atp
        heat = -(redox + pmf + atp)
        c["heat_J"] += heat
        return heat

    def lgamma_upto(self, n: int) -> None:
        """Extend `lgamma` to cover counts up to at least `n` (doubling)."""
        have = self.lgamma.size
        if n < have:
            return
        size = max(n + 1, 2 * have)
        self.lgamma = np.concatenate([self.lgamma, [math.lgamma(k + 1) for k in range(have, size)]])

    def energy_constants(self) -> np.ndarray:
        """The constants of `dG_parts` besides the pools, packed as the compiled energy reads them
        (`world.membrane.kernels.constant_parts`): capacitance, each side's pH coefficients a and b, ½O₂'s free
        energy, kT, each side's count at the initial pH; then per pool (`Pools.names` order) μ°, ln(N_A·V) and
        1.0 for a redox couple (0.0 else)."""
        names = self.pool.names
        head = [
            self.capacitance_F,
            self._ph_a[0],
            self._ph_b[0],
            self._ph_a[1],
            self._ph_b[1],
            self.g_o2_half,
            self.kT,
            self._n0[0],
            self._n0[1],
        ]
        mu0 = [self.mu0[m] for m in names]
        lognav = [self.lognav[m] for m in names]
        redox = [float(m in _REDOX) for m in names]
        return np.array(head + mu0 + lognav + redox)

    # ---------------------------------------------------------------- reading
    def atp_dg0_J(self, compartment: str) -> float:
        """ΔG°′ of ADP + Pi → ATP (J per molecule) in ``"matrix"`` or ``"cytosol"``: μ°ATP − μ°ADP − μ°Pi there
        (`MembraneParams.atp_standard`)."""
        sfx = {"matrix": "_m", "cytosol": "_c"}[compartment]
        return self.mu0["atp" + sfx] - self.mu0["adp" + sfx] - self.mu0["pi" + sfx]

    def possible(self, change: Change, s: int = 1) -> bool:
        """True if the counts allow `change` done `s` times (free protons on each side and every pool stay ≥ 0)."""
        cnt = self.proton_counts
        if cnt[N_SIDE] + min(s * change.dn_n, 0) < 0 or cnt[P_SIDE] + min(s * change.dn_p, 0) < 0:
            return False
        pool = self.pool
        for m, d in change.mols:  # noqa: SIM110 (a hot path: the loop beats all() over a generator)
            if pool[m] + s * d < 0:
                return False
        return True

    def dG_parts(self, change: Change, s: int = 1, book: bool = False) -> tuple[float, float, float]:
        """Exact free-energy change (J) of `change` done `s` times (``change.times(s)``) from the state now, split
        as (redox, proton-motive, adenine nucleotides): Nernst terms from the carrier counts and O₂, the
        capacitor's energy, each side's buffered pH energy, and log-count chemical potentials of the nucleotide
        pools (`count_dG_J`, written out here: every move of the world books through this). With `book` (for
        `book` only) each pool is also changed once its term is read (a change names each pool once)."""
        cnt = self.proton_counts
        dq, dn_n, dn_p, mols, o2_halves = change
        if s != 1:
            dq, dn_n, dn_p, o2_halves = s * dq, s * dn_n, s * dn_p, s * o2_halves
        pmf = elec_dG_J(self.charge, dq, self.capacitance_F) if dq else 0.0
        if dn_n:
            d = int(cnt[N_SIDE]) - self._n0[0]
            pmf += self._ph_a[0] * dn_n + self._ph_b[0] * ((d + dn_n) ** 2 - d * d)
        if dn_p:
            d = int(cnt[P_SIDE]) - self._n0[1]
            pmf += self._ph_a[1] * dn_p + self._ph_b[1] * ((d + dn_p) ** 2 - d * d)
        redox = o2_halves * self.g_o2_half
        atp = 0.0
        pool = self.pool
        kT = self.kT
        lgamma = math.lgamma
        mol = self._mol
        for m, d in mols:
            if not d:
                continue
            d *= s
            n = pool[m]
            mu0, lognav, is_redox = mol[m]
            g = d * mu0 + kT * (lgamma(n + d + 1) - lgamma(n + 1) - d * lognav)  # `count_dG_J`
            if is_redox:
                redox += g
            else:
                atp += g
            if book:
                pool.set(m, n + d)
        return redox, pmf, atp

    def dG(self, change: Change) -> float:
        """Total free-energy change (J) of `change` from the state now (the sum of `dG_parts`)."""
        return sum(self.dG_parts(change))

    # ---------------------------------------------------------------- writing
    def apply(self, change: Change, counts: Mapping[str, float] | None = None, energy: bool = True) -> float:
        """Book one move: its free-energy change from the state before it (`energy`; False for matter added
        from outside the world, which changes no energy account), then the charge, the pools and the counters
        in `counts`. Returns the heat, −ΔG (0 without `energy`). The caller has checked `possible`."""
        if not energy:
            self.add(change, 1, counts, 1)
            return 0.0
        return self.book(change, 1, counts, 1)

    def book(self, change: Change, s: int, counts: Mapping[str, float] | None, k: int) -> float:
        """`apply` of ``change.times(s)`` with every counter of `counts` times `k` (a batch of moves booked as one
        change), giving the same numbers without building either (the pools change in `dG_parts`' pass over
        them). Returns the heat (J)."""
        redox, pmf, atp = self.dG_parts(change, s, book=True)
        heat = self.booked(redox, pmf, atp)
        self.charge += change.dq * s
        if counts:
            c = self.counters
            for name, d in counts.items():
                c[name] += d * k
        return heat

    def add(self, change: Change, s: int, counts: Mapping[str, float] | None, k: int) -> None:
        """`apply` without energy of ``change.times(s)`` with every counter of `counts` times `k`: matter added
        from outside the world (or the bookkeeping half of `book`)."""
        self.charge += change.dq * s
        pool = self.pool
        arr, index = pool.array, pool.index
        for m, d in change.mols:  # `Pools.set`, written out (every batched pass books through here)
            v = pool[m] + d * s
            dict.__setitem__(pool, m, v)
            arr[index[m]] = v
        if counts:
            c = self.counters
            for name, d in counts.items():
                c[name] += d * k

    def count(self, name: str, d: float) -> None:
        """Add `d` to counter `name` (proton moves, integrals of the potentials)."""
        self.counters[name] += d

    def book_external_each(self, side: int, k: int) -> None:
        """`book_external` of `k` protons put into `side` one at a time (the i-th with ``ahead=i``), with the
        same numbers: each proton's pH free energy ``G(n + 1) − G(n)`` (`ph_G_J`, as `ph_dG_J` takes it), each G
        evaluated once."""
        p = self.params
        args = (p.protons_n, p.ph_n0, p.buffer_n) if side == N_SIDE else (p.protons_p, p.ph_p0, p.buffer_p)
        c = self.counters
        n = int(self.proton_counts[side])
        below = ph_G_J(n, *args, self.kT)
        for i in range(k):
            above = ph_G_J(n + i + 1, *args, self.kT)
            e = above - below
            c["external_J"] += e
            c["stored_pmf_J"] += e
            below = above

    def book_external(self, side: int, dk: int, ahead: int = 0) -> None:
        """Book the pH free energy of `dk` protons put into (or taken from) `side` by a process outside the
        world (the dehydrogenases): external work, stored in Δp. `ahead`: protons the caller will have put into
        the side before these, not yet in its count (a batch booked proton by proton before it is moved)."""
        p = self.params
        args = (p.protons_n, p.ph_n0, p.buffer_n) if side == N_SIDE else (p.protons_p, p.ph_p0, p.buffer_p)
        e = ph_dG_J(int(self.proton_counts[side]) + ahead, dk, *args, self.kT)
        self.counters["external_J"] += e
        self.counters["stored_pmf_J"] += e


def turnover_counts(number: int, direction: int) -> dict[str, float]:
    """The counters of one turnover of complex `number` in `direction`: turnovers, charges moved N → P and
    electrons delivered to O₂ (complex IV)."""
    out: dict[str, float] = {f"turnovers_{number}": direction, "charges_moved": ETC_CHARGES[number] * direction}
    if number == 4:
        out["electrons_to_o2"] = 2 * direction
    return out


TURNOVERS: Mapping[tuple[int, int], Mapping[str, float]] = {
    (number, d): MappingProxyType(turnover_counts(number, d)) for number in (1, 2, 3, 4) for d in (1, -1)
}
"""`turnover_counts` of every complex and direction, read-only (the batched moves book these every step)."""
