"""The membrane world: an inner mitochondrial membrane patch as a Mesa model on a `discrete_space` grid.

Key names: `MembraneWorld`, `INHIBITORS`, `SUBSTRATES`, `SITE_CLASSES`.

Build and drive it from a scenario, or as Mesa users do::

    world = MembraneWorld(run, dt=1e-3, c_ring=8)       # any `MembraneParams` field as keyword
    world.drive(); run.every(0.05, world.sample)          # one step per dt of the run's SimPy clock
    run.run_until(2.0); world.add_adp(500); ...

    world = MembraneWorld(seed=3, atp_demand=300.0)       # keyword arguments alone: a fresh Run(seed)
    for _ in range(100):
        world.step()                                      # advances the run's clock by dt, as the driver does

Composition: `state` (`ChemState`, the only writer of pools, charge and counters), `lattice` (proton positions),
`quinones` and `cytc` (`CarrierPool`), one `SiteGroup` per site class (arrays) whose agents are Mesa
`FixedAgent`s placed in membrane cells of `grid` (groups are ``agents_by_type[cls]``), `rows` (the step's trace
rows). Moves live in `world.membrane.moves` and `world.membrane.populations`, observables in
`world.membrane.observables`. One step: diffusion of protons, quinones and cytochrome c; substrate supply; each
site class in one vectorised pass (I, II, III, IV, synthases, exchangers, leak sites); uncoupler; demand; the
grid's property layers updated; rows written.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import OrthogonalMooreGrid

from agents.carriers import CarrierPool, CytochromeC, Quinone, SubstrateSupply
from agents.complexes import COMPLEX_CLASSES, MembraneSite, SiteGroup
from agents.proton import Proton
from agents.synthase import ATPSynthase
from agents.transport import ATPDemand, LeakSite, NucleotideExchanger, Uncoupler
from world import thermo
from world.clock import Run
from world.constants import ETC_CHARGES
from world.membrane import observables as obs
from world.membrane import perturb
from world.membrane.geometry import N_SIDE, P_SIDE, Geometry, ProtonLattice
from world.membrane.moves import SiteTable, step_all
from world.membrane.params import MembraneParams
from world.membrane.populations import step_demand, step_supply, step_uncoupler
from world.membrane.rows import RowBuffer
from world.membrane.state import ChemState

INHIBITORS: dict[str, tuple[str, ...]] = {
    "oligomycin": ("ATPSynthase",),
    "rotenone": ("ComplexI",),
    "antimycin_a": ("ComplexIII",),
    "cyanide": ("ComplexIV",),
}
"""Inhibitor name → the site classes it blocks; `add_inhibitor(name, fraction)` blocks that share of each target
(independent inhibitors on one target combine as 1 − Π(1 − fᵢ))."""
SUBSTRATES = ("nadh", "succinate")
SITE_CLASSES: tuple[type[MembraneSite], ...] = (*COMPLEX_CLASSES, ATPSynthase, NucleotideExchanger, LeakSite)
"""Site classes in the order of a step."""
_COUNT_PARAM = {
    "ComplexI": "n_complex1",
    "ComplexII": "n_complex2",
    "ComplexIII": "n_complex3",
    "ComplexIV": "n_complex4",
    "ATPSynthase": "n_synthase",
    "NucleotideExchanger": "n_exchanger",
    "LeakSite": "n_leak",
}


class MembraneWorld(mesa.Model):
    """An inner mitochondrial membrane with its chain, synthases and proton agents.

    Args:
        run: the run (clock, rng, recorders); None builds a fresh ``Run(seed)`` (in memory).
        dt: step length in seconds.
        seed: seed of the fresh run when `run` is None (0 if None too); ignored otherwise.
        **params: any field of `MembraneParams` (geometry, space, counts, rates, pools, supply, demand).

    Raises:
        ValueError: a parameter is out of range (the message names it).
    """

    def __init__(self, run: Run | None = None, *, dt: float = 1e-3, seed: int | None = None, **params: Any) -> None:
        if run is None:
            run = Run(0 if seed is None else seed)
        if not (isinstance(dt, int | float) and not isinstance(dt, bool) and math.isfinite(dt) and dt > 0):
            raise ValueError(f"dt(={dt!r}) must be a finite number > 0 (seconds)")
        self.params = p = MembraneParams(**params)
        super().__init__(rng=run.rng)
        self.run = run
        self.dt = float(dt)
        self.kT = thermo.kT_J(p.temperature_K)
        self.t = float(run.now)
        self.geom = Geometry(
            p.membrane_length_nm,
            p.depth_n_nm,
            p.depth_p_nm,
            p.cell_nm,
            p.mouth_nm,
            max(1, round(p.membrane_length_nm / p.reach_nm)),
        )
        self.n_carrier_bins = max(1, round(p.membrane_length_nm / p.carrier_reach_nm))
        self.lattice = ProtonLattice(
            self.geom, p.width, p.n_rows, p.p_rows, p.protons_n, p.protons_p, p.reserve, self.rng
        )
        self.proton_uid = np.empty(0, dtype=np.int64)
        self._add_protons(self.lattice.size)
        self.lattice.on_grow = self._add_protons
        self.quinones = CarrierPool(p.n_quinone, p.membrane_length_nm, self.rng, bound_protons=True)
        self.cytc = CarrierPool(p.n_cytc, p.membrane_length_nm, self.rng)
        for i in range(p.n_quinone):
            Quinone(self, i)
        for i in range(p.n_cytc):
            CytochromeC(self, i)
        self.state = ChemState(p, self.kT, self.lattice.counts)
        self.inhibitors: dict[str, float] = {}
        self.grid = OrthogonalMooreGrid((p.width, self.lattice.height), torus=False, random=self.random)
        self.layers = {
            name: self.grid.create_property_layer(name, 0, int) for name in ("protons", "q", "qh2", "cox", "cred")
        }
        self.groups = self._place_sites()
        self.sites = SiteTable(list(self.groups.values()))
        self.supply = SubstrateSupply(self, p.nadh_supply, p.succinate_supply)
        self.uncoupler = Uncoupler(self)
        self.demand = ATPDemand(self)
        self.demand.rate = p.atp_demand
        self.rows = RowBuffer(run)
        self._mouths: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._cache: dict[Any, Any] = {}
        self._own_driver: Any = None
        self._external_driver = False
        self._advanced = 0
        self.initial = {
            "h": int(self.lattice.counts[:3].sum()),
            "e": obs.electrons_on_carriers(self),
            "adenine": obs.atp_total(self) + obs.adp_total(self),
            "atp_pi": obs.atp_total(self) + self.state.pool["pi_m"] + self.state.pool["pi_c"],
        }
        self._last = obs.snapshot(self)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "time_s": lambda m: m.run.now,
                "delta_psi_mV": "delta_psi_mV",
                "pmf_mV": "pmf_mV",
                "o2_consumed": lambda m: m.counters["o2_consumed"],
                "atp_made": lambda m: m.counters["atp_made"],
            }
        )
        self.update_layers()
        self.run.trace.emit(
            self.t,
            "membrane",
            "membrane_config",
            value=float(p.c_ring),
            unit="c_ring",
            attrs={"c_ring": p.c_ring, "width": p.width, "dt": self.dt, "charges": ETC_CHARGES},
        )

    # ---------------------------------------------------------------- construction
    def _add_protons(self, k: int) -> None:
        start = self.proton_uid.size
        uid = [Proton(self, i).unique_id for i in range(start, start + k)]
        self.proton_uid = np.concatenate([self.proton_uid, np.asarray(uid, dtype=np.int64)])

    def _place_sites(self) -> dict[str, SiteGroup]:
        """Spread every kind of site evenly along the membrane (deterministic interleaving; several sites may
        share a cell), each a `FixedAgent` in its membrane cell."""
        p = self.params
        slots: list[tuple[float, int, type[MembraneSite]]] = []
        for order, cls in enumerate(SITE_CLASSES):
            c = getattr(p, _COUNT_PARAM[cls.__name__])
            slots += [((i + 0.5) / c, order, cls) for i in range(c)]
        slots.sort(key=lambda s: (s[0], s[1]))
        length = p.membrane_length_nm
        xs: dict[type[MembraneSite], list[float]] = {cls: [] for cls in SITE_CLASSES}
        for j, (_, _, cls) in enumerate(slots):
            xs[cls].append((j + 0.5) * length / len(slots))
        groups = {}
        for cls in SITE_CLASSES:
            g = SiteGroup(cls, np.asarray(xs[cls]))
            g.bins = self.geom.bin_of(g.x_nm)
            g.carrier_bins = self.carrier_bin(g.x_nm)
            for i, col in enumerate(self.column(g.x_nm).tolist()):
                agent = cls(self, g, i)
                agent.cell = self.grid[(col, self.lattice.membrane_row)]
                g.agents.append(agent)
            groups[cls.__name__] = g
        return groups

    # ---------------------------------------------------------------- stepping
    def step(self) -> None:
        """Advance one `dt`. Called by the run's driver (a SimPy process) it makes the step; called directly (as
        Mesa users, `batch_run` and SolaraViz do) it advances the run's clock by `dt`, which runs the step exactly
        as the scenario driver would, together with everything else scheduled until then, and then collects
        `datacollector` (time, Δψ, Δp, cumulative O₂ and ATP) for Mesa's tools."""
        env = self.run.env
        if env.active_process is not None:
            if env.active_process is not self._own_driver:
                self._external_driver = True
            self._advance()
            return
        if not self._external_driver and self._own_driver is None:
            self._own_driver = env.process(self._drive_loop(env))
        before = self._advanced
        target = self.run.now + self.dt
        self.run.run_until(target)
        while self._advanced == before and env.peek() <= target + 1e-9 * self.dt:
            env.step()
        self.datacollector.collect(self)

    def reshuffle(self, rng: np.random.Generator) -> None:
        """Move every free proton, quinone and cytochrome c to a uniformly random place of its band, drawn from
        `rng` (a generator other than the run's): the well-mixed control of a spatial result."""
        self.lattice.reshuffle(rng)
        self.quinones.reshuffle(rng)
        self.cytc.reshuffle(rng)
        self._mouths = {side: self.lattice.mouth_bins(side) for side in (N_SIDE, P_SIDE)}
        self._cache.clear()

    def drive(self) -> Any:
        """Step this world every `dt` on the run's clock (the scenario driver, ``run.drive(world, dt)``)."""
        self._external_driver = True
        return self.run.drive(self, self.dt)

    def _drive_loop(self, env: Any):  # type: ignore[no-untyped-def]
        t0 = float(env.now)
        k = 0
        while True:
            k += 1
            yield env.timeout(max(0.0, t0 + k * self.dt - env.now))
            self._advance()

    def _advance(self) -> None:
        """The physics of one step (see the module docstring)."""
        p = self.params
        self.t = float(self.run.now)
        self.lattice.diffuse(p.d_proton_um2_s, self.dt)
        self.quinones.diffuse(p.d_quinone_um2_s, self.dt)
        self.cytc.diffuse(p.d_cytc_um2_s, self.dt)
        self._mouths = {side: self.lattice.mouth_bins(side) for side in (N_SIDE, P_SIDE)}
        self._cache.clear()
        step_supply(self)
        step_all(self, self.sites)
        step_uncoupler(self)
        step_demand(self)
        self.state.integrate(self.dt, self.delta_psi_mV, self.pmf_mV, self.delta_ph)
        self.update_layers()
        self._advanced += 1

    # ---------------------------------------------------------------- local state for the moves
    def mouth(self, side: int) -> tuple[np.ndarray, np.ndarray]:
        """Free protons of `side` at the mouths now (indices, bin): those found there after this step's
        diffusion and not taken since."""
        key = ("mouth", side, self.lattice.version)
        hit = self._cache.get(key)
        if hit is None:
            cand, cbin = self._mouths.get(side) or self.lattice.mouth_bins(side)
            keep = self.lattice.comp[cand] == side
            hit = self._cache[key] = (cand[keep], cbin[keep])
        return hit

    def mouth_counts(self, side: int) -> np.ndarray:
        """Free protons of `side` at the mouth of every bin now."""
        key = ("counts", side, self.lattice.version)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = np.bincount(self.mouth(side)[1], minlength=self.geom.n_bins)
        return hit

    def mouth_mean(self, side: int) -> float:
        """Protons a mouth of `side` holds on average (the side's count × the mouth's share of its volume)."""
        return float(self.lattice.counts[side]) * self.geom.mouth_share(side)

    def carrier_bin(self, x_nm: np.ndarray) -> np.ndarray:
        """Carrier bin of positions `x_nm`."""
        n = self.n_carrier_bins
        return np.minimum((x_nm * (n / self.params.membrane_length_nm)).astype(np.int64), n - 1)

    def carriers_in_state(self, m: str) -> tuple[np.ndarray, np.ndarray]:
        """Molecules of carrier state `m` (``q``, ``qh2``, ``cox``, ``cred``): (indices, carrier bin)."""
        hit = self._cache.get(m)
        if hit is None:
            pool = self.quinones if m in ("q", "qh2") else self.cytc
            idx = np.flatnonzero(pool.red if m in ("qh2", "cred") else ~pool.red)
            hit = self._cache[m] = (idx, self.carrier_bin(pool.x_nm[idx]))
        return hit

    def carrier_counts(self, m: str) -> np.ndarray:
        """Molecules of carrier state `m` in every carrier bin."""
        key = "n_" + m
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = np.bincount(self.carriers_in_state(m)[1], minlength=self.n_carrier_bins)
        return hit

    def changed_carriers(self) -> None:
        """Forget cached carrier populations (a move changed redox states or positions)."""
        for k in ("q", "qh2", "cox", "cred", "n_q", "n_qh2", "n_cox", "n_cred"):
            self._cache.pop(k, None)

    def block(self, cls_name: str) -> float:
        """Blocked share of the sites of class `cls_name` (0 … 1) from the inhibitors present."""
        free = 1.0
        for name, frac in self.inhibitors.items():
            if cls_name in INHIBITORS[name]:
                free *= 1.0 - frac
        return 1.0 - free

    def column(self, x_nm: np.ndarray) -> np.ndarray:
        """Lattice column of positions `x_nm`."""
        return np.minimum((np.asarray(x_nm) / self.params.cell_nm).astype(np.int64), self.params.width - 1)

    def proton_rows(
        self, kind: str, idx: np.ndarray, src: str, dst: str, layer: int | None, x_nm: np.ndarray, value: float
    ) -> None:
        """Buffer one row per proton of `idx` (events × protons) moved at positions `x_nm` (one per event)."""
        m, k = idx.shape
        self.rows.add(
            kind,
            m * k,
            entity_id=self.proton_uid[idx.ravel()],
            src=src,
            dst=dst,
            layer=layer,
            pos=np.repeat(self.column(x_nm), k),
            value=value,
            unit="H+",
        )

    def update_layers(self) -> None:
        """Write the per-cell populations into the grid's property layers: free protons per cell, oxidised and
        reduced quinones per membrane cell, cytochrome c per cell of the first P row."""
        self.layers["protons"].data[:] = self.lattice.occupancy()
        row = self.lattice.membrane_row
        for name, pool, r in (("q", self.quinones, row), ("cox", self.cytc, row + 1)):
            for state_name, mask in ((name, ~pool.red), ("qh2" if name == "q" else "cred", pool.red)):
                layer = self.layers[state_name].data
                layer[:, r] = np.bincount(self.column(pool.x_nm[mask]), minlength=self.params.width)

    # ---------------------------------------------------------------- perturbations (world.membrane.perturb)
    add_adp = perturb.add_adp
    set_atp_demand = perturb.set_atp_demand
    spend_atp = perturb.spend_atp
    set_uncoupler = perturb.set_uncoupler
    add_uncoupler = perturb.add_uncoupler
    add_inhibitor = perturb.add_inhibitor
    set_leak = perturb.set_leak
    set_substrate = perturb.set_substrate

    # ---------------------------------------------------------------- views
    def group(self, cls_name: str) -> SiteGroup | None:
        """The `SiteGroup` (arrays) of a site class, by name."""
        return self.groups.get(cls_name)

    def groups_by_name(self) -> dict[str, list[MembraneSite]]:
        """The site agents by class name (``"ComplexI"`` … ``"LeakSite"``), in membrane order."""
        return {name: list(g.agents) for name, g in self.groups.items()}

    @property
    def pool(self) -> dict[str, int]:
        """The pools of `state` (read them; only `state.apply` writes them)."""
        return self.state.pool

    @property
    def counters(self) -> dict[str, float]:
        """The counters of `state`."""
        return self.state.counters

    @property
    def charge(self) -> int:
        """Net elementary charges moved N → P."""
        return self.state.charge

    @property
    def delta_psi_mV(self) -> float:
        """Membrane potential (mV)."""
        return obs.delta_psi_mV(self)

    @property
    def ph_n(self) -> float:
        """Matrix pH."""
        return obs.ph_n(self)

    @property
    def ph_p(self) -> float:
        """Intermembrane-space pH."""
        return obs.ph_p(self)

    @property
    def delta_ph(self) -> float:
        """ΔpH = pH_P − pH_N (negative when energised)."""
        return obs.ph_p(self) - obs.ph_n(self)

    @property
    def pmf_mV(self) -> float:
        """Proton-motive force Δp (mV)."""
        return obs.pmf_mV(self)

    def dg_atp_kJ_per_mol(self, compartment: str = "matrix") -> float:
        """ΔG of ATP synthesis (kJ/mol) in ``"matrix"`` or ``"cytosol"``."""
        return obs.dg_atp_kJ_per_mol(self, compartment)

    def redox_potentials_mV(self) -> dict[str, float]:
        """Nernst potentials (mV) of the carrier couples."""
        return obs.redox_potentials_mV(self)

    def ledger(self) -> dict[str, float]:
        """Both sides of every conservation law."""
        return obs.ledger(self)

    def snapshot(self) -> dict[str, float]:
        """Time and every counter now."""
        return obs.snapshot(self)

    window = staticmethod(obs.window)

    def sample(self) -> None:
        """Record the observables of `METRIC_UNITS` into ``run.metrics`` (world ``"membrane"``)."""
        now = obs.snapshot(self)
        values = obs.metric_values(self, now, self._last)
        self._last = now
        units = obs.METRIC_UNITS
        self.run.metrics.record_many(now["t"], "membrane", {k: (float(v), units[k]) for k, v in values.items()})
