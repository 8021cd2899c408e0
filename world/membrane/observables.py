"""Observables of the membrane world: pure functions of its state, the conservation ledger, window averages.

Key names: `METRIC_UNITS`, `delta_psi_mV`, `ph_n`, `ph_p`, `pmf_mV`, `dg_atp_kJ_per_mol`, `redox_potentials_mV`,
`electrons_on_carriers`, `stored_pmf_state_J`, `ledger`, `snapshot`, `window`, `metric_values`.

Each takes the world (`MembraneWorld`) and reads its `state` (pools, charge, counters), its `lattice` counts and
its site groups; none changes anything. Metrics recorded by `MembraneWorld.sample()` (``run.metrics``, world
``"membrane"``); rates are averages over the window since the previous sample, counters are cumulative net values:

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
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from world.constants import E_CHARGE, N_A
from world.membrane.geometry import BOUND, N_SIDE, P_SIDE
from world.membrane.params import E0_V
from world.thermo import delta_psi_mV as _dpsi
from world.thermo import dg_atp_J, ph_dG_J, ph_from_count
from world.thermo import pmf_mV as _pmf

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
}


def delta_psi_mV(w: MembraneWorld) -> float:
    """Membrane potential (mV) from the net charge moved and the capacitance."""
    return _dpsi(w.state.charge, w.params.capacitance_F)


def ph_n(w: MembraneWorld) -> float:
    """Matrix pH from the N-side proton count and buffer."""
    p = w.params
    return ph_from_count(int(w.lattice.counts[N_SIDE]), p.protons_n, p.ph_n0, p.buffer_n)


def ph_p(w: MembraneWorld) -> float:
    """Intermembrane-space pH from the P-side proton count and buffer."""
    p = w.params
    return ph_from_count(int(w.lattice.counts[P_SIDE]), p.protons_p, p.ph_p0, p.buffer_p)


def pmf_mV(w: MembraneWorld) -> float:
    """Proton-motive force Δp (mV)."""
    return _pmf(delta_psi_mV(w), ph_p(w), ph_n(w), w.params.temperature_K)


def dg_atp_kJ_per_mol(w: MembraneWorld, compartment: str = "matrix") -> float:
    """ΔG of ATP synthesis (kJ/mol) in ``"matrix"`` or ``"cytosol"`` from the current counts."""
    p, pool = w.params, w.state.pool
    if compartment not in ("matrix", "cytosol"):
        raise ValueError(f"compartment(={compartment!r}) must be 'matrix' or 'cytosol'")
    sfx, vol = ("_m", p.volume_m_L) if compartment == "matrix" else ("_c", p.volume_cyt_L)
    if min(pool["adp" + sfx], pool["pi" + sfx]) < 1:
        return math.inf
    dg = dg_atp_J(pool["atp" + sfx], pool["adp" + sfx], pool["pi" + sfx], vol, w.state.mu0["atp_m"], w.kT)
    return dg * N_A / 1e3


def redox_potentials_mV(w: MembraneWorld) -> dict[str, float]:
    """Nernst potentials (mV) of the carrier couples from their counts (NAD, fumarate, Q, cyt c, O₂)."""
    pool = w.state.pool
    rt = 1e3 * w.kT / E_CHARGE

    def nernst(e0: float, ox: int, red: int, n: int) -> float:
        return 1e3 * e0 + rt / n * math.log(max(ox, 0.5) / max(red, 0.5))

    return {
        "nad": nernst(E0_V["nad"], pool["nad"], pool["nadh"], 2),
        "fum": nernst(E0_V["fum"], pool["fum"], pool["succ"], 2),
        "q": nernst(E0_V["q"], pool["q"], pool["qh2"], 2),
        "cytc": nernst(E0_V["cytc"], pool["cox"], pool["cred"], 1),
        "o2": -1e3 * w.state.g_o2_half / (2 * E_CHARGE),
    }


def redox_drops_mV(w: MembraneWorld) -> dict[str, float]:
    """Redox drop ΔE (mV) across each complex from its carriers' states: I, II, III, IV."""
    e = redox_potentials_mV(w)
    return {"I": e["q"] - e["nad"], "II": e["q"] - e["fum"], "III": e["cytc"] - e["q"], "IV": e["o2"] - e["cytc"]}


def civ_bound(w: MembraneWorld) -> int:
    """Proton equivalents (= electrons) held in complex IV's O₂ intermediates."""
    g = w.group("ComplexIV")
    return 0 if g is None else 2 * int(g.state["half"].sum())


def electrons_on_carriers(w: MembraneWorld) -> int:
    """Electrons held by QH₂ (2 each), reduced cytochrome c (1) and complex IV intermediates."""
    return 2 * w.state.pool["qh2"] + w.state.pool["cred"] + civ_bound(w)


def atp_total(w: MembraneWorld) -> int:
    """Matrix + cytosol ATP."""
    return w.state.pool["atp_m"] + w.state.pool["atp_c"]


def adp_total(w: MembraneWorld) -> int:
    """Matrix + cytosol ADP."""
    return w.state.pool["adp_m"] + w.state.pool["adp_c"]


def stored_pmf_state_J(w: MembraneWorld) -> float:
    """Free energy stored in Δp now, relative to t = 0, from the state alone (capacitor + pH)."""
    p, st = w.params, w.state
    q, q0 = st.charge * E_CHARGE, st.charge0 * E_CHARGE
    cnt = w.lattice.counts
    return (
        (q * q - q0 * q0) / (2 * p.capacitance_F)
        + ph_dG_J(p.protons_n, int(cnt[N_SIDE]) - p.protons_n, p.protons_n, p.ph_n0, p.buffer_n, w.kT)
        + ph_dG_J(p.protons_p, int(cnt[P_SIDE]) - p.protons_p, p.protons_p, p.ph_p0, p.buffer_p, w.kT)
    )


def ledger(w: MembraneWorld) -> dict[str, float]:
    """Conserved quantities and both sides of every conservation law (see docs/membrane.md)."""
    c, st, cnt, init = w.state.counters, w.state, w.lattice.counts, w.initial
    return {
        "h_free_n": int(cnt[N_SIDE]),
        "h_free_p": int(cnt[P_SIDE]),
        "h_bound": int(cnt[BOUND]),
        "h_bound_expected": 2 * st.pool["qh2"] + civ_bound(w),
        "h_total": int(cnt[N_SIDE] + cnt[P_SIDE] + cnt[BOUND]),
        "h_expected": init["h"] + c["h_produced"] - c["h_consumed"],
        "electrons_donated": 2 * (c["nadh_oxidised"] + c["succinate_oxidised"]),
        "electrons_on_carriers": electrons_on_carriers(w),
        "electrons_initial": init["e"],
        "o2_reduced": c["o2_consumed"],
        "atp_plus_adp": atp_total(w) + adp_total(w),
        "atp_plus_adp_expected": init["adenine"] + c["adp_added"],
        "atp_plus_pi": atp_total(w) + st.pool["pi_m"] + st.pool["pi_c"],
        "atp_plus_pi_expected": init["atp_pi"],
        "charge_e": st.charge,
        "charge_initial_e": st.charge0,
        "charges_moved": c["charges_moved"],
        "other_charge_e": -(c["rotor_steps"] + c["leak_h"] + c["uncoupler_h"] + c["atp_exported"]),
        "psi_times_C_over_e": delta_psi_mV(w) * 1e-3 * w.params.capacitance_F / E_CHARGE,
        "rotor_steps": c["rotor_steps"],
        "atp_made": c["atp_made"],
        "c_ring": w.params.c_ring,
        "redox_released_J": c["redox_released_J"],
        "external_J": c["external_J"],
        "stored_pmf_J": c["stored_pmf_J"],
        "stored_pmf_state_J": stored_pmf_state_J(w),
        "stored_atp_J": c["stored_atp_J"],
        "heat_J": c["heat_J"],
        "atp_spent": c["atp_spent"],
        "atp_spent_J": c["atp_spent_J"],
    }


def snapshot(w: MembraneWorld) -> dict[str, float]:
    """Time and every counter now (for window averages between two snapshots)."""
    return {
        "t": float(w.run.now),
        **w.state.counters,
        "delta_psi_mV": delta_psi_mV(w),
        "pmf_mV": pmf_mV(w),
        "delta_pH": ph_p(w) - ph_n(w),
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


def metric_values(w: MembraneWorld, now: dict[str, float], last: dict[str, float]) -> dict[str, float]:
    """The values of `METRIC_UNITS` at snapshot `now`, rates over the window since `last`."""
    rates = window(last, now) if now["t"] > last["t"] else dict.fromkeys(("ocr", "atp_rate", "leak_rate"), 0.0)
    c = w.state.counters
    return {
        "delta_psi_mV": now["delta_psi_mV"],
        "delta_pH": now["delta_pH"],
        "pmf_mV": now["pmf_mV"],
        "atp": atp_total(w),
        "adp": adp_total(w),
        "ocr": rates["ocr"],
        "atp_rate": rates["atp_rate"],
        "leak_rate": rates["leak_rate"],
        "h_pumped": c["h_pumped"],
        "charges_moved": c["charges_moved"],
        "electrons_to_o2": c["electrons_to_o2"],
        "atp_made": c["atp_made"],
        "rotor_turns": c["rotor_steps"] / w.params.c_ring,
        "heat_J": c["heat_J"],
    }
