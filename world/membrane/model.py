"""The membrane world: an inner mitochondrial membrane as a Mesa model on a numpy lattice.

Key names: `MembraneWorld`, `INHIBITORS`, `SUBSTRATES`.

Build and drive it from a scenario::

    world = MembraneWorld(run, dt=1e-3, c_ring=8)      # any `MembraneParams` field as keyword
    run.drive(world, world.dt)                         # one step per dt of simulated seconds
    run.every(0.05, world.sample)                      # metrics (world="membrane")
    run.run_until(2.0); world.add_adp(500); ...

or from keyword arguments alone, as Mesa's tools do (``mesa.batch_run``, SolaraViz)::

    world = MembraneWorld(seed=3, atp_demand=600.0)    # a fresh `Run(3)` with in-memory recorders
    for _ in range(100):
        world.step()                                   # advances world.run's clock by dt, as `run.drive` does
    world.datacollector.get_model_vars_dataframe()     # Δψ, Δp, ATP, O₂ and ATP counters after every step

A world is either driven (`Run.drive`) or stepped directly, not both: a direct `step` (one called outside the
run's SimPy processes) first moves the clock to the next step time ``t0 + k·dt`` (t0 the clock at the first
direct step), running whatever else is due on the clock, then steps — the same times and, for the same seed,
the same trace as driving it. The `DataCollector` records after each direct step (scenarios record metrics
with `sample` instead).

One step: protons, quinones and cytochrome c diffuse (vectorised; lazy walks, or exact ones with physical
coefficients), substrate is supplied, then every complex, synthase, exchanger and leak site may make one
reversible transition (or Poisson many with ``site_events="poisson"``; probabilities from detailed-balance
rates, see `world.membrane.thermo`; under ``proton_access="local"`` each site's rates use the protons at its mouth), the
uncoupler shuttles and ATP is consumed. Every transition books its change through the chemistry state
(``world.state``, `world.membrane.state.ChemState.apply`, the only writer of pools, charge and counters) and
moves its protons through ``world.moves`` (trace rows buffered and written at the end of the step); then the
grid's property layers are rewritten. Observables and the ledger live in `world.membrane.observe`, the
perturbations in `world.membrane.perturb`; the world's properties and methods of the same names delegate to them.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import OrthogonalVonNeumannGrid

from agents.carriers import CytochromeC, CytochromePool, Quinone, QuinonePool, SubstrateSupply
from agents.complexes import COMPLEX_CLASSES, HeldProtons, MembraneSite
from agents.proton import Proton
from agents.synthase import ATPSynthase, Rotors
from agents.transport import (
    AdenineNucleotideTranslocase,
    ATPDemand,
    LeakSite,
    NucleotideExchanger,
    PhosphateCarrier,
    Uncoupler,
)
from world.clock import Run
from world.constants import E_CHARGE, ETC_CHARGES
from world.membrane import observe, perturb
from world.membrane.batch import fire_class
from world.membrane.diffusion import hop_rate
from world.membrane.geometry import N_SIDE, P_SIDE, ProtonLattice
from world.membrane.moves import ProtonMoves
from world.membrane.params import MembraneParams
from world.membrane.state import ChemState
from world.membrane.thermo import Couple, event_probabilities, shifted_rates
from world.membrane.transit import TransitLog

INHIBITORS: dict[str, dict[str, float]] = {
    "oligomycin": {"ATPSynthase": 1.0},
    "rotenone": {"ComplexI": 1.0},
    "antimycin_a": {"ComplexIII": 1.0},
    "cyanide": {"ComplexIV": 1.0},
}
"""Inhibitor name → {site class name: fraction of its sites blocked at a full dose}. A dose `f` of an inhibitor
blocks ``f × fraction`` of each target; several inhibitors multiply their unblocked shares. A new inhibitor is
one line (e.g. ``"myxothiazol": {"ComplexIII": 1.0}``); the `inhibitors` scenario runs every entry."""
SUBSTRATES = ("nadh", "succinate")
_SITE_ORDER = {
    "lumped": (*COMPLEX_CLASSES, ATPSynthase, NucleotideExchanger, LeakSite),
    "ant_pic": (*COMPLEX_CLASSES, ATPSynthase, AdenineNucleotideTranslocase, PhosphateCarrier, LeakSite),
}
"""The site classes of each `transport` law, in stepping (and placement) order."""
_COUNT_PARAM = {
    "ComplexI": "n_complex1",
    "ComplexII": "n_complex2",
    "ComplexIII": "n_complex3",
    "ComplexIV": "n_complex4",
    "ATPSynthase": "n_synthase",
    "NucleotideExchanger": "n_exchanger",
    "AdenineNucleotideTranslocase": "n_ant",
    "PhosphateCarrier": "n_pi_carrier",
    "LeakSite": "n_leak",
}
MODEL_REPORTERS: dict[str, Any] = {
    "t_s": lambda m: m.run.now,
    "delta_psi_mV": lambda m: m.delta_psi_mV,
    "pmf_mV": lambda m: m.pmf_mV,
    "atp_matrix": lambda m: m.pool["atp_m"],
    "atp_cytosol": lambda m: m.pool["atp_c"],
    "o2_consumed": lambda m: m.counters["o2_consumed"],
    "atp_made": lambda m: m.counters["atp_made"],
    "h_pumped": lambda m: m.counters["h_pumped"],
}
"""What the world's `mesa.DataCollector` records (and `mesa.batch_run` reports): time (s), Δψ and Δp (mV), ATP
molecules in each compartment, and the cumulative O₂ consumed (OCR's counter), ATP made and H⁺ pumped."""


class MembraneWorld(mesa.Model):
    """An inner mitochondrial membrane with its chain, synthases and proton agents.

    Args:
        run: the run (clock, rng, recorders); ``mesa.Model`` gets ``rng=run.rng``. None: a fresh
            ``Run(seed)`` (seed 0 if None) with in-memory recorders, so keyword arguments alone build a world.
        dt: step length in seconds (the model is stepped by ``run.drive(world, dt)`` or by calling `step`);
            every turnover ceiling times dt must stay within its `site_events` scheme's bound
            (`world.membrane.params.MAX_RATE_DT`: 0.5 for one move per step, 2 for Poisson moves; checked).
        seed: the fresh run's seed when `run` is None (what ``mesa.batch_run`` passes); with a `run` it must be
            None or that run's seed.
        **params: any field of `MembraneParams` (geometry, counts, rates, pools, supply, demand).

    Raises:
        ValueError: a parameter is out of range (the message names it).
    """

    def __init__(self, run: Run | None = None, *, dt: float = 1e-3, seed: int | None = None, **params: Any) -> None:
        if run is None:
            run = Run(0 if seed is None else seed)
        elif seed is not None and seed != run.seed:
            raise ValueError(f"seed(={seed!r}) is for a world built without a run; this run's seed is {run.seed}")
        super().__init__(rng=run.rng)
        if not (isinstance(dt, int | float) and math.isfinite(dt) and dt > 0):
            raise ValueError(f"dt(={dt!r}) must be a finite number > 0 (seconds)")
        self.run = run
        self.dt = float(dt)
        p = MembraneParams(**params)
        p.check_dt(dt)
        self.lattice = ProtonLattice(
            p.width, p.n_rows, p.p_rows, p.protons_n, p.protons_p, p.reserve, self.rng, crista=p.crista
        )
        self.protons = [Proton(self, i) for i in range(self.lattice.size)]
        self.state = ChemState(p, self.lattice.counts)
        """Pools, charge and counters: their only writer (`ChemState.apply`)."""
        self.kT = self.state.kT
        self.moves = ProtonMoves(
            self.lattice, self.state, np.array([a.unique_id for a in self.protons], dtype=np.int64), run
        )
        """Proton moves and the step's trace rows."""
        self.rate_specs: dict[type, tuple] = {}
        """Per site class, the constant arguments of its compiled rates and turn (`agents.complexes.rate_spec`)."""
        self.pool = MappingProxyType(self.state.pool)
        """Read-only view of the pools (molecules; see `ChemState.pool`)."""
        self.counters = MappingProxyType(self.state.counters)
        """Read-only view of the counters (`world.membrane.state.COUNTER_NAMES`)."""
        self.lattice.on_grow = self._add_protons
        self.grid = OrthogonalVonNeumannGrid((p.width, self.lattice.height), torus=False, random=self.random)
        """The Mesa grid of the lattice (width × height cells; rows as in `ProtonLattice`): membrane sites are
        `FixedAgent`s in its membrane row and its property layers hold the per-cell populations
        (`observe.refresh_layers`, every step). The lattice's own x-periodicity and walls are the physics'
        topology; the grid is not torus."""
        self.proton_layer = self.grid.create_property_layer("protons", default_value=0, dtype=int)
        self.quinone_layer = self.grid.create_property_layer("quinones", default_value=0, dtype=int)
        self.cytc_layer = self.grid.create_property_layer("cytochrome_c", default_value=0, dtype=int)
        if p.d_proton_um2_s is not None:
            lam = hop_rate(p.d_proton_um2_s, p.cell_nm) * self.dt
            self.lattice.set_diffusion(lam, math.exp(-p.surface_barrier_kT))
        if p.proton_access == "local":
            self.lattice.set_reach(self.reach_cells)
        self.carrier_reach: int | None = (
            None if p.carrier_reach_nm is None else math.floor(p.carrier_reach_nm / p.cell_nm + 1e-9)
        )
        """Cells within which a complex finds its carriers (None: any distance)."""
        self.quinones = QuinonePool(p.n_quinone, p.width, self.rng)
        self.quinone_agents = [Quinone(self, i) for i in range(p.n_quinone)]
        self.cytc = CytochromePool(
            p.n_cytc, p.width, p.n_rows + 1, p.n_rows + p.p_rows, self.rng, domain=self.lattice.crista
        )
        self.cytc_agents = [CytochromeC(self, i) for i in range(p.n_cytc)]
        if p.d_quinone_um2_s is not None:
            self.quinones.set_diffusion(hop_rate(p.d_quinone_um2_s, p.cell_nm) * self.dt)
        if p.d_cytc_um2_s is not None:
            self.cytc.set_diffusion(hop_rate(p.d_cytc_um2_s, p.cell_nm) * self.dt)
        self.inhibitors: dict[str, float] = {}
        """Inhibitors present → dose (fraction of a full block), set by `add_inhibitor`."""
        self.nadh_supply = p.nadh_supply
        self.succinate_supply = p.succinate_supply
        self.groups = self._place_sites()
        self.complex4_bound = HeldProtons([s for cls, ms in self.groups if cls.number == 4 for s in ms])
        """The protons bound in every complex IV's O₂ intermediate (each `ComplexIV`'s ``bound``)."""
        self.rotors = Rotors([s for cls, ms in self.groups if cls is ATPSynthase for s in ms])
        """Every synthase's rotor position, steps and ATP (each `ATPSynthase`'s ``position``, ``steps``, ``atp``)."""
        self.site_arrays = {
            cls: (
                np.array([m.x for m in members], dtype=np.int64),
                np.array([m.unique_id for m in members], dtype=np.int64),
            )
            for cls, members in self.groups
        }
        """Per site class: its sites' columns and Mesa ids as arrays, in `groups` order (for batched moves)."""
        self.supply = SubstrateSupply(self)
        self.uncoupler = Uncoupler(self)
        self.demand = ATPDemand(self)
        self.demand.rate = p.atp_demand
        self._ledger = observe.Ledger(self)
        self._sampler = observe.Sampler(self)
        self.moves.t = float(run.now)
        self.moves.emit(
            "membrane_config",
            value=float(p.c_ring),
            unit="c_ring",
            attrs={"c_ring": p.c_ring, "width": p.width, "dt": self.dt, "charges": ETC_CHARGES}
            | ({} if p.crista is None else {"crista_columns": p.crista[0], "crista_rows": p.crista[1]}),
        )
        self.moves.flush()
        self._direct: tuple[float, int] | None = None  # (t0, steps) of direct stepping
        observe.refresh_layers(self)
        self.datacollector = mesa.DataCollector(model_reporters=MODEL_REPORTERS)
        self.datacollector.collect(self)

    # ---------------------------------------------------------------- construction
    def _add_protons(self, idx: np.ndarray) -> None:
        """Give the lattice's new equivalents `idx` (the reserve grew) their agents and trace identities."""
        new = [Proton(self, int(i)) for i in idx.tolist()]
        self.protons.extend(new)
        self.moves.grow(np.array([a.unique_id for a in new], dtype=np.int64))

    def _place_sites(self) -> list[tuple[type[MembraneSite], list[MembraneSite]]]:
        """Spread every kind of fixed agent evenly along the membrane (deterministic): site j of n goes to column
        ⌊j·width/n⌋, so with more sites than columns neighbours share a membrane cell (Mesa cells hold any number
        of agents) and no column holds more than one site above any other; the groups
        are the model's `agents_by_type` sets (creation order, i.e. column order), listed once for stepping."""
        p = self.params
        slots: list[tuple[float, int, type[MembraneSite]]] = []
        order_of = _SITE_ORDER[p.transport]
        for order, cls in enumerate(order_of):
            c = getattr(p, _COUNT_PARAM[cls.__name__])
            slots += [((i + 0.5) / c, order, cls) for i in range(c)]
        slots.sort(key=lambda s: (s[0], s[1]))
        for j, (_, _, cls) in enumerate(slots):
            cls(self, (j * p.width) // max(1, len(slots)))
        by_type = self.agents_by_type
        return [(cls, by_type[cls].to_list() if cls in by_type else []) for cls in order_of]

    def track_transit(self) -> TransitLog:
        """Start logging pump-to-rotor transits (`world.membrane.transit.TransitLog`); returns the log."""
        if self.moves.transit is None:
            self.moves.transit = TransitLog(self.lattice.size, self.params.width, self.params.cell_nm)
        return self.moves.transit

    def groups_by_name(self) -> dict[str, list[MembraneSite]]:
        """The fixed membrane agents by class name (``"ComplexI"`` … ``"LeakSite"``), in column order."""
        return {cls.__name__: list(members) for cls, members in self.groups}

    # ---------------------------------------------------------------- stepping
    def step(self) -> None:
        """Advance one `dt`: diffusion, supply, reversible transitions, uncoupler, demand; flush the trace.

        Called from `Run.drive` the clock is already at the step's time. Called directly (outside the run's
        SimPy processes, as ``mesa.batch_run`` and SolaraViz do), it first advances the clock to the next step
        time exactly as `Run.drive` would, then steps and collects the `DataCollector`'s row.
        """
        if self.run.env.active_process is not None:
            self._advance()
            return
        env = self.run.env
        t0, k = self._direct if self._direct is not None else (float(env.now), 0)
        self._direct = (t0, k + 1)
        due = env.timeout(max(0.0, t0 + (k + 1) * self.dt - env.now))  # the timeout `Run.drive` would yield
        while not due.processed:
            env.step()
        self._advance()
        self.datacollector.collect(self)

    def _advance(self) -> None:
        """One step at the clock's current time."""
        self.moves.t = float(self.run.now)
        self.lattice.diffuse()
        self.quinones.diffuse()
        self.cytc.diffuse()
        self.supply.step_supply(self)
        for cls, members in self.groups:
            self._step_group(cls, members)
        self.uncoupler.step_shuttle(self)
        self.demand.step_demand(self)
        st = self.state
        dpsi, pmf, dph = observe.potentials(st)
        st.count("int_dpsi", dpsi * self.dt)
        st.count("int_pmf", pmf * self.dt)
        st.count("int_dph", dph * self.dt)
        observe.refresh_layers(self)
        self.moves.flush()

    def activity(self, cls: type[MembraneSite]) -> float:
        """Unblocked share of a site class: Π over inhibitors present of (1 − dose × its fraction on `cls`)."""
        a = 1.0
        for name, dose in self.inhibitors.items():
            a *= 1.0 - dose * INHIBITORS[name].get(cls.__name__, 0.0)
        return max(a, 0.0)

    def _step_group(self, cls: type[MembraneSite], members: list[MembraneSite]) -> None:
        if not members:
            return
        act = self.activity(cls) if self.inhibitors else 1.0
        k = getattr(self.params, cls.k_param) * act
        if k <= 0:
            return
        if self.params.site_events == "batch":  # bulk access (`MembraneParams` refuses local access with it)
            fire_class(self, cls, members, k)
            return
        if self.lattice.reach is not None and cls.forward_change(self)[1:3] != (0, 0):
            kf, kb = self._local_rates(cls, members, k)
        else:
            kf, kb = cls.rates(self, k)
        self._fire(members, kf, kb)

    def _fire(self, members: list[MembraneSite], kf: Any, kb: Any) -> None:
        """Draw this step's moves of a class from its rates: one pair for the whole class (floats) or one per site
        (arrays, local access). One move per site with probability 1 − exp(−(k₊ + k₋)dt) (`event_probabilities`),
        or Poisson many (`_fire_poisson`); forward with probability k₊/(k₊ + k₋)."""
        n = len(members)
        per_site = isinstance(kf, np.ndarray) and kf.ndim > 0
        poisson = self.params.site_events == "poisson"
        if not per_site:  # a class that cannot move draws nothing (the order of draws is part of the trace)
            if kf + kb <= 0.0:
                return
            if not poisson:
                p_event, p_fwd = event_probabilities(kf, kb, self.dt)
                if p_event <= 0.0:
                    return
        if poisson:
            if per_site:
                k = np.asarray(kf + kb, dtype=float)
                self._fire_poisson(members, k, np.divide(kf, k, out=np.zeros(n), where=k > 0))
            else:
                k_all = float(kf + kb)
                self._fire_poisson(members, k_all, kf / k_all)
            return
        u = self.rng.random(n)
        v = self.rng.random(n)
        if per_site:
            k = kf + kb
            p_event = -np.expm1(-k * self.dt)
            fwd = (v < np.divide(kf, k, out=np.zeros(n), where=k > 0)).tolist()
        else:
            fwd = (v < p_fwd).tolist()
        for i in np.flatnonzero(u < p_event).tolist():
            members[i].fire(self, 1 if fwd[i] else -1)

    def _fire_poisson(
        self, members: list[MembraneSite], k_total: np.ndarray | float, p_fwd: np.ndarray | float
    ) -> None:
        """``site_events="poisson"``: each site makes Poisson(k·dt) moves this step (rates from the step's start,
        i.e. τ-leaping), each forward with probability k₊/k, taken round-robin over the class's sites (every
        site's first move, then every second move, …) so no site drains a shared pool first. A move the state
        no longer allows is refused, as in the one-move scheme. `k_total` and `p_fwd` are per site, or one float
        for every site (the same draws as an array of equal rates)."""
        n = len(members)
        if isinstance(k_total, np.ndarray):
            counts = self.rng.poisson(k_total * self.dt)
            pf = p_fwd.tolist()  # type: ignore[union-attr]
        else:
            counts = self.rng.poisson(k_total * self.dt, size=n)
            pf = [p_fwd] * n
        total = int(counts.sum())
        if total == 0:
            return
        v = self.rng.random(total).tolist()
        left = counts.tolist()
        j = 0
        for r in range(max(left)):
            for i, c in enumerate(left):
                if c > r:
                    members[i].fire(self, 1 if v[j] < pf[i] else -1)
                    j += 1

    @property
    def reach_cells(self) -> int:
        """Columns either side of a site within which it reaches protons under local access."""
        return math.floor(self.params.reach_nm / self.params.cell_nm + 1e-9)

    def can_take(self, side: int, x: int, k: int) -> bool:
        """True if a site at column `x` can take `k` free protons from `side` now (the whole side under bulk
        access; the protons still available at its mouth under local access)."""
        lat = self.lattice
        if k <= 0:
            return True
        if lat.counts[side] < k:
            return False
        return lat.reach is None or lat.available_near(side, x) >= k

    def local_activity(self, side: int) -> np.ndarray:
        """ln(ρ_mouth / ρ_side) at every column under local access: ln((n + ½)/n̄), n the mouth row's available
        protons within reach and n̄ the count a uniform side would put there (at least ½). For Poisson counts
        ln(n + ½) estimates ln n̄ almost without bias (< 0.003 for n̄ ≥ 5; ln((n + ½)/(n̄ + ½)) would be biased by
        ≈ −1/(2n̄)), and an empty mouth stays finite."""
        lat = self.lattice
        p = self.params
        cells = min(2 * lat.reach + 1, p.width)
        expected = lat.counts[side] * cells / (p.width * p.n_rows if side == N_SIDE else p.p_band_cells)
        return np.log((lat.mouth_counts(side) + 0.5) / max(expected, 0.5))

    def local_pmf_mV(self, site_class: str = "ATPSynthase", region: str | None = None) -> float:
        """Mean Δp (mV) at the mouths of a site class under local access: the bulk Δp plus
        ``(kT/e)·(ln a_P − ln a_N)`` at each site's column (`local_activity`), averaged over the class's sites
        (with a crista, `region` ``"crista"`` or ``"boundary"`` averages over the sites in the crista's columns
        or the others only; NaN when the class has no site there)."""
        xs = [m.x for m in self.groups_by_name()[site_class]]
        if region is not None:
            cr = self.params.crista
            if cr is None or region not in ("crista", "boundary"):
                raise ValueError(
                    f"region(={region!r}) must be None, or 'crista' or 'boundary' in a world with a crista"
                )
            xs = [x for x in xs if (x < cr[0]) == (region == "crista")]
        if not xs:
            return float("nan")
        shift = self.local_activity(P_SIDE)[xs] - self.local_activity(N_SIDE)[xs]
        return self.pmf_mV + 1e3 * self.kT / E_CHARGE * float(shift.mean())

    def _local_rates(
        self, cls: type[MembraneSite], members: list[MembraneSite], k: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-site forward and backward rates under local access: the class's ΔG of each direction shifted by
        ``kT·(ΔN·ln a_N(x) + ΔP·ln a_P(x))`` (`local_activity` at the site's column), then the class's law over
        all sites at once (`world.membrane.thermo.shifted_rates`)."""
        _, dn_n, dn_p, _, _ = cls.forward_change(self)
        dg_f, dg_b = cls.rate_dG(self, 1), cls.rate_dG(self, -1)
        xs = np.fromiter((m.x for m in members), dtype=np.int64, count=len(members))
        shift = self.kT * (dn_n * self.local_activity(N_SIDE)[xs] + dn_p * self.local_activity(P_SIDE)[xs])
        couples = cls.couples(self, 1) if cls.saturable(self) else None
        return shifted_rates(cls.rate_law, k, dg_f, dg_b, shift, self.kT, couples)

    def couples(self, cls: type[MembraneSite]) -> tuple[Couple, ...]:
        """The binding couples of a site class for a forward move (`MembraneSite.couples`)."""
        return cls.couples(self, 1)

    # ---------------------------------------------------------------- observables (world.membrane.observe)
    @property
    def params(self) -> MembraneParams:
        """The world's parameters, kept once, by the chemistry state (`set_leak` replaces them there)."""
        return self.state.params

    @property
    def t(self) -> float:
        """Time (s) of the step being made (the stamp of its trace rows)."""
        return self.moves.t

    @property
    def transit(self) -> TransitLog | None:
        """Pump-to-rotor transit log once `track_transit` is called."""
        return self.moves.transit

    @property
    def charge(self) -> int:
        """Net elementary charges moved N → P (`ChemState.charge`)."""
        return self.state.charge

    @property
    def delta_psi_mV(self) -> float:
        """Membrane potential (mV) from the net charge moved and the capacitance."""
        return observe.delta_psi_mV(self.state)

    @property
    def ph_n(self) -> float:
        """Matrix pH from the N-side proton count and buffer."""
        return observe.ph_n(self.state)

    @property
    def ph_p(self) -> float:
        """Intermembrane-space pH from the P-side proton count and buffer."""
        return observe.ph_p(self.state)

    @property
    def delta_ph(self) -> float:
        """ΔpH = pH_P − pH_N (negative when energised)."""
        return observe.delta_ph(self.state)

    @property
    def pmf_mV(self) -> float:
        """Proton-motive force Δp (mV)."""
        return observe.pmf_mV(self.state)

    def dg_atp_kJ_per_mol(self, compartment: str = "matrix") -> float:
        """ΔG of ATP synthesis (kJ/mol) in ``"matrix"`` or ``"cytosol"`` (`observe.dg_atp_kJ_per_mol`)."""
        return observe.dg_atp_kJ_per_mol(self.state, compartment)

    def redox_potentials_mV(self) -> dict[str, float]:
        """Nernst potentials (mV) of the carrier couples (`observe.redox_potentials_mV`)."""
        return observe.redox_potentials_mV(self.state)

    def redox_drops_mV(self) -> dict[str, float]:
        """Redox drop ΔE (mV) across complexes I–IV (`observe.redox_drops_mV`)."""
        return observe.redox_drops_mV(self.state)

    def move_dG_kJ_per_mol(self) -> dict[str, float]:
        """ΔG (kJ/mol) of one forward move of each site class now (`observe.move_dG_kJ_per_mol`)."""
        return observe.move_dG_kJ_per_mol(self)

    def electrons_on_carriers(self) -> int:
        """Electrons held by QH₂, reduced cytochrome c and complex IV intermediates."""
        return observe.electrons_on_carriers(self)

    def stored_pmf_state_J(self) -> float:
        """Free energy stored in Δp now, relative to t = 0 (`observe.stored_pmf_state_J`)."""
        return observe.stored_pmf_state_J(self.state)

    def ledger(self) -> dict[str, float]:
        """Conserved quantities and both sides of every conservation law (`observe.Ledger`, docs/membrane.md)."""
        return self._ledger.read(self)

    def snapshot(self) -> dict[str, float]:
        """Time and every counter now, with Δψ, Δp and ΔpH (`observe.snapshot`)."""
        return observe.snapshot(self.state, self.run.now)

    window = staticmethod(observe.window)
    proton_ph_mV = staticmethod(observe.proton_ph_mV)

    def sample(self) -> None:
        """Record the observables of `observe.METRIC_UNITS` into ``run.metrics`` (world ``"membrane"``)."""
        self._sampler.sample(self)

    # ---------------------------------------------------------------- perturbations (world.membrane.perturb)
    def add_adp(self, amount: int) -> None:
        """Add `amount` ADP molecules to the cytosol (`perturb.add_adp`)."""
        perturb.add_adp(self, amount)

    def add_pi(self, amount: int) -> None:
        """Add `amount` phosphate molecules to the cytosol (`perturb.add_pi`)."""
        perturb.add_pi(self, amount)

    def set_atp_demand(self, rate: float) -> None:
        """Set the cytosolic ATP demand, maximal hydrolysis in ATP/s (`perturb.set_atp_demand`)."""
        perturb.set_atp_demand(self, rate)

    def spend_atp(self, n: int, consumer: str = "external") -> int:
        """Hydrolyse up to `n` cytosolic ATP now for an outside consumer; returns the number (`perturb.spend_atp`)."""
        return perturb.spend_atp(self, n, consumer)

    def set_uncoupler(self, concentration: float) -> None:
        """Set the protonophore concentration (µM); 0 washes it out (`perturb.set_uncoupler`)."""
        perturb.set_uncoupler(self, concentration)

    def add_uncoupler(self, concentration: float) -> None:
        """Add protonophore (µM) to the membrane (`perturb.add_uncoupler`)."""
        perturb.add_uncoupler(self, concentration)

    def add_inhibitor(self, name: str, dose: float = 1.0) -> None:
        """Add an inhibitor of `INHIBITORS` at `dose`, the fraction of a full block (`perturb.add_inhibitor`)."""
        perturb.add_inhibitor(self, name, dose)

    def set_leak(self, rate: float) -> None:
        """Set the basal leak rate constant k0 per leak site, 1/s (`perturb.set_leak`)."""
        perturb.set_leak(self, rate)

    def set_substrate(self, kind: str, supply_rate: float, exclusive: bool = True) -> None:
        """Supply ``"nadh"`` or ``"succinate"`` at `supply_rate` molecules/s (`perturb.set_substrate`)."""
        perturb.set_substrate(self, kind, supply_rate, exclusive)
