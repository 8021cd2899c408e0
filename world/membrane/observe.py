"""Observables and the conservation ledger of the membrane world.

Key names: `METRIC_UNITS`, `REDOX_FRACTIONS`, `redox_fractions`, `delta_psi_mV`, `pmf_mV`, `Ledger`, `Sampler`.

Observables are functions of the chemistry state (`world.membrane.state.ChemState`: pools, charge, counters and
the lattice's proton counts); the ledger and snapshots also read the world's complexes and clock. They never
write. `MembraneWorld` exposes each as a property or method of the same name.

Metrics recorded by `sample()` (``run.metrics``, world ``"membrane"``); rates are averages over the window
since the previous sample, counters are cumulative net values since t = 0:

| metric | unit | meaning |
|---|---|---|
| delta_psi_mV | mV | Δψ = Q·e/C_m, P side positive |
| delta_pH | pH | ΔpH = pH_P − pH_N (negative when energised; the reference's sign) |
| pmf_mV | mV | Δp = Δψ − 61.5 mV·ΔpH |
| atp, adp | molecule | matrix + cytosol totals |
| ocr | O2/s | O₂ reduced by complex IV per second |
| atp_rate | ATP/s | net ATP made by the synthases per second |
| leak_rate | H+/s | net protons P → N through leak sites and uncoupler per second |
| h_pumped | H+ | protons released on P by complexes I, III, IV (4/4/2 per 2 e⁻) |
| charges_moved | e | charges moved N → P by the complexes (4/0/2/4 per 2 e⁻) |
| electrons_to_o2 | e | electrons delivered to O₂ |
| atp_made | ATP | net ATP made by the synthases |
| rotor_turns | turn | net c-ring turns (steps / n) |
| heat_J | J | heat dissipated, Σ −ΔG of every transition |
| nadh_reduced_fraction | fraction | NADH / (NADH + NAD⁺) in the matrix |
| qh2_fraction | fraction | QH₂ / (Q + QH₂), the membrane's quinone pool |
| cytc_reduced_fraction | fraction | reduced / all cytochrome c |

(O₂ is held at the parameter ``o2_uM``, never consumed from a pool, so there is no ``o2_uM`` metric.)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from world.constants import E_CHARGE, LN10, N_A
from world.membrane import kernels
from world.membrane.geometry import BOUND, N_SIDE, P_SIDE
from world.membrane.params import E0_V
from world.membrane.state import ChemState
from world.membrane.thermo import delta_psi_mV as _psi_mV
from world.membrane.thermo import dg_atp_J, ph_dG_J, ph_from_count
from world.membrane.thermo import pmf_mV as _pmf_mV

if TYPE_CHECKING:
    from world.membrane.model import MembraneWorld

METRIC_UNITS = {
    "delta_psi_mV": "mV",
    "delta_pH": "pH",
    "pmf_mV": "mV",
    "atp": "molecule",
    "adp": "molecule",
    "ocr": "O2/s",
    "atp_rate": "ATP/s",
    "leak_rate": "H+/s",
    "h_pumped": "H+",
    "charges_moved": "e",
    "electrons_to_o2": "e",
    "atp_made": "ATP",
    "rotor_turns": "turn",
    "heat_J": "J",
    "nadh_reduced_fraction": "fraction",
    "qh2_fraction": "fraction",
    "cytc_reduced_fraction": "fraction",
}
REDOX_FRACTIONS = {
    "nadh_reduced_fraction": ("nadh", "nad"),
    "qh2_fraction": ("qh2", "q"),
    "cytc_reduced_fraction": ("cred", "cox"),
}
"""Redox metric → (reduced pool, oxidised pool): the fraction is reduced / (reduced + oxidised)."""


def redox_fractions(pool: Any) -> dict[str, float]:
    """The `REDOX_FRACTIONS` of a pool mapping (NaN for an empty pool)."""
    out = {}
    for name, (red, ox) in REDOX_FRACTIONS.items():
        total = pool[red] + pool[ox]
        out[name] = pool[red] / total if total > 0 else math.nan
    return out


# ---------------------------------------------------------------- potentials
def delta_psi_mV(state: ChemState) -> float:
    """Membrane potential (mV) from the net charge moved and the capacitance."""
    return _psi_mV(state.charge, state.capacitance_F)


def ph_n(state: ChemState) -> float:
    """Matrix pH from the N-side free proton count and buffer."""
    p = state.params
    return ph_from_count(int(state.proton_counts[N_SIDE]), p.protons_n, p.ph_n0, p.buffer_n)


def ph_p(state: ChemState) -> float:
    """Intermembrane-space pH from the P-side free proton count and buffer."""
    p = state.params
    return ph_from_count(int(state.proton_counts[P_SIDE]), p.protons_p, p.ph_p0, p.buffer_p)


def delta_ph(state: ChemState) -> float:
    """ΔpH = pH_P − pH_N (negative when energised)."""
    return ph_p(state) - ph_n(state)


def pmf_mV(state: ChemState) -> float:
    """Proton-motive force Δp (mV)."""
    return _pmf_mV(delta_psi_mV(state), ph_p(state), ph_n(state), state.params.temperature_K)


def potentials(state: ChemState) -> tuple[float, float, float]:
    """(Δψ, Δp, ΔpH) as `delta_psi_mV`, `pmf_mV` and `delta_ph` give them, each pH read once."""
    dpsi, php, phn = delta_psi_mV(state), ph_p(state), ph_n(state)
    return dpsi, _pmf_mV(dpsi, php, phn, state.params.temperature_K), php - phn


def dg_atp_kJ_per_mol(state: ChemState, compartment: str = "matrix") -> float:
    """ΔG of ATP synthesis (kJ/mol) in ``"matrix"`` or ``"cytosol"`` from the current counts."""
    p = state.params
    if compartment not in ("matrix", "cytosol"):
        raise ValueError(f"compartment(={compartment!r}) must be 'matrix' or 'cytosol'")
    sfx, vol = ("_m", p.volume_m_L) if compartment == "matrix" else ("_c", p.volume_cyt_L)
    pool = state.pool
    if min(pool["adp" + sfx], pool["pi" + sfx]) < 1:
        return math.inf
    dg = dg_atp_J(pool["atp" + sfx], pool["adp" + sfx], pool["pi" + sfx], vol, state.atp_dg0_J(compartment), state.kT)
    return dg * N_A / 1e3


def redox_potentials_mV(state: ChemState) -> dict[str, float]:
    """Nernst potentials (mV) of the carrier couples from their counts (NAD, fumarate, Q, cyt c, O₂)."""
    pool = state.pool
    rt = 1e3 * state.kT / E_CHARGE

    def nernst(e0: float, ox: int, red: int, n: int) -> float:
        return 1e3 * e0 + rt / n * math.log(max(ox, 0.5) / max(red, 0.5))

    return {
        "nad": nernst(E0_V["nad"], pool["nad"], pool["nadh"], 2),
        "fum": nernst(E0_V["fum"], pool["fum"], pool["succ"], 2),
        "q": nernst(E0_V["q"], pool["q"], pool["qh2"], 2),
        "cytc": nernst(E0_V["cytc"], pool["cox"], pool["cred"], 1),
        "o2": -1e3 * state.g_o2_half / (2 * E_CHARGE),
    }


def redox_drops_mV(state: ChemState) -> dict[str, float]:
    """Redox drop ΔE (mV) across each complex from its carriers' states: I, II, III, IV."""
    e = redox_potentials_mV(state)
    return {"I": e["q"] - e["nad"], "II": e["q"] - e["fum"], "III": e["cytc"] - e["q"], "IV": e["o2"] - e["cytc"]}


def stored_pmf_state_J(state: ChemState) -> float:
    """Free energy stored in Δp now, relative to t = 0, from the state alone (capacitor + pH)."""
    p = state.params
    q = state.charge * E_CHARGE
    q0 = state.charge0 * E_CHARGE
    cnt = state.proton_counts
    return (
        (q * q - q0 * q0) / (2 * p.capacitance_F)
        + ph_dG_J(p.protons_n, int(cnt[N_SIDE]) - p.protons_n, p.protons_n, p.ph_n0, p.buffer_n, state.kT)
        + ph_dG_J(p.protons_p, int(cnt[P_SIDE]) - p.protons_p, p.protons_p, p.ph_p0, p.buffer_p, state.kT)
    )


def atp_total(state: ChemState) -> int:
    """ATP molecules in matrix and cytosol."""
    return state.pool["atp_m"] + state.pool["atp_c"]


def adp_total(state: ChemState) -> int:
    """ADP molecules in matrix and cytosol."""
    return state.pool["adp_m"] + state.pool["adp_c"]


def proton_ph_mV(delta_ph: float, T: float) -> float:
    """The ΔpH part of Δp in mV, −(2.303 RT/F)·ΔpH (positive when energised)."""
    return -LN10 * 8.314462618 * T / 96485.33212 * 1e3 * delta_ph


def move_dG_kJ_per_mol(world: MembraneWorld) -> dict[str, float]:
    """Free energy (kJ/mol) of one forward move of each site class in the world now, from the state alone:
    complexes I–IV per turnover (2 e⁻), the synthase per ATP made (n/3 c-subunit steps and one ATP, from its
    per-step ΔG, `ATPSynthase.rate_dG`, × n/3), transporters per move, leak sites per H⁺ (P → N). Negative runs
    forward; near 0 is near equilibrium. NaN for a move the counts do not allow now."""
    out = {}
    for cls, _ in world.groups:
        dg = cls.rate_dG(world, 1)
        scale = world.params.c_ring / 3 if cls.__name__ == "ATPSynthase" else 1.0
        out[cls.__name__] = math.nan if dg is None else dg * scale * N_A / 1e3
    return out


# ---------------------------------------------------------------- ledger
def bound_in_complex4(world: MembraneWorld) -> int:
    """Proton equivalents (= electrons) held in complex IV's O₂ intermediates."""
    return sum(int(s.bound.size) for cls, ms in world.groups if cls.number == 4 for s in ms)


def electrons_on_carriers(world: MembraneWorld) -> int:
    """Electrons held by QH₂ (2 each), reduced cytochrome c (1) and complex IV intermediates."""
    pool = world.state.pool
    return 2 * pool["qh2"] + pool["cred"] + bound_in_complex4(world)


class Ledger:
    """The conservation ledger of one world: the initial amounts (taken at construction) and `read`, both sides
    of every conservation law now (see docs/membrane.md)."""

    def __init__(self, world: MembraneWorld) -> None:
        s = world.state
        cnt = s.proton_counts
        self.h0 = int(cnt[N_SIDE] + cnt[P_SIDE] + cnt[BOUND])
        self.e0 = electrons_on_carriers(world)
        self.adenine0 = atp_total(s) + adp_total(s)
        self.atp_pi0 = atp_total(s) + s.pool["pi_m"] + s.pool["pi_c"]

    def read(self, world: MembraneWorld) -> dict[str, float]:
        """Conserved quantities and both sides of every conservation law now."""
        s = world.state
        c = s.counters
        cnt = s.proton_counts
        pool = s.pool
        return {
            "h_free_n": int(cnt[N_SIDE]),
            "h_free_p": int(cnt[P_SIDE]),
            "h_bound": int(cnt[BOUND]),
            "h_bound_expected": 2 * pool["qh2"] + bound_in_complex4(world),
            "h_total": int(cnt[N_SIDE] + cnt[P_SIDE] + cnt[BOUND]),
            "h_expected": self.h0 + c["h_produced"] - c["h_consumed"],
            "electrons_donated": 2 * (c["nadh_oxidised"] + c["succinate_oxidised"]),
            "electrons_on_carriers": electrons_on_carriers(world),
            "electrons_initial": self.e0,
            "o2_reduced": c["o2_consumed"],
            "atp_plus_adp": atp_total(s) + adp_total(s),
            "atp_plus_adp_expected": self.adenine0 + c["adp_added"],
            "atp_plus_pi": atp_total(s) + pool["pi_m"] + pool["pi_c"],
            "atp_plus_pi_expected": self.atp_pi0 + c["pi_added"],
            "charge_e": s.charge,
            "charge_initial_e": s.charge0,
            "charges_moved": c["charges_moved"],
            "other_charge_e": -(c["rotor_steps"] + c["leak_h"] + c["uncoupler_h"] + c["atp_exported"]),
            "psi_times_C_over_e": delta_psi_mV(s) * 1e-3 * s.params.capacitance_F / E_CHARGE,
            "rotor_steps": c["rotor_steps"],
            "atp_made": c["atp_made"],
            "c_ring": s.params.c_ring,
            "redox_released_J": c["redox_released_J"],
            "external_J": c["external_J"],
            "stored_pmf_J": c["stored_pmf_J"],
            "stored_pmf_state_J": stored_pmf_state_J(s),
            "stored_atp_J": c["stored_atp_J"],
            "heat_J": c["heat_J"],
            "atp_spent": c["atp_spent"],
            "atp_spent_J": c["atp_spent_J"],
        }


# ---------------------------------------------------------------- sampling
def snapshot(state: ChemState, t: float) -> dict[str, float]:
    """Time `t` and every counter now, with Δψ, Δp and ΔpH (for window averages between two snapshots)."""
    return {
        "t": float(t),
        **state.counters,
        "delta_psi_mV": delta_psi_mV(state),
        "pmf_mV": pmf_mV(state),
        "delta_pH": delta_ph(state),
    }


def window(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    """Averages over the window between snapshots `a` and `b`: rates per second and mean potentials."""
    dt = b["t"] - a["t"]
    if dt <= 0:
        raise ValueError(f"window length(={dt}) must be > 0")

    def rate(key: str) -> float:
        return (b[key] - a[key]) / dt

    return {
        "ocr": rate("o2_consumed"),
        "atp_rate": rate("atp_made"),
        "leak_rate": rate("leak_h") + rate("uncoupler_h"),
        "h_pumped_rate": rate("h_pumped"),
        "charges_rate": rate("charges_moved"),
        "electron_rate": rate("electrons_to_o2"),
        "atp_export_rate": rate("atp_exported"),
        "heat_W": rate("heat_J"),
        "delta_psi_mV": rate("int_dpsi"),
        "pmf_mV": rate("int_pmf"),
        "delta_pH": rate("int_dph"),
    }


def refresh_layers(world: MembraneWorld) -> None:
    """Write the grid's property layers from the arrays (called at the end of every step): free protons per
    cell (as `ProtonLattice.occupancy` counts them), quinones per membrane cell and cytochrome c per P-band cell,
    in one compiled pass (`world.membrane.kernels.count_layers`)."""
    lat = world.lattice
    kernels.count_layers(
        lat.comp,
        lat.x,
        lat.y,
        world.proton_layer.data,
        world.quinones.x,
        lat.membrane_row,
        world.quinone_layer.data,
        world.cytc.x,
        world.cytc.y,
        world.cytc_layer.data,
    )


class Sampler:
    """Records the observables of `METRIC_UNITS` into ``run.metrics`` (world ``"membrane"``); rates are averages
    over the window since the previous sample (the first sample's window starts at construction)."""

    def __init__(self, world: MembraneWorld) -> None:
        self.last = snapshot(world.state, world.run.now)

    def sample(self, world: MembraneWorld) -> None:
        """Record one row of metrics at the run's time."""
        s = world.state
        now = snapshot(s, world.run.now)
        rates = (
            window(self.last, now)
            if now["t"] > self.last["t"]
            else dict.fromkeys(("ocr", "atp_rate", "leak_rate"), 0.0)
        )
        self.last = now
        c = s.counters
        values = {
            "delta_psi_mV": now["delta_psi_mV"],
            "delta_pH": now["delta_pH"],
            "pmf_mV": now["pmf_mV"],
            "atp": atp_total(s),
            "adp": adp_total(s),
            "ocr": rates["ocr"],
            "atp_rate": rates["atp_rate"],
            "leak_rate": rates["leak_rate"],
            "h_pumped": c["h_pumped"],
            "charges_moved": c["charges_moved"],
            "electrons_to_o2": c["electrons_to_o2"],
            "atp_made": c["atp_made"],
            "rotor_turns": c["rotor_steps"] / s.params.c_ring,
            "heat_J": c["heat_J"],
            **redox_fractions(s.pool),
        }
        world.run.metrics.record_many(now["t"], "membrane", {k: (float(v), METRIC_UNITS[k]) for k, v in values.items()})
