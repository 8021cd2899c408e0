"""Thermodynamics of the membrane world: potentials, free energies and detailed-balance rates.

Key names: `delta_psi_mV`, `ph_from_count`, `pmf_mV`, `elec_dG_J`, `ph_G_J`, `ph_dG_J`, `count_dG_J`,
`molecules_per_uM`, `dg_atp_J`, `fermi_rates`, `saturable_rates` (with `occupancy`), `barrier_rates`, `shifted_rates`,
`event_probabilities`.

Everything here is a pure function of counts (molecules, proton equivalents, elementary charges) and works in
joules per event (one molecule-scale transition), so `energy / kT` is dimensionless.

State functions (the free energy the world stores), each relative to the initial state:

* electrical: ``G_el(Q) = (Q e)² / (2 C)`` with Q the net elementary charges moved N → P and C the membrane
  capacitance (F). Δψ = Q e / C exactly, so ``Δψ·C = Q·e`` holds to the last bit of the count.
* pH: one proton agent is one exchangeable proton equivalent; a compartment's pH is linear in its count,
  ``pH = pH0 − (n − n0)/B`` with B proton equivalents per pH unit (buffer capacity × volume × N_A). The proton
  chemical potential is ``μ = −ln10·kT·(pH − 7)`` (reference pH 7, where the E°′ values are defined), so
  ``G_pH(n) = ∫μ dn`` is quadratic and moving protons has an exact free-energy change.
* molecules (nucleotides, redox carriers): ``G_i(n) = n μ°_i + kT [lnΓ(n + 1) − n ln(N_A V / 1 M)]``; the
  exact change for adding dn molecules uses lnΓ, so a forward move and the backward move that undoes it
  have free-energy changes of exactly opposite sign (microscopic detailed balance holds in the counts).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from world.constants import E_CHARGE, K_B, LN10, N_A


def kT_J(T: float) -> float:
    """Thermal energy k_B·T in joules."""
    return K_B * T


def delta_psi_mV(charge: float, capacitance_F: float) -> float:
    """Membrane potential (mV, P side positive) from net elementary charges moved N → P."""
    return 1e3 * charge * E_CHARGE / capacitance_F


def ph_from_count(n: float, n0: float, ph0: float, B: float) -> float:
    """pH of a compartment holding `n` proton equivalents (``n0`` at ``ph0``, ``B`` per pH unit)."""
    return ph0 - (n - n0) / B


def pmf_mV(dpsi_mV: float, ph_p: float, ph_n: float, T: float) -> float:
    """Proton-motive force Δp = Δψ − (2.303 RT/F)·ΔpH with ΔpH = pH_P − pH_N (mV, > 0 when energised)."""
    return dpsi_mV - 1e3 * LN10 * K_B * T / E_CHARGE * (ph_p - ph_n)


def elec_dG_J(charge: float, dq: float, capacitance_F: float) -> float:
    """Exact change of the capacitor's energy when `dq` elementary charges move N → P."""
    q0 = charge * E_CHARGE
    q1 = (charge + dq) * E_CHARGE
    return (q1 * q1 - q0 * q0) / (2.0 * capacitance_F)


def ph_G_J(n: float, n0: float, ph0: float, B: float, kT: float) -> float:
    """A compartment's proton free energy (J) holding `n` proton equivalents, relative to `n0` at `ph0` (B per
    pH unit): ``G_pH(n) = ∫μ dn`` (module docstring)."""
    d = n - n0
    return -LN10 * kT * ((ph0 - 7.0) * d - d * d / (2.0 * B))


def ph_dG_J(n: float, dn: float, n0: float, ph0: float, B: float, kT: float) -> float:
    """Exact change of a compartment's proton free energy when its count goes from `n` to `n + dn`."""
    return ph_G_J(n + dn, n0, ph0, B, kT) - ph_G_J(n, n0, ph0, B, kT)


def count_dG_J(n: int, dn: int, mu0_J: float, kT: float, log_nav: float = 0.0) -> float:
    """Exact free-energy change of a molecular species when its count goes from `n` to `n + dn`.

    Args:
        n: current count (>= 0); ``n + dn`` must be >= 0.
        dn: change of the count.
        mu0_J: standard chemical potential per molecule (J).
        kT: thermal energy (J).
        log_nav: ``ln(N_A · V / 1 M)`` for a species whose concentration matters (0 for redox couples,
            where the volume term cancels because oxidised + reduced is conserved).
    """
    if dn == 0:
        return 0.0
    return dn * mu0_J + kT * (math.lgamma(n + dn + 1) - math.lgamma(n + 1) - dn * log_nav)


def log_nav(volume_L: float) -> float:
    """``ln(N_A · V)`` for a volume in litres: molecules per 1 M concentration, logged."""
    return math.log(N_A * volume_L)


def molecules_per_uM(volume_L: float) -> float:
    """Molecules that make 1 µM in a volume in litres."""
    return 1e-6 * N_A * volume_L


def dg_atp_J(atp: int, adp: int, pi: int, volume_L: float, dg0_J: float, kT: float) -> float:
    """Free energy (J) to make one ATP from ADP + Pi in a compartment (exact count form of
    ΔG = ΔG°′ + RT ln([ATP]/([ADP][Pi])))."""
    lv = log_nav(volume_L)
    return count_dG_J(atp, 1, dg0_J, kT, lv) + count_dG_J(adp, -1, 0.0, kT, lv) + count_dG_J(pi, -1, 0.0, kT, lv)


def _sigmoid_neg(x: float) -> float:
    """1 / (1 + e^x), safe for large |x|."""
    if x >= 0:
        e = math.exp(-x)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(x))


def fermi_rates(k_max: float, dG_fwd_J: float | None, dG_bwd_J: float | None, kT: float) -> tuple[float, float]:
    """Saturating rates for an enzyme turnover: ``k = k_max / (1 + exp(ΔG/kT))`` per direction.

    For a move s → s′ with ΔG and its reverse s′ → s with −ΔG the ratio is exactly ``exp(−ΔG/kT)``
    (local detailed balance); the rate never exceeds `k_max` (the turnover number). A direction that is
    impossible (None) has rate 0.
    """
    kf = 0.0 if dG_fwd_J is None else k_max * _sigmoid_neg(dG_fwd_J / kT)
    kb = 0.0 if dG_bwd_J is None else k_max * _sigmoid_neg(dG_bwd_J / kT)
    return kf, kb


Couple = tuple[int, int, int, float] | tuple[int, int, int, float, float]
"""One binding site of an enzyme: (substrate count, product count, molecules per turnover ν, K in molecules),
or with two constants (…, K of the substrate, K of the product) when the site binds them with different
affinities (a transporter's face, e.g. ADP and ATP at the nucleotide translocase's cytosolic face)."""


def occupancy(couples: tuple[Couple, ...], forward: bool) -> tuple[float, float] | None:
    """(ln of the product-side over the substrate-side saturation, rate factor) for one direction's pair.

    For each couple the pair of states a move connects has a substrate-rich end (``n_s`` before the move)
    and a product-rich end (``n_p + ν`` after it); ``a = n_s/K_s``, ``b = (n_p + ν)/K_p`` and ``D = 1 + a + b``
    are the same whichever end the rate is computed from (from the product end the roles, and the two K's,
    swap). None when a substrate is short.
    """
    ln_ratio = 0.0
    factor = 1.0
    for couple in couples:
        n_sub, n_prod, nu, k_sub = couple[:4]
        k_prod = couple[4] if len(couple) == 5 else k_sub
        s, p, ks, kp = (n_sub, n_prod, k_sub, k_prod) if forward else (n_prod, n_sub, k_prod, k_sub)
        if s < nu:
            return None
        a = s / ks
        b = (p + nu) / kp
        ln_ratio += math.log(b / a)
        factor *= a / (1.0 + a + b)
    return ln_ratio, factor


def saturable_rates(
    k_max: float,
    dG_fwd_J: float | None,
    dG_bwd_J: float | None,
    kT: float,
    couples: tuple[Couple, ...],
    el_J: tuple[float, float] | None = None,
    couples_bwd: tuple[Couple, ...] | None = None,
) -> tuple[float, float]:
    """Mass-action rates that saturate and keep exact detailed balance (reversible Michaelis–Menten per couple).

    Each couple (e.g. QH₂/Q, c³⁺/c²⁺) is a binding site that holds the substrate or the product form,
    competitively: the forward rate is ``k_max · σ(ΔG′) · Π a/(1 + a + b)`` and the backward
    rate ``k_max · σ(−ΔG′) · Π b/(1 + a + b)``, where ``a``/``b`` are the substrate/product counts over their
    K at the two ends of the move (see `occupancy`) and ``ΔG′ = ΔG − kT·ln Π(b/a)`` is the part of the
    free-energy change not already carried by the occupancies (σ(x) = 1/(1 + eˣ)). Because a, b and D are the
    same from either end, ``k(A→B)/k(B→A) = exp(−ΔG/kT)`` exactly; the rate is first order in a scarce
    substrate, inhibited by its product and never exceeds `k_max` (reached only with saturating substrate, no
    product).

    With `el_J` (an electrogenic step: the electrical part of ΔG of the forward and of the backward move) the
    bound-state conversion is two factors, ``σ(ΔG_el/kT) · σ((ΔG′ − ΔG_el)/kT)``: charge crossing the field is
    a step of its own, so the rate rises with a favourable Δψ until that step saturates, falls steeply against
    it, and still k₊/k₋ = exp(−ΔG/kT) exactly (each σ-factor keeps its own ratio) and k ≤ `k_max`.

    Args:
        k_max: turnover number (1/s) at saturating substrates.
        dG_fwd_J, dG_bwd_J: exact free-energy change of the forward / backward move from the current state
            (None if the move is impossible now).
        kT: thermal energy (J).
        couples: ``(n_substrate, n_product, ν, K)`` or ``(…, K_substrate, K_product)`` per binding site,
            counts in the current state, forward direction's names.
        el_J: (forward, backward) electrical free-energy change (J) of an electrogenic move, or None.
        couples_bwd: the couples for the backward move when their K's depend on the move (e.g. on Δψ at the
            move's midpoint); None: `couples`.
    """
    rates = []
    for i, (dG, forward) in enumerate(((dG_fwd_J, True), (dG_bwd_J, False))):
        cs = couples if forward or couples_bwd is None else couples_bwd
        occ = None if dG is None else occupancy(cs, forward)
        if occ is None:
            rates.append(0.0)
            continue
        ln_ratio, factor = occ
        x = dG / kT - ln_ratio  # type: ignore[operator]
        if el_J is None:
            rates.append(k_max * _sigmoid_neg(x) * factor)
        else:
            y = el_J[i] / kT
            rates.append(k_max * _sigmoid_neg(y) * _sigmoid_neg(x - y) * factor)
    return rates[0], rates[1]


def shifted_rates(
    rate_law: str,
    k_max: float,
    dG_fwd_J: float | None,
    dG_bwd_J: float | None,
    shift_J: np.ndarray,
    kT: float,
    couples: tuple[Couple, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`fermi_rates`, `barrier_rates` or `saturable_rates` (with `couples`) for many sites at once: every site
    shares a class's ΔG of each direction but adds its own `shift_J` to the forward ΔG and subtracts it from the
    backward one (a local term such as the proton activity at its mouth), so ``k₊/k₋ = exp(−(ΔG + shift)/kT)``
    per site. With a zero shift each site gets exactly the scalar law's rates.

    Args:
        rate_law: ``"fermi"`` or ``"barrier"`` (ignored when `couples` is given: the saturable law).
        shift_J: per-site shift of the forward ΔG (J).
    """
    out = []
    for forward, dG, sign in ((True, dG_fwd_J, 1.0), (False, dG_bwd_J, -1.0)):
        occ = None if couples is None else occupancy(couples, forward)
        if dG is None or (couples is not None and occ is None):
            out.append(np.zeros(shift_J.shape))
            continue
        x = (dG + sign * shift_J) / kT
        if occ is not None:
            ln_ratio, factor = occ
            out.append(k_max * factor * expit(ln_ratio - x))
        elif rate_law == "barrier":
            out.append(k_max * np.exp(-0.5 * x))
        else:
            out.append(k_max * expit(-x))
    return out[0], out[1]


def barrier_rates(k0: float, dG_fwd_J: float | None, dG_bwd_J: float | None, kT: float) -> tuple[float, float]:
    """Symmetric-barrier (Eyring) rates for a single-ion hop: ``k = k0·exp(−ΔG/(2kT))`` per direction.

    Ratio ``exp(−ΔG/kT)``; the net flux ``2 k0 sinh(FΔp/2RT)`` grows faster than linearly with Δp, which is
    the non-ohmic proton leak of the reference.
    """
    kf = 0.0 if dG_fwd_J is None else k0 * math.exp(-0.5 * dG_fwd_J / kT)
    kb = 0.0 if dG_bwd_J is None else k0 * math.exp(-0.5 * dG_bwd_J / kT)
    return kf, kb


def event_probabilities(kf: float, kb: float, dt: float) -> tuple[float, float]:
    """Per-step probability of an event and of it being forward, for one site.

    ``p = 1 − exp(−(k₊ + k₋)·dt)`` and ``P(forward | event) = k₊ / (k₊ + k₋)``, so the forward and backward
    probabilities per step keep the exact ratio ``k₊/k₋`` at any dt.
    """
    k = kf + kb
    if k <= 0.0:
        return 0.0, 0.0
    return -math.expm1(-k * dt), kf / k


def poisson_pair(rng: np.random.Generator, kf: float, kb: float, dt: float) -> tuple[int, int]:
    """Forward and backward event counts in one step for a well-mixed population (Poisson, ratio k₊/k₋)."""
    return int(rng.poisson(kf * dt)), int(rng.poisson(kb * dt))
