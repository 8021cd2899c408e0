"""Observables, the conservation ledger and the perturbations of the membrane world.

Key names: `ObserveMixin`, `METRIC_UNITS`, `REDOX_FRACTIONS`, `redox_fractions`.

`ObserveMixin` is mixed into `world.membrane.MembraneWorld`; it reads the world's counts and counters.

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
from typing import Any

import numpy as np

from world.constants import E_CHARGE, LN10, N_A
from world.membrane_geometry import BOUND, N_SIDE, P_SIDE
from world.membrane_params import E0_V
from world.thermo import delta_psi_mV, dg_atp_J, ph_dG_J, ph_from_count, pmf_mV

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


def _nonneg(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}(={value!r}) must be a finite number >= 0")
    return float(value)


class ObserveMixin:
    """Observables, ledger, sampling and perturbations (see the module docstring)."""

    def _init_observe(self) -> None:
        w: Any = self
        self._h0 = int(w.lattice.counts[N_SIDE] + w.lattice.counts[P_SIDE] + w.lattice.counts[BOUND])
        self._e0 = self.electrons_on_carriers()
        self._adenine0 = self._atp_total() + self._adp_total()
        self._atp_pi0 = self._atp_total() + w.pool["pi_m"] + w.pool["pi_c"]
        self._last = self.snapshot()

    # ---------------------------------------------------------------- state
    @property
    def delta_psi_mV(self) -> float:
        """Membrane potential (mV) from the net charge moved and the capacitance."""
        w: Any = self
        return delta_psi_mV(w.charge, w.params.capacitance_F)

    @property
    def ph_n(self) -> float:
        """Matrix pH from the N-side proton count and buffer."""
        w: Any = self
        p = w.params
        return ph_from_count(int(w.lattice.counts[N_SIDE]), p.protons_n, p.ph_n0, p.buffer_n)

    @property
    def ph_p(self) -> float:
        """Intermembrane-space pH from the P-side proton count and buffer."""
        w: Any = self
        p = w.params
        return ph_from_count(int(w.lattice.counts[P_SIDE]), p.protons_p, p.ph_p0, p.buffer_p)

    @property
    def delta_ph(self) -> float:
        """ΔpH = pH_P − pH_N (negative when energised)."""
        return self.ph_p - self.ph_n

    @property
    def pmf_mV(self) -> float:
        """Proton-motive force Δp (mV)."""
        w: Any = self
        return pmf_mV(self.delta_psi_mV, self.ph_p, self.ph_n, w.params.temperature_K)

    def dg_atp_kJ_per_mol(self, compartment: str = "matrix") -> float:
        """ΔG of ATP synthesis (kJ/mol) in ``"matrix"`` or ``"cytosol"`` from the current counts."""
        w: Any = self
        p = w.params
        if compartment not in ("matrix", "cytosol"):
            raise ValueError(f"compartment(={compartment!r}) must be 'matrix' or 'cytosol'")
        sfx, vol = ("_m", p.volume_m_L) if compartment == "matrix" else ("_c", p.volume_cyt_L)
        pool = w.pool
        if min(pool["adp" + sfx], pool["pi" + sfx]) < 1:
            return math.inf
        dg = dg_atp_J(pool["atp" + sfx], pool["adp" + sfx], pool["pi" + sfx], vol, w.mu0["atp_m"], w.kT)
        return dg * N_A / 1e3

    def redox_potentials_mV(self) -> dict[str, float]:
        """Nernst potentials (mV) of the carrier couples from their counts (NAD, fumarate, Q, cyt c, O₂)."""
        w: Any = self
        pool = w.pool
        rt = 1e3 * w.kT / E_CHARGE

        def nernst(e0: float, ox: int, red: int, n: int) -> float:
            return 1e3 * e0 + rt / n * math.log(max(ox, 0.5) / max(red, 0.5))

        return {
            "nad": nernst(E0_V["nad"], pool["nad"], pool["nadh"], 2),
            "fum": nernst(E0_V["fum"], pool["fum"], pool["succ"], 2),
            "q": nernst(E0_V["q"], pool["q"], pool["qh2"], 2),
            "cytc": nernst(E0_V["cytc"], pool["cox"], pool["cred"], 1),
            "o2": -1e3 * w.g_o2_half / (2 * E_CHARGE),
        }

    def redox_drops_mV(self) -> dict[str, float]:
        """Redox drop ΔE (mV) across each complex from its carriers' states: I, II, III, IV."""
        e = self.redox_potentials_mV()
        return {"I": e["q"] - e["nad"], "II": e["q"] - e["fum"], "III": e["cytc"] - e["q"], "IV": e["o2"] - e["cytc"]}

    def electrons_on_carriers(self) -> int:
        """Electrons held by QH₂ (2 each), reduced cytochrome c (1) and complex IV intermediates."""
        w: Any = self
        civ = sum(int(s.bound.size) for cls, ms in w.groups if cls.number == 4 for s in ms)
        return 2 * w.pool["qh2"] + w.pool["cred"] + civ

    def _atp_total(self) -> int:
        w: Any = self
        return w.pool["atp_m"] + w.pool["atp_c"]

    def _adp_total(self) -> int:
        w: Any = self
        return w.pool["adp_m"] + w.pool["adp_c"]

    def stored_pmf_state_J(self) -> float:
        """Free energy stored in Δp now, relative to t = 0, from the state alone (capacitor + pH)."""
        w: Any = self
        p = w.params
        q = w.charge * E_CHARGE
        q0 = w.charge0 * E_CHARGE
        cnt = w.lattice.counts
        return (
            (q * q - q0 * q0) / (2 * p.capacitance_F)
            + ph_dG_J(p.protons_n, int(cnt[N_SIDE]) - p.protons_n, p.protons_n, p.ph_n0, p.buffer_n, w.kT)
            + ph_dG_J(p.protons_p, int(cnt[P_SIDE]) - p.protons_p, p.protons_p, p.ph_p0, p.buffer_p, w.kT)
        )

    def ledger(self) -> dict[str, float]:
        """Conserved quantities and both sides of every conservation law (see docs/membrane.md)."""
        w: Any = self
        c = w.counters
        cnt = w.lattice.counts
        civ = sum(int(s.bound.size) for cls, ms in w.groups if cls.number == 4 for s in ms)
        return {
            "h_free_n": int(cnt[N_SIDE]),
            "h_free_p": int(cnt[P_SIDE]),
            "h_bound": int(cnt[BOUND]),
            "h_bound_expected": 2 * w.pool["qh2"] + civ,
            "h_total": int(cnt[N_SIDE] + cnt[P_SIDE] + cnt[BOUND]),
            "h_expected": self._h0 + c["h_produced"] - c["h_consumed"],
            "electrons_donated": 2 * (c["nadh_oxidised"] + c["succinate_oxidised"]),
            "electrons_on_carriers": self.electrons_on_carriers(),
            "electrons_initial": self._e0,
            "o2_reduced": c["o2_consumed"],
            "atp_plus_adp": self._atp_total() + self._adp_total(),
            "atp_plus_adp_expected": self._adenine0 + c["adp_added"],
            "atp_plus_pi": self._atp_total() + w.pool["pi_m"] + w.pool["pi_c"],
            "atp_plus_pi_expected": self._atp_pi0,
            "charge_e": w.charge,
            "charge_initial_e": w.charge0,
            "charges_moved": c["charges_moved"],
            "other_charge_e": -(c["rotor_steps"] + c["leak_h"] + c["uncoupler_h"] + c["atp_exported"]),
            "psi_times_C_over_e": self.delta_psi_mV * 1e-3 * w.params.capacitance_F / E_CHARGE,
            "rotor_steps": c["rotor_steps"],
            "atp_made": c["atp_made"],
            "c_ring": w.params.c_ring,
            "redox_released_J": c["redox_released_J"],
            "external_J": c["external_J"],
            "stored_pmf_J": c["stored_pmf_J"],
            "stored_pmf_state_J": self.stored_pmf_state_J(),
            "stored_atp_J": c["stored_atp_J"],
            "heat_J": c["heat_J"],
            "atp_spent": c["atp_spent"],
            "atp_spent_J": c["atp_spent_J"],
        }

    # ---------------------------------------------------------------- sampling
    def snapshot(self) -> dict[str, float]:
        """Time and every counter now (for window averages between two snapshots)."""
        w: Any = self
        return {
            "t": float(w.run.now),
            **w.counters,
            "delta_psi_mV": self.delta_psi_mV,
            "pmf_mV": self.pmf_mV,
            "delta_pH": self.delta_ph,
        }

    @staticmethod
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

    def _refresh_layers(self) -> None:
        """Write the grid's property layers from the arrays (called at the end of every step): free protons per
        cell (one bincount), quinones per membrane cell, cytochrome c per P-band cell."""
        w: Any = self
        w.proton_layer.data[:] = w.lattice.occupancy()
        q = w.quinone_layer.data
        q[:] = 0
        q[:, w.lattice.membrane_row] = np.bincount(w.quinones.x, minlength=w.params.width)
        c = w.cytc_layer.data
        c[:] = 0
        np.add.at(c, (w.cytc.x, w.cytc.y), 1)

    def sample(self) -> None:
        """Record the observables of `METRIC_UNITS` into ``run.metrics`` (world ``"membrane"``)."""
        w: Any = self
        now = self.snapshot()
        rates = (
            self.window(self._last, now)
            if now["t"] > self._last["t"]
            else dict.fromkeys(("ocr", "atp_rate", "leak_rate"), 0.0)
        )
        self._last = now
        c = w.counters
        values = {
            "delta_psi_mV": self.delta_psi_mV,
            "delta_pH": self.delta_ph,
            "pmf_mV": self.pmf_mV,
            "atp": self._atp_total(),
            "adp": self._adp_total(),
            "ocr": rates["ocr"],
            "atp_rate": rates["atp_rate"],
            "leak_rate": rates["leak_rate"],
            "h_pumped": c["h_pumped"],
            "charges_moved": c["charges_moved"],
            "electrons_to_o2": c["electrons_to_o2"],
            "atp_made": c["atp_made"],
            "rotor_turns": c["rotor_steps"] / w.params.c_ring,
            "heat_J": c["heat_J"],
            **redox_fractions(w.pool),
        }
        w.run.metrics.record_many(now["t"], "membrane", {k: (float(v), METRIC_UNITS[k]) for k, v in values.items()})

    # ---------------------------------------------------------------- perturbations
    def add_adp(self, amount: int) -> None:
        """Add `amount` ADP molecules to the cytosol (an ADP pulse)."""
        if isinstance(amount, bool) or not isinstance(amount, int | np.integer) or amount < 0:
            raise ValueError(f"amount(={amount!r}) must be a non-negative integer number of ADP molecules")
        w: Any = self
        w.pool["adp_c"] += int(amount)
        w.counters["adp_added"] += int(amount)

    def set_atp_demand(self, rate: float) -> None:
        """Set the cytosolic ATP demand: maximal hydrolysis rate in ATP/s."""
        w: Any = self
        w.demand.rate = _nonneg("rate", rate)

    def spend_atp(self, n: int, consumer: str = "external") -> int:
        """Hydrolyse up to `n` cytosolic ATP to ADP + Pi now, for a consumer outside the membrane world.

        Takes ``min(n, ATP in the cytosol)``; counts it in ``counters["atp_spent"]`` and the free energy
        released, −ΔG (J), in ``counters["atp_spent_J"]`` and in ``heat_J`` (work done on the consumer, which
        dissipates it), so ATP + ADP, ATP + Pi and the energy ledger still balance. Writes one ``atp_spent``
        trace row at once, stamped with the current time (``dst`` = `consumer`, value = ATP, energy_J = −ΔG).

        Returns:
            The number of ATP hydrolysed.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValueError(f"n(={n!r}) must be a non-negative integer number of ATP molecules")
        w: Any = self
        n = min(int(n), w.pool["atp_c"])
        if n == 0:
            return 0
        chem = (("atp_c", -n), ("adp_c", n), ("pi_c", n))
        heat = w.account(w.event_dG(0, 0, 0, chem, 0))
        for m, d in chem:
            w.pool[m] += d
        w.counters["atp_spent"] += n
        w.counters["atp_spent_J"] += heat
        w.t = float(w.run.now)
        w.emit("atp_spent", src="cytosol", dst=consumer, value=float(n), unit="ATP", energy_J=heat)
        w._flush_rows()
        return n

    def set_uncoupler(self, concentration: float) -> None:
        """Set the protonophore concentration (µM); 0 washes it out."""
        w: Any = self
        w.uncoupler.concentration = _nonneg("concentration", concentration)

    def add_inhibitor(self, name: str, dose: float = 1.0) -> None:
        """Add an inhibitor of `world.membrane.INHIBITORS` (oligomycin: synthase, rotenone: I, antimycin_a: III,
        cyanide: IV) at `dose`, the fraction of a full block (1, the default, blocks its targets completely).
        Doses do not wash out: a second call keeps the larger dose. A partial block scales both directions of
        the targets' moves by the unblocked share, so detailed balance is untouched."""
        from world.membrane import INHIBITORS

        if name not in INHIBITORS:
            raise ValueError(f"inhibitor(={name!r}) must be one of: {', '.join(INHIBITORS)}")
        if not (isinstance(dose, int | float) and math.isfinite(dose) and 0.0 <= dose <= 1.0):
            raise ValueError(f"dose(={dose!r}) must be a number between 0 and 1")
        w: Any = self
        w.inhibitors[name] = max(float(dose), w.inhibitors.get(name, 0.0))

    def add_uncoupler(self, concentration: float) -> None:
        """Add protonophore (µM) to the membrane."""
        w: Any = self
        w.uncoupler.concentration += _nonneg("concentration", concentration)

    def set_leak(self, rate: float) -> None:
        """Set the basal leak rate constant k0 per leak site (1/s)."""
        w: Any = self
        w.params = type(w.params)(**{**w.params.__dict__, "k_leak": _nonneg("rate", rate)})

    def set_substrate(self, kind: str, supply_rate: float, exclusive: bool = True) -> None:
        """Supply ``"nadh"`` or ``"succinate"`` at `supply_rate` molecules/s; `exclusive` stops the other."""
        if kind not in ("nadh", "succinate"):
            raise ValueError(f"substrate(={kind!r}) must be 'nadh' or 'succinate'")
        rate = _nonneg("supply_rate", supply_rate)
        w: Any = self
        if kind == "nadh":
            w.nadh_supply = rate
            if exclusive:
                w.succinate_supply = 0.0
        else:
            w.succinate_supply = rate
            if exclusive:
                w.nadh_supply = 0.0

    @staticmethod
    def proton_ph_mV(delta_ph: float, T: float) -> float:
        """The ΔpH part of Δp in mV, −(2.303 RT/F)·ΔpH (positive when energised)."""
        return -LN10 * 8.314462618 * T / 96485.33212 * 1e3 * delta_ph
