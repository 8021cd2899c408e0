"""Parameters of the membrane world: geometry, composition, calibration, with validation.

Key names: `MembraneParams`, `E0_V`, `DG0_ATP_J_PER_MOL`, `atp_dg0_J_per_mol`, `o2_standard_uM`, `MAX_RATE_DT`,
`world_overrides`.

Every free parameter has a default chosen against the reference figures (docs/membrane.md has the
calibration table with sources). Units are in the field names. Invalid values raise `ValueError` naming the
value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from world.constants import C_RING_RANGE, LN10, N_A, T_DEFAULT, R
from world.membrane.diffusion import MAX_DOMAIN_CELLS

E0_V: dict[str, float] = {
    "nad": -0.320,  # NAD⁺/NADH, pH 7
    "fum": 0.031,  # fumarate/succinate
    "q": 0.045,  # ubiquinone/ubiquinol
    "cytc": 0.254,  # cytochrome c³⁺/c²⁺
    "o2": 0.816,  # ½O₂/H₂O at 1 atm O₂
}
"""Standard midpoint potentials E°′ (V, pH 7) of the carrier couples (Nicholls & Ferguson, Bioenergetics)."""
DG0_ATP_J_PER_MOL: float = 30.5e3
"""ΔG°′ of ADP + Pi → ATP (J/mol), the reference's figure (``atp_standard="uniform"``, both compartments)."""
ATP_STANDARDS: tuple[str, ...] = ("uniform", "compartment")
"""ΔG°′ of ATP synthesis: `DG0_ATP_J_PER_MOL` in both compartments, or each compartment's apparent ΔG°′ at its
own pH with Mg²⁺ and K⁺ bound (`atp_dg0_J_per_mol`; the default), see `MembraneParams`."""
DG0_ATP_SPECIES_J_PER_MOL: float = -4510.0
"""ΔG° (J/mol; 310.15 K, ionic strength ≈ 0.17 M, 1 M standard states) of the chemical reference reaction
ADP³⁻ + HPO₄²⁻ + H⁺ → ATP⁴⁻ + H₂O, as in the Beard lab's OXPHOS model (Bazil et al. 2016; Beard's QAMAS
book): the species' own free energy, before any pH, Mg²⁺ or K⁺ binding."""
ATP_BINDING_M: dict[str, tuple[float, float, float]] = {
    "atp": (2.757e-7, 8.430e-5, 9.809e-2),
    "adp": (4.106e-7, 7.149e-4, 1.319e-1),
    "pi": (2.308e-7, 2.815e-2, 3.803e-1),
}
"""Dissociation constants (M) of H⁺, Mg²⁺ and K⁺ from ATP⁴⁻, ADP³⁻ and HPO₄²⁻ (same conditions and source as
`DG0_ATP_SPECIES_J_PER_MOL`), for the binding polynomials P = 1 + [H⁺]/K_H + [Mg²⁺]/K_Mg + [K⁺]/K_K."""
KINETICS: tuple[str, ...] = ("mass_action", "fermi")
"""Rate laws of the complexes: saturable mass action (the default), or the substrate-blind Fermi law (the
default before the recalibration, docs/membrane.md "Acceptance")."""
SUPPLY_LAWS: tuple[str, ...] = ("saturating", "reversible")
"""NADH supply: irreversible and saturating in NAD⁺, or a reversible mass-action dehydrogenase (the default)."""
SITE_EVENTS: tuple[str, ...] = ("one", "poisson", "batch")
"""Moves per membrane site and step: at most one, Poisson many (τ-leaping) made one by one (the default), or
Poisson many made a class at a time (`world.membrane.batch`), see `MembraneParams`."""
MAX_RATE_DT: dict[str, float] = {"one": 0.5, "poisson": 2.0, "batch": 2.0}
"""Largest k·dt allowed for any turnover ceiling k in use, per `site_events` scheme (`MembraneParams.check_dt`).
Under ``"one"`` a site moves with probability 1 − exp(−k·dt) at most once a step, so k·dt must stay small. Under
the Poisson schemes a site may move several times a step; what dt still costs is the delay of the rate update,
and that is measured, not bounded by k·dt: the calibration candidate (docs/membrane.md, Acceptance) gives the
same states 4 and 3 at dt = 0.25, 0.5, 1 and 2 ms, its rotor's k·dt 0.26 to 2.08 (against 0.25 ms: Δψ within
1.2 mV, O₂ and ATP counts within 1.3 combined Poisson standard errors; seeds 1 and 2), so k·dt up to 2 is
allowed."""
TRANSPORT_LAWS: tuple[str, ...] = ("lumped", "ant_pic")
"""Nucleotide and phosphate transport: one lumped exchanger, or the adenine nucleotide translocase and the
phosphate carrier as two saturable carriers (the default), see `MembraneParams`."""
ANT_DELTA_D: float = 0.0167
ANT_DELTA_T: float = 0.0699
"""Δψ dependence of the translocase's cytosolic-face dissociation constants, ``K_D(Δψ) = K_D·exp(3·δ_D·FΔψ/RT)``
and ``K_T(Δψ) = K_T·exp(4·δ_T·FΔψ/RT)`` (Metelkin et al. 2006, as refitted in Bazil et al. 2016 and the Beard
lab's OXPHOS model): a charged membrane binds external ATP⁴⁻ more weakly than ADP³⁻."""
ANT_KM_MATRIX_MOLECULES: float = 1e-6
"""K of the translocase's matrix face in molecules: the face is saturated (matrix ATP and ADP, mM, enter only
through their ratio, as ``ADP_x + q·ATP_x`` in Metelkin 2006)."""
PROTON_ACCESS: tuple[str, ...] = ("bulk", "local")
"""Which protons a transporter sees: the whole side (default) or those at its mouth (`reach_nm`)."""
D_FREE_PROTON_UM2_S: float = 9.3e3
"""Diffusion coefficient of free H⁺ in water at 25 °C (µm²/s), the fast limit of `d_proton_um2_s`."""
OPTIONAL_NUMBERS: dict[str, str] = {
    "d_proton_um2_s": "the lazy lattice walk",
    "d_quinone_um2_s": "the lazy walk along the membrane",
    "d_cytc_um2_s": "the lazy lattice walk",
    "carrier_reach_nm": "carriers at any distance",
    "length_nm": "width × cell_nm",
    "n_band_nm": "n_rows × cell_nm",
    "p_band_nm": "p_rows × cell_nm",
    "crista_length_nm": "a flat membrane, no crista",
    "crista_lumen_nm": "two cells, the narrowest lumen the lattice makes",
}
"""Parameters that are a number or None, with what None means."""
GEOMETRY_NM: dict[str, str] = {"length_nm": "width", "n_band_nm": "n_rows", "p_band_nm": "p_rows"}
"""Each geometry length in nm → the cell count it sets (`MembraneParams`)."""
O2_SATURATION_UM: float = 1230.0
"""Dissolved O₂ in water under 1 atm O₂ (µM) at 25 °C (Henry's constant ≈ 1.3 mM/atm at 298 K), the standard
state of E°′(O₂). ``o2_standard="fixed"`` (the default before the recalibration) uses it at every
`temperature_K`, so at 310 K E(O₂) comes out 1.3 mV lower than a temperature-consistent value; ``"temperature"``
(the default) scales it by van 't Hoff (`o2_standard_uM`)."""
O2_STANDARDS: tuple[str, ...] = ("fixed", "temperature")
"""The O₂ standard state: `O2_SATURATION_UM` at any temperature, or its value at `temperature_K` (the default)."""
CHOICES: dict[str, tuple[str, ...]] = {
    "kinetics": KINETICS,
    "supply_law": SUPPLY_LAWS,
    "site_events": SITE_EVENTS,
    "atp_standard": ATP_STANDARDS,
    "o2_standard": O2_STANDARDS,
    "transport": TRANSPORT_LAWS,
    "proton_access": PROTON_ACCESS,
}
"""`MembraneParams` fields that name a choice, with the names allowed (checked in this order)."""
O2_VAN_T_HOFF_K: float = 1600.0
"""d ln H/d(1/T) of O₂'s Henry constant (K): Sander 2015 compiles 1 500–1 700 K; the middle is taken."""


def o2_standard_uM(standard: str, temperature_K: float) -> float:
    """The O₂ standard state of E°′(O₂) (µM, dissolved O₂ under 1 atm): `O2_SATURATION_UM` for ``"fixed"``,
    else scaled from 298.15 K to `temperature_K` by van 't Hoff (999 µM at 310.15 K)."""
    if standard == "fixed":
        return O2_SATURATION_UM
    return O2_SATURATION_UM * math.exp(O2_VAN_T_HOFF_K * (1.0 / temperature_K - 1.0 / 298.15))


def binding_polynomial(name: str, ph: float, mg_mM: float, k_mM: float) -> float:
    """P of ``"atp"``, ``"adp"`` or ``"pi"``: all forms of the reactant over its unbound species
    (`ATP_BINDING_M`) at `ph` and free Mg²⁺ and K⁺ (mM)."""
    kh, kmg, kk = ATP_BINDING_M[name]
    return 1.0 + 10.0**-ph / kh + mg_mM * 1e-3 / kmg + k_mM * 1e-3 / kk


def nucleotide_mu0_J_per_mol(ph: float, mg_mM: float, k_mM: float, temperature_K: float) -> dict[str, float]:
    """Standard chemical potentials (J/mol) of ATP, ADP and Pi, each the sum of its species, in a compartment at
    `ph` and free Mg²⁺ and K⁺ (mM), relative to the unbound species: −RT ln P for each, plus ΔG° of the
    reference reaction on ATP and the H⁺ that Pi brings to it (−RT ln 10·pH on Pi, as H₂PO₄⁻ = HPO₄²⁻ + H⁺).
    So μ°ATP − μ°ADP − μ°Pi is `atp_dg0_J_per_mol`, and a carrier moving one of them between compartments feels
    the difference of its own binding (and, for Pi, of its protonation) there."""
    rt = R * temperature_K
    p = {m: binding_polynomial(m, ph, mg_mM, k_mM) for m in ("atp", "adp", "pi")}
    return {
        "atp": DG0_ATP_SPECIES_J_PER_MOL - rt * math.log(p["atp"]),
        "adp": -rt * math.log(p["adp"]),
        "pi": -rt * math.log(p["pi"]) - rt * LN10 * ph,
    }


def atp_dg0_J_per_mol(ph: float, mg_mM: float, k_mM: float, temperature_K: float) -> float:
    """Apparent ΔG°′ (J/mol) of ADP + Pi → ATP, reactants as sums of species, at `ph`, free Mg²⁺ and K⁺ (mM):
    ``ΔG° − RT ln[H⁺] − RT ln(P_ATP / (P_ADP·P_Pi))`` (Alberty's transformed Gibbs energy; the chemical H⁺
    comes from a buffer at `ph`). 34.8 kJ/mol at pH 7.0, 1 mM Mg²⁺, 100 mM K⁺ and 310.15 K. Its slope is
    ``RT·ln 10·n_H`` per pH unit, n_H the protons the synthesis takes up on average (0.5–1 at pH 7–8). The
    constants are those of 310.15 K; at another `temperature_K` only RT changes."""
    mu = nucleotide_mu0_J_per_mol(ph, mg_mM, k_mM, temperature_K)
    return mu["atp"] - mu["adp"] - mu["pi"]


@dataclass(frozen=True)
class MembraneParams:
    """All parameters of one membrane world (keyword arguments of `MembraneWorld`).

    Geometry: a lattice `width` cells wide; rows ``0 … n_rows-1`` are the N band (matrix), one membrane row,
    then `p_rows` of P band (intermembrane space). A cell is a cube of `cell_nm`; the slab is `depth_nm` deep,
    so membrane area = width·cell·depth and band volumes = width·rows·cell²·depth. The same geometry in
    nanometres: `length_nm` (membrane length, width·cell), `n_band_nm` and `p_band_nm` (depth of each band,
    rows·cell). Give either the cell count or the length: a length sets its count (it must be a whole number,
    ≥ 2, of cells), a count left at its default is replaced, a count that disagrees is refused; afterwards both
    are filled in, so ``params.length_nm`` is always the membrane's length.

    Crista: `crista_length_nm` (None: a flat membrane) makes the membrane's first columns line a lamellar crista
    whose lumen is `crista_lumen_nm` wide (None: two cells). Its two faces are taken as mirror images, so the
    lattice holds one face and half the lumen: over those columns the P band is ``crista_lumen_nm / 2`` deep,
    closed above by the lumen's midplane (a reflecting wall, exact for the mirror-symmetric crista); the other
    columns are the boundary membrane facing the full P band, and the lumen opens into it at both ends (crista
    junctions as wide as the lumen). Sites, protons and cytochrome c keep to the open cells; the P side's pH and
    buffer stay those of the IMS and cytosol (`cytosol_volume_aL`). The crista's length must be whole cells,
    shorter than the membrane, and half its lumen whole cells, fewer than `p_rows`.

    Defaults: the recalibrated world of docs/membrane.md "Acceptance" (mass action, the reversible NADH supply,
    the translocase and phosphate carrier, Poisson moves, ATP's standard per compartment, O₂'s at the world's
    temperature); `world.testing.FERMI_STACK` names the values that were the defaults before it.

    Moves per step: `site_events` ``"one"`` lets each site make at most one move per step, with probability
    1 − exp(−k·dt), so a site's turnover is capped at (1 − e^{−k_max·dt})/dt (330/s for k_max = 400/s at
    dt = 1 ms) and results depend on dt; ``"poisson"`` draws Poisson(k·dt) moves per site and step from the
    step's rates (τ-leaping), so mean rates are k at any dt and what remains of dt is the delay of the rate update;
    ``"batch"`` draws from the same Poisson law (forward and backward apart) and makes all moves of a class and
    direction in one vectorised pass, under the conflict rule of `world.membrane.batch` (bulk proton access and
    carriers at any distance only).

    Space: `d_proton_um2_s` None keeps the lazy lattice walk (one hop of one cell per step with probability 4/5,
    D = cell²/(5·dt) ≈ 0.5 µm²/s at the defaults, so it depends on dt); a number makes free protons diffuse by
    the exact continuous-time walk with that coefficient (`world.membrane.diffusion`; 9.3·10³ µm²/s is free H⁺ in
    water, `D_FREE_PROTON_UM2_S`). `proton_access` ``"bulk"`` lets every transporter draw on its whole side
    (pH from side totals); ``"local"`` lets it take only the protons in the band row at its mouth within
    `reach_nm` (whole cells, ``floor(reach_nm / cell_nm)`` columns either side) and shifts each site's ΔG by the
    local proton activity, ``kT·ln(ρ_mouth/ρ_side)`` per proton taken from or put into a side.
    `surface_barrier_kT` (exact walk and local access only) makes each band's mouth row a membrane surface:
    hops between it and the bulk row behind it are slowed by exp(−barrier), both ways, while lateral hops along
    it keep their speed (surface-to-bulk release, Heberle et al. 1994; 0 is Mitchell's delocalized coupling).

    Carriers: `d_quinone_um2_s` (along the membrane) and `d_cytc_um2_s` (in the P band), None for the lazy walks
    (cell²/(3·dt) ≈ 0.83 and cell²/(5·dt) ≈ 0.5 µm²/s at the defaults), a number for the exact walk with that
    coefficient. `carrier_reach_nm` None lets a complex react with the nearest carrier in the right state at any
    distance; a number only with carriers within ``floor(reach/cell)`` cells (quinones: columns; cytochrome c:
    columns plus rows above the membrane), so carrier diffusion limits encounters.

    The patch holds far fewer enzymes per µm² than a real inner membrane, so the pools it exchanges with
    (nucleotides, buffer) have effective volumes (`matrix_volume_aL`, `cytosol_volume_aL`) scaled down by the
    same factor; then pool turnover times, ΔG_ATP and ΔpH come out at their physiological values.

    Transport: `transport` ``"lumped"`` is one exchanger (`n_exchanger` sites at `k_exchanger`) that exports
    ATP, imports ADP and Pi and lets one H⁺ in per move, with the Fermi law and no saturation. ``"ant_pic"``
    splits it into the carriers of the inner membrane: `n_ant` adenine nucleotide translocases (ATP⁴⁻ out,
    ADP³⁻ in: one charge, no proton; turnover ceiling `k_ant`; cytosolic ADP and ATP bound competitively with
    `ant_km_adp_uM` and `ant_km_atp_uM` at Δψ = 0, shifted by Δψ with `ANT_DELTA_D`/`ANT_DELTA_T`; the charge's
    crossing a step of its own, so the rate depends on Δψ) and `n_pi_carrier` phosphate carriers (Pi with one H⁺,
    no charge; ceiling `k_pi_carrier`; Pi bound on either face with `pic_km_uM`, total Pi). The cost of an
    exported ATP stays one charge (translocase) and one H⁺ (the Pi that follows), each exact per move.

    ATP's standard free energy: `atp_standard` ``"uniform"`` gives ADP + Pi → ATP the reference's ΔG°′ of
    30.5 kJ/mol in both compartments. ``"compartment"`` gives each compartment the apparent ΔG°′ of its own
    conditions (`atp_dg0_J_per_mol`): pH `atp_ph_m` in the matrix and `atp_ph_c` in the cytosol, free Mg²⁺
    `mg_free_mM` and K⁺ `k_free_mM` in both (38.8 and 35.7 kJ/mol at the defaults, 310.15 K). The pH values are
    fixed references, not the sides' live pH: the chemical H⁺ of the synthesis, and those that ATP, ADP and Pi
    bind, come from each compartment's buffer and are not booked as lattice protons. A transporter that moves
    ATP, ADP or Pi between compartments then sees the difference of the two compartments' binding, as the
    unbound species it carries would (`nucleotide_mu0_J_per_mol`: ATP⁴⁻, ADP³⁻, and Pi as H₂PO₄⁻, so the
    phosphate carrier carries the H⁺ the synthesis takes up).

    O₂: `o2_uM` is the dissolved O₂, held constant; `o2_standard` ``"fixed"`` takes E°′(O₂)'s standard state
    (1 atm O₂) as the 25 °C solubility at every temperature, ``"temperature"`` at `temperature_K`
    (`o2_standard_uM`).
    """

    width: int = 60
    n_rows: int = 20
    p_rows: int = 10
    cell_nm: float = 50.0
    depth_nm: float = 60.0
    length_nm: float | None = None
    n_band_nm: float | None = None
    p_band_nm: float | None = None
    crista_length_nm: float | None = None
    crista_lumen_nm: float | None = None
    capacitance_uF_cm2: float = 1.0
    initial_delta_psi_mV: float = 0.0
    temperature_K: float = T_DEFAULT
    # protons (agents; one agent = one exchangeable proton equivalent)
    protons_n: int = 5000
    protons_p: int = 2500
    reserve: int = 600
    d_proton_um2_s: float | None = None
    proton_access: str = "bulk"
    reach_nm: float = 50.0
    surface_barrier_kT: float = 0.0
    d_quinone_um2_s: float | None = None
    d_cytc_um2_s: float | None = None
    carrier_reach_nm: float | None = None
    ph_n0: float = 7.2
    ph_p0: float = 7.2
    buffer_n_mM_per_pH: float = 20.0
    buffer_p_mM_per_pH: float = 20.0
    matrix_volume_aL: float = 0.3
    cytosol_volume_aL: float = 3.0
    # complexes and transporters (counts of fixed membrane agents)
    n_complex1: int = 4
    n_complex2: int = 4
    n_complex3: int = 4
    n_complex4: int = 8
    n_synthase: int = 12
    n_exchanger: int = 6
    n_leak: int = 6
    n_ant: int = 54
    n_pi_carrier: int = 24
    c_ring: int = 8
    # turnover numbers / rate constants (1/s)
    k_complex1: float = 300.0
    k_complex2: float = 150.0
    k_complex3: float = 300.0
    k_complex4: float = 300.0
    k_rotor: float = 1040.0
    k_exchanger: float = 300.0
    k_ant: float = 500.0
    k_pi_carrier: float = 400.0
    k_leak: float = 0.3
    k_uncoupler_per_uM: float = 400.0
    # mass action of the complexes: K of each carrier couple, as a fraction of the couple's pool
    kinetics: str = "mass_action"
    site_events: str = "poisson"
    km_nad: float = 0.01
    km_succ: float = 0.01
    km_q: float = 0.1
    km_cytc: float = 0.1
    # carriers and pools (molecules)
    n_quinone: int = 40
    n_cytc: int = 30
    nad_total: int = 400
    nadh_fraction: float = 0.5
    succ_total: int = 400
    succ_fraction: float = 0.5
    o2_uM: float = 30.0
    atp_m: int = 300
    adp_m: int = 100
    pi_m: int = 1800
    atp_c: int = 9000
    adp_c: int = 90
    pi_c: int = 9000
    # substrate supply and demand
    nadh_supply: float = 400.0
    succinate_supply: float = 0.0
    supply_km_fraction: float = 0.1
    supply_law: str = "reversible"
    dh_ratio: float = 6.8385
    atp_demand: float = 0.0
    demand_km: int = 50
    # ATP's standard free energy (uniform, or each compartment's from its pH, Mg²⁺ and K⁺)
    atp_standard: str = "compartment"
    atp_ph_m: float = 7.8
    atp_ph_c: float = 7.2
    mg_free_mM: float = 1.0
    k_free_mM: float = 100.0
    o2_standard: str = "temperature"
    # nucleotide and phosphate transport
    transport: str = "ant_pic"
    ant_km_adp_uM: float = 38.89
    ant_km_atp_uM: float = 56.05
    pic_km_uM: float = 7500.0

    def __post_init__(self) -> None:
        lo, hi = C_RING_RANGE
        if not (isinstance(self.c_ring, int) and lo <= self.c_ring <= hi):
            raise ValueError(f"c_ring(={self.c_ring!r}) must be between {lo} and {hi}")
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}(={getattr(self, name)!r}) must be one of {', '.join(allowed)}")
        if self.site_events == "batch" and (self.proton_access != "bulk" or self.carrier_reach_nm is not None):
            raise ValueError(
                f"site_events(='batch') needs proton_access='bulk' and carrier_reach_nm=None (batched moves match "
                f"protons and carriers to sites by column, with no reach); got proton_access={self.proton_access!r}, "
                f"carrier_reach_nm={self.carrier_reach_nm!r}"
            )
        for name, none_means in OPTIONAL_NUMBERS.items():
            v = getattr(self, name)
            number = isinstance(v, int | float) and not isinstance(v, bool)
            if v is not None and not (number and math.isfinite(v) and v >= 0):
                raise ValueError(f"{name}(={v!r}) must be None ({none_means}) or a finite number >= 0")
        d = self.d_proton_um2_s
        if self.surface_barrier_kT > 0 and (d is None or self.proton_access != "local"):
            raise ValueError(
                f"surface_barrier_kT(={self.surface_barrier_kT}) needs d_proton_um2_s set and proton_access='local' "
                "(the barrier acts on the exact walk, and only local access reads the surface)"
            )
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in CHOICES or f.name in OPTIONAL_NUMBERS:
                continue
            if f.type in ("int", int):
                if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                    raise ValueError(f"{f.name}(={v!r}) must be a non-negative integer")
            elif f.name == "initial_delta_psi_mV":
                if not (isinstance(v, int | float) and math.isfinite(v) and abs(v) <= 400):
                    raise ValueError(f"{f.name}(={v!r}) must be a finite number between -400 and 400")
            elif not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise ValueError(f"{f.name}(={v!r}) must be a finite number >= 0")
        for name in ("width", "n_rows", "p_rows"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name}(={getattr(self, name)}) must be at least 2")
        for name in (
            "cell_nm",
            "depth_nm",
            "capacitance_uF_cm2",
            "temperature_K",
            "matrix_volume_aL",
            "cytosol_volume_aL",
            "buffer_n_mM_per_pH",
            "buffer_p_mM_per_pH",
            "o2_uM",
            "km_nad",
            "km_succ",
            "km_q",
            "km_cytc",
            "dh_ratio",
            "ant_km_adp_uM",
            "ant_km_atp_uM",
            "pic_km_uM",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}(={getattr(self, name)}) must be > 0")
        for name in ("nadh_fraction", "succ_fraction"):
            if getattr(self, name) > 1:
                raise ValueError(f"{name}(={getattr(self, name)}) must be between 0 and 1")
        for name in ("atp_ph_m", "atp_ph_c"):
            if not 5.0 <= getattr(self, name) <= 9.0:
                raise ValueError(f"{name}(={getattr(self, name)}) must be a pH between 5 and 9")
        self._resolve_geometry()

    def _resolve_geometry(self) -> None:
        """Set each cell count from its length in nm when one is given, then fill in every length (class
        docstring). Called last in `__post_init__`, once `cell_nm` is known to be a positive number."""
        defaults = {f.name: f.default for f in fields(self)}
        cell = self.cell_nm
        for phys, count in GEOMETRY_NM.items():
            v = getattr(self, phys)
            if v is not None:
                if v == 0:
                    raise ValueError(f"{phys}(={v!r}) must be > 0 (a whole number, at least 2, of {cell} nm cells)")
                cells = v / cell
                n = round(cells)
                if n < 2 or abs(cells - n) > 1e-6 * cells:
                    raise ValueError(
                        f"{phys}(={v!r}) must be a whole number, at least 2, of cells of cell_nm(={cell}) nm "
                        f"(it is {cells:.6g} cells)"
                    )
                given = getattr(self, count)
                if given not in (defaults[count], n):
                    raise ValueError(
                        f"{phys}(={v!r}) is {n} cells of {cell} nm but {count}(={given}); give one of the two"
                    )
                object.__setattr__(self, count, n)
            object.__setattr__(self, phys, getattr(self, count) * cell)
        self._resolve_crista()

    def _resolve_crista(self) -> None:
        """Check the crista's length and lumen against the lattice and fill in the lumen (class docstring)."""
        cell, length, lumen = self.cell_nm, self.crista_length_nm, self.crista_lumen_nm
        if length is None:
            if lumen is not None:
                raise ValueError(f"crista_lumen_nm(={lumen!r}) needs crista_length_nm (a crista to be the lumen of)")
            return
        cols = length / cell
        if not (1 <= round(cols) < self.width and abs(cols - round(cols)) <= 1e-6 * cols):
            raise ValueError(
                f"crista_length_nm(={length!r}) must be a whole number of cells of cell_nm(={cell}) nm, from one "
                f"cell to one fewer than the membrane's {self.width} (it is {cols:.6g} cells)"
            )
        if lumen is None:
            lumen = 2 * cell
            object.__setattr__(self, "crista_lumen_nm", lumen)
        rows = lumen / (2 * cell)
        if not (1 <= round(rows) < self.p_rows and abs(rows - round(rows)) <= 1e-6 * rows):
            raise ValueError(
                f"crista_lumen_nm(={lumen!r}) must be twice a whole number of cells of cell_nm(={cell}) nm, from "
                f"two cells to less than twice the P band's {self.p_rows} (half of it is {rows:.6g} cells)"
            )
        spaced = self.d_proton_um2_s is not None or self.d_cytc_um2_s is not None
        if spaced and self.p_band_cells > MAX_DOMAIN_CELLS:
            raise ValueError(
                f"crista_length_nm(={length!r}) leaves a P band of {self.p_band_cells} open cells, above the exact "
                f"walk's {MAX_DOMAIN_CELLS}; use larger cells (cell_nm) or a smaller lattice"
            )

    @property
    def crista(self) -> tuple[int, int] | None:
        """The crista's columns and the P rows open over them (None: a flat membrane)."""
        if self.crista_length_nm is None or self.crista_lumen_nm is None:
            return None
        return round(self.crista_length_nm / self.cell_nm), round(self.crista_lumen_nm / (2 * self.cell_nm))

    @property
    def p_band_cells(self) -> int:
        """Open cells of the P band (all of width × p_rows without a crista)."""
        c = self.crista
        return self.width * self.p_rows - (0 if c is None else c[0] * (self.p_rows - c[1]))

    def check_dt(self, dt: float) -> None:
        """Raise ValueError unless every turnover number k of the complexes, synthase and carriers in use has
        k·dt <= `MAX_RATE_DT` of the `site_events` scheme (0.5 for at most one move per step, 2 for Poisson
        moves)."""
        carriers = ("k_exchanger",) if self.transport == "lumped" else ("k_ant", "k_pi_carrier")
        bound = MAX_RATE_DT[self.site_events]
        for name in ("k_complex1", "k_complex2", "k_complex3", "k_complex4", "k_rotor", *carriers):
            if getattr(self, name) * dt > bound:
                raise ValueError(
                    f"{name}(={getattr(self, name)}) times dt(={dt}) must be <= {bound:g} under "
                    f"site_events={self.site_events!r}; use a smaller dt"
                    + ("" if self.site_events != "one" else " or Poisson moves (site_events='poisson' or 'batch')")
                )

    @property
    def n_sites(self) -> int:
        """Fixed membrane agents (complexes, synthases, exchangers, leak sites); more than `width` share cells."""
        return (
            self.n_complex1
            + self.n_complex2
            + self.n_complex3
            + self.n_complex4
            + self.n_synthase
            + self.n_exchanger
            + self.n_leak
            + (self.n_ant + self.n_pi_carrier - self.n_exchanger if self.transport == "ant_pic" else 0)
        )

    @property
    def area_m2(self) -> float:
        """Membrane area (m²)."""
        return self.width * self.cell_nm * 1e-9 * self.depth_nm * 1e-9

    @property
    def capacitance_F(self) -> float:
        """Membrane capacitance (F): 1 µF/cm² = 1e-2 F/m² times the area."""
        return self.capacitance_uF_cm2 * 1e-2 * self.area_m2

    @property
    def volume_n_L(self) -> float:
        """Matrix (N band) volume in litres."""
        return self.width * self.n_rows * (self.cell_nm * 1e-9) ** 2 * self.depth_nm * 1e-9 * 1e3

    @property
    def volume_p_L(self) -> float:
        """Intermembrane-space (P band) volume in litres (its open cells)."""
        return self.p_band_cells * (self.cell_nm * 1e-9) ** 2 * self.depth_nm * 1e-9 * 1e3

    @property
    def volume_m_L(self) -> float:
        """Effective matrix pool volume (L) for nucleotide concentrations and the matrix buffer."""
        return self.matrix_volume_aL * 1e-18

    @property
    def volume_cyt_L(self) -> float:
        """Effective volume (L) of the cytosolic nucleotides and of the P-side buffer (IMS + cytosol)."""
        return self.cytosol_volume_aL * 1e-18

    @property
    def buffer_n(self) -> float:
        """Matrix buffer: proton equivalents per pH unit (buffer capacity × effective matrix volume × N_A)."""
        return self.buffer_n_mM_per_pH * 1e-3 * self.volume_m_L * N_A

    @property
    def buffer_p(self) -> float:
        """P-side buffer (IMS in equilibrium with the cytosol through porins): proton equivalents per pH."""
        return self.buffer_p_mM_per_pH * 1e-3 * self.volume_cyt_L * N_A


EXTENSIVE: tuple[str, ...] = (
    "depth_nm",
    "protons_n",
    "protons_p",
    "reserve",
    "matrix_volume_aL",
    "cytosol_volume_aL",
    "n_complex1",
    "n_complex2",
    "n_complex3",
    "n_complex4",
    "n_synthase",
    "n_exchanger",
    "n_leak",
    "n_ant",
    "n_pi_carrier",
    "k_uncoupler_per_uM",
    "n_quinone",
    "n_cytc",
    "nad_total",
    "succ_total",
    "atp_m",
    "adp_m",
    "pi_m",
    "atp_c",
    "adp_c",
    "pi_c",
    "nadh_supply",
    "succinate_supply",
    "atp_demand",
    "demand_km",
)
"""The fields that grow with the size of the patch (`scaled`): the slab's depth (so the membrane area, its
capacitance and the band volumes), every count of sites, carriers, molecules and proton equivalents, the pool
volumes, and the rates and constants given per patch (supply, demand and its K in molecules, the uncoupler's
shuttling per µM). Every other field is intensive: geometry along the membrane and across it, potentials, pH,
concentrations, turnover numbers per site, K's as fractions or in µM, laws and switches."""


def scaled(f: int, **params: Any) -> dict[str, Any]:
    """`MembraneParams` keyword arguments for a patch `f` times as large as the one `params` describe: every
    `EXTENSIVE` field (the given value or its default) times `f`, every other field as given.

    The patch grows in depth, so its membrane keeps its length and cells, and every site class, carrier and
    pool grows in proportion: concentrations, potentials, turnover per site and every ratio stay what they
    were, while the number of events per second grows `f`-fold and the relative fluctuations shrink as
    1/√f. A scenario that sets an ATP demand or an uncoupler on the world must scale its rates the same way.
    Raises ValueError unless `f` is an integer ≥ 1.
    """
    if isinstance(f, bool) or not isinstance(f, int) or f < 1:
        raise ValueError(f"f(={f!r}) must be an integer >= 1 (the patch's size in default patches)")
    unknown = params.keys() - {fl.name for fl in fields(MembraneParams)}
    if unknown:
        raise ValueError(f"unknown MembraneParams field(s) {sorted(unknown)}")
    defaults = MembraneParams()
    out = dict(params)
    for name in EXTENSIVE:
        out[name] = params.get(name, getattr(defaults, name)) * f
    return out


def world_overrides(
    items: Sequence[str], taken: Collection[str], dt: float, fixed: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A scenario's ``world_params`` (``key=value`` strings) as `MembraneParams` keyword arguments.

    Each key must be a field of `MembraneParams` that the scenario does not set itself (`taken`: its own
    parameters and what its protocol controls), given once; the value is read as the field's type (``none``
    for an optional number). The whole set, together with the world arguments the scenario sets itself that
    constrain others (`fixed`, e.g. its ``site_events``), is then checked by building the parameters and by
    `check_dt` at the scenario's `dt`, so a clash between the two is refused before anything is written. Raises
    ValueError (one line naming the item and what is allowed).
    """
    types = {f.name: str(f.type) for f in fields(MembraneParams)}
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = (part.strip() for part in item.partition("="))
        if not sep or key not in types:
            allowed = ", ".join(k for k in types if k not in taken)
            raise ValueError(f"world_params item {item!r} must be key=value with key one of: {allowed}")
        if key in taken:
            raise ValueError(f"world_params {key}(={raw!r}) is set by this scenario itself (its own parameter or "
                             "its protocol)")  # fmt: skip
        if key in out:
            raise ValueError(f"world_params {key}(={raw!r}) is given twice")
        out[key] = _read_value(key, types[key], raw)
    try:
        MembraneParams(**{**(fixed or {}), **out}).check_dt(dt)
    except ValueError as exc:
        raise ValueError(f"world_params: {exc}") from None
    return out


def _read_value(key: str, typ: str, raw: str) -> Any:
    """`raw` as a value of field `key`, of annotated type `typ`: ``int``, ``float`` or ``str``, each optionally
    ``| None`` (then ``none`` reads as None)."""
    base = typ.removesuffix(" | None")
    if base not in ("int", "float", "str"):
        raise TypeError(f"MembraneParams.{key} has type {typ!r}, which world_params cannot read")
    if base != typ and raw.lower() == "none":
        return None
    if base == "str":
        return raw
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (base == "int" and not value.is_integer()):
        kind = "an integer" if base == "int" else "a finite number"
        raise ValueError(f"world_params {key}(={raw!r}) must be {kind}" + (" or none" if base != typ else ""))
    return int(value) if base == "int" else value


SMALL_WORLD: dict[str, int] = {
    "width": 24,
    "n_rows": 4,
    "p_rows": 4,
    "protons_n": 2500,
    "protons_p": 1200,
    "reserve": 100,
    "n_complex1": 2,
    "n_complex2": 2,
    "n_complex3": 2,
    "n_complex4": 3,
    "n_synthase": 3,
    "n_exchanger": 2,
    "n_ant": 4,
    "n_pi_carrier": 3,
    "n_leak": 2,
    "n_quinone": 12,
    "n_cytc": 10,
    "nad_total": 120,
    "succ_total": 120,
}
"""A membrane patch small enough for property tests (a few ms per 100 steps): ``MembraneWorld(run, **SMALL_WORLD)``."""
