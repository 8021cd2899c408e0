"""The chemistry state of the membrane world: the only writer of pools, charge and counters.

Key names: `ChemState`, `Change`, `COUNTER_NAMES`, `REDOX_SPECIES`.

Every move of the world — a batch of complex turnovers, rotor steps, leak hops, supply, demand, an external
``spend_atp`` — is described by a `Change` (per-event arrays: charges moved N → P, free-proton changes on each side,
molecule changes, half O₂ reduced; plus counter increments) and applied with `ChemState.apply`. `apply` books the
exact free-energy change of every event **in the order given**, as a telescoping difference of state functions
(capacitor ½Q²e²/C, quadratic pH free energy of each side, ``n·μ° + kT[lnΓ(n+1) − n·ln(N_A·V)]`` per species),
so the heats of a batch sum exactly to the change of the stored free energy, and returns each event's heat
(−ΔG, J). Free-proton *positions* live in `world.membrane.geometry.ProtonLattice`; `apply` reads the side counts
before the mover updates them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln

from world.constants import E_CHARGE, LN10, N_A
from world.membrane.geometry import N_SIDE, P_SIDE
from world.membrane.params import DG0_ATP_J_PER_MOL, E0_V, O2_SATURATION_UM, MembraneParams
from world.thermo import count_dG_J, elec_dG_J, log_nav

SMALL_BATCH = 8
"""Batches of at most this many events are applied event by event in Python (`ChemState._apply_small`)."""
REDOX_SPECIES = frozenset({"nad", "nadh", "fum", "succ", "q", "qh2", "cox", "cred"})
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
    "turnovers_1",
    "turnovers_2",
    "turnovers_3",
    "turnovers_4",
    "int_dpsi",
    "int_pmf",
    "int_dph",
)


def _ints(a: np.ndarray | int, n: int) -> np.ndarray:
    if isinstance(a, np.ndarray) and a.shape == (n,):
        return a if a.dtype == np.int64 else a.astype(np.int64)
    return np.full(n, int(a), dtype=np.int64)


@dataclass
class Change:
    """A batch of `n` events in the order they happen (each array has one entry per event, or is a scalar).

    Attributes:
        n: number of events.
        dq: elementary charges moved N → P.
        dn_n, dn_p: change of the free-proton counts of each side.
        mols: species → count change.
        o2_halves: half O₂ molecules reduced to water (per 2 e⁻; the O₂ potential is held fixed).
        counters: counter name → total increment of the batch.
        external: the batch is substrate supply from outside the chain: the pH free energy of the protons it
            brings is booked as ``external_J`` (work done on the system) and stored; its molecule changes carry no
            booked energy (the donor's redox energy is booked when a complex oxidises it); no heat.
        heat_counter: a counter that also receives the batch's heat (``atp_spent_J`` for external spending).
    """

    n: int
    dq: np.ndarray | int = 0
    dn_n: np.ndarray | int = 0
    dn_p: np.ndarray | int = 0
    mols: dict[str, np.ndarray | int] = field(default_factory=dict)
    o2_halves: np.ndarray | int = 0
    counters: dict[str, float] = field(default_factory=dict)
    external: bool = False
    heat_counter: str | None = None


class ChemState:
    """Pools, membrane charge, counters and the free-energy functions of one world.

    Args:
        p: the world's parameters.
        kT: thermal energy (J).
        counts: the lattice's compartment counts (read, never written here).
    """

    def __init__(self, p: MembraneParams, kT: float, counts: np.ndarray) -> None:
        self.p = p
        self.kT = kT
        self.counts = counts
        self.cap = p.capacitance_F
        nadh = round(p.nad_total * p.nadh_fraction)
        succ = round(p.succ_total * p.succ_fraction)
        self.pool: dict[str, int] = {
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
        e = E_CHARGE
        self.mu0 = dict.fromkeys(self.pool, 0.0)
        self.mu0.update(
            nadh=-2 * e * E0_V["nad"],
            succ=-2 * e * E0_V["fum"],
            qh2=-2 * e * E0_V["q"],
            cred=-e * E0_V["cytc"],
            atp_m=DG0_ATP_J_PER_MOL / N_A,
            atp_c=DG0_ATP_J_PER_MOL / N_A,
        )
        self.lognav = dict.fromkeys(self.pool, 0.0)
        for m in ("atp_m", "adp_m", "pi_m"):
            self.lognav[m] = log_nav(p.volume_m_L)
        for m in ("atp_c", "adp_c", "pi_c"):
            self.lognav[m] = log_nav(p.volume_cyt_L)
        e_o2 = E0_V["o2"] + kT / (4 * e) * math.log(p.o2_uM / O2_SATURATION_UM)
        self.g_o2_half = -2 * e * e_o2
        # pH free energy of a side, G(d) = a·d + b·d² with d = n − n0 (the closed form of `thermo.ph_dG_J`)
        self.ph_a = (-LN10 * kT * (p.ph_n0 - 7.0), -LN10 * kT * (p.ph_p0 - 7.0))
        self.ph_b = (LN10 * kT / (2 * p.buffer_n), LN10 * kT / (2 * p.buffer_p))
        self.n0 = (p.protons_n, p.protons_p)
        self.charge = round(p.initial_delta_psi_mV * 1e-3 * p.capacitance_F / E_CHARGE)
        self.charge0 = self.charge
        self.counters: dict[str, float] = dict.fromkeys(COUNTER_NAMES, 0)

    # ------------------------------------------------------------------ one move, for rates
    def possible(self, dn_n: int, dn_p: int, mols: tuple[tuple[str, int], ...]) -> bool:
        """True if the counts allow a change of `dn_n`, `dn_p` free protons and the molecule changes."""
        cnt = self.counts
        if cnt[N_SIDE] + min(dn_n, 0) < 0 or cnt[P_SIDE] + min(dn_p, 0) < 0:
            return False
        return all(self.pool[m] + d >= 0 for m, d in mols)

    def event_dG(
        self, dq: int, dn_n: int, dn_p: int, mols: tuple[tuple[str, int], ...], o2_halves: int
    ) -> tuple[float, float, float]:
        """Exact free-energy change (J) of one move from the current state, as (redox, proton-motive, ATP)."""
        cnt = self.counts
        pmf = elec_dG_J(self.charge, dq, self.cap) if dq else 0.0
        for side, dn in ((N_SIDE, dn_n), (P_SIDE, dn_p)):
            if dn:
                d = int(cnt[side]) - self.n0[side]
                pmf += self.ph_a[side] * dn + self.ph_b[side] * ((d + dn) ** 2 - d * d)
        redox = o2_halves * self.g_o2_half
        atp = 0.0
        for m, d in mols:
            g = count_dG_J(self.pool[m], d, self.mu0[m], self.kT, self.lognav[m])
            if m in REDOX_SPECIES:
                redox += g
            else:
                atp += g
        return redox, pmf, atp

    # ------------------------------------------------------------------ the one writer
    def apply(self, ch: Change) -> np.ndarray:
        """Apply a batch of events in order; book their exact free-energy changes; return each event's heat (J).

        Raises:
            ValueError: the batch would drive a pool below zero (a mover's gate failed).
        """
        n = ch.n
        if n == 0:
            return np.empty(0)
        if n <= SMALL_BATCH:
            return self._apply_small(ch)
        kT = self.kT
        redox = _ints(ch.o2_halves, n) * self.g_o2_half
        pmf = np.zeros(n)
        dq = _ints(ch.dq, n)
        if dq.any():
            q = (self.charge + np.concatenate(([0], np.cumsum(dq)))) * E_CHARGE
            g = q * q / (2.0 * self.cap)
            pmf += np.diff(g)
            self.charge += int(dq.sum())
        for side, dn_all in ((N_SIDE, ch.dn_n), (P_SIDE, ch.dn_p)):
            dn = _ints(dn_all, n)
            if dn.any():
                d = int(self.counts[side]) - self.n0[side] + np.concatenate(([0], np.cumsum(dn)))
                pmf += np.diff(self.ph_a[side] * d + self.ph_b[side] * d * d)
        atp = np.zeros(n)
        for m, dm_all in ch.mols.items():
            dm = _ints(dm_all, n)
            if not dm.any():
                continue
            c = self.pool[m] + np.concatenate(([0], np.cumsum(dm)))
            if c.min() < 0:
                raise ValueError(f"pool {m!r} would fall below zero (a gate of the move failed)")
            self.pool[m] = int(c[-1])
            if ch.external:
                continue
            g = c * self.mu0[m] + kT * (gammaln(c + 1.0) - c * self.lognav[m])
            if m in REDOX_SPECIES:
                redox += np.diff(g)
            else:
                atp += np.diff(g)
        heat = -(redox + pmf + atp)
        c = self.counters
        if ch.external:
            c["external_J"] += float(pmf.sum())
            heat = np.zeros(n)
        c["redox_released_J"] -= float(redox.sum())
        c["stored_pmf_J"] += float(pmf.sum())
        c["stored_atp_J"] += float(atp.sum())
        c["heat_J"] += float(heat.sum())
        for name, v in ch.counters.items():
            c[name] += v
        if ch.heat_counter is not None:
            c[ch.heat_counter] += float(heat.sum())
        return heat

    def _apply_small(self, ch: Change) -> np.ndarray:
        """`apply` event by event in Python (the same exact free energies; faster for a few events)."""
        n = ch.n
        lists = [_ints(a, n).tolist() for a in (ch.dq, ch.dn_n, ch.dn_p, ch.o2_halves)]
        mols = [(m, _ints(a, n).tolist()) for m, a in ch.mols.items()]
        counts = [int(self.counts[N_SIDE]), int(self.counts[P_SIDE])]
        heat = np.empty(n)
        tot = [0.0, 0.0, 0.0]
        for i in range(n):
            dq, dnn, dnp, o2 = lists[0][i], lists[1][i], lists[2][i], lists[3][i]
            pmf = elec_dG_J(self.charge, dq, self.cap) if dq else 0.0
            self.charge += dq
            for side, dn in ((N_SIDE, dnn), (P_SIDE, dnp)):
                if dn:
                    d = counts[side] - self.n0[side]
                    pmf += self.ph_a[side] * dn + self.ph_b[side] * ((d + dn) ** 2 - d * d)
                    counts[side] += dn
            redox, atp = o2 * self.g_o2_half, 0.0
            for m, dms in mols:
                dm = dms[i]
                if not dm:
                    continue
                if self.pool[m] + dm < 0:
                    raise ValueError(f"pool {m!r} would fall below zero (a gate of the move failed)")
                if not ch.external:
                    g = count_dG_J(self.pool[m], dm, self.mu0[m], self.kT, self.lognav[m])
                    if m in REDOX_SPECIES:
                        redox += g
                    else:
                        atp += g
                self.pool[m] += dm
            heat[i] = 0.0 if ch.external else -(redox + pmf + atp)
            tot[0] += redox
            tot[1] += pmf
            tot[2] += atp
        c = self.counters
        if ch.external:
            c["external_J"] += tot[1]
        c["redox_released_J"] -= tot[0]
        c["stored_pmf_J"] += tot[1]
        c["stored_atp_J"] += tot[2]
        c["heat_J"] += float(heat.sum())
        for name, v in ch.counters.items():
            c[name] += v
        if ch.heat_counter is not None:
            c[ch.heat_counter] += float(heat.sum())
        return heat

    def integrate(self, dt: float, dpsi_mV: float, pmf_mV: float, dph: float) -> None:
        """Add one step's Δψ, Δp and ΔpH times `dt` to their time integrals (window averages)."""
        c = self.counters
        c["int_dpsi"] += dpsi_mV * dt
        c["int_pmf"] += pmf_mV * dt
        c["int_dph"] += dph * dt
