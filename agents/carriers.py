"""Electron carriers: the ubiquinone pool in the membrane and cytochrome c on the P side, plus substrate supply.

Key names: `Quinone`, `CytochromeC`, `QuinonePool`, `CytochromePool`, `SubstrateSupply`.

Carriers are Mesa agents whose position and redox state live in small numpy arrays of their pool (structure
of arrays, like protons): quinones walk along the membrane row (1-D, periodic), cytochrome c walks in the P
band. A complex reacts with the nearest carrier in the right state (ties by index), so which molecule carries
an electron is tracked, while the carriers' redox potential (Nernst) uses the pool's counts. A reduced quinone
(QH₂) holds the indices of the two proton equivalents it carries (lattice compartment ``BOUND``).

NADH/NAD⁺ and succinate/fumarate are matrix pools of counts in the world; `SubstrateSupply` reduces them
(dehydrogenases of the citric-acid cycle) at a set rate — an irreversible source outside the chain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from world.membrane import kernels
from world.membrane.diffusion import BandDomain, BandKernel, DomainKernel, RingKernel
from world.membrane.geometry import N_SIDE
from world.membrane.state import Change

if TYPE_CHECKING:
    from world.membrane import MembraneWorld


def _by_column(pool: QuinonePool | CytochromePool) -> tuple[np.ndarray, np.ndarray]:
    """The pool's carriers ordered by (column, index) and their columns in that order, sorted again only when
    the positions changed (every diffusion assigns a new position array)."""
    cached = pool._by_column
    if cached is None or cached[0] is not pool.x:
        order = kernels.column_order(pool.x, pool.width)
        cached = pool._by_column = (pool.x, order, pool.x[order])
    return cached[1], cached[2]


class QuinonePool:
    """Positions (membrane columns) and states of the ubiquinone molecules; all start oxidised (Q)."""

    def __init__(self, n: int, width: int, rng: np.random.Generator) -> None:
        self.width = width
        self.rng = rng
        self.x = rng.integers(0, width, size=n, dtype=np.int32)
        self.red = np.zeros(n, dtype=bool)
        self.h = np.full((n, 2), -1, dtype=np.int64)
        self.kernel: RingKernel | None = None
        self._by_column: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    by_column = _by_column

    def set_diffusion(self, lam: float) -> None:
        """Walk along the membrane by the exact continuous-time walk with `lam` = k·dt hops per direction and
        step (`world.membrane.diffusion.RingKernel`); before this call `diffuse` makes the lazy ±1 / stay walk."""
        self.kernel = RingKernel(self.width, lam)

    def diffuse(self) -> None:
        """One step for every quinone: the exact walk if set, else ±1 or stay (each 1/3), periodic."""
        if not self.x.size:
            return
        if self.kernel is not None:
            self.x = kernels.ring_step(self.x, self.rng.random(self.x.size), *self.kernel.tables())
        else:
            self.x = kernels.lazy_ring(self.rng.integers(0, 3, size=self.x.size), self.x, self.width)

    def nearest(self, x0: int, reduced: bool, reach: int | None = None) -> int:
        """Index of the nearest quinone in the given state (−1 if none; with `reach`, none within that many
        columns)."""
        cand = np.flatnonzero(self.red == reduced)
        if cand.size == 0:
            return -1
        dx = np.abs(self.x[cand] - x0)
        dx = np.minimum(dx, self.width - dx)
        i = int(np.argmin(dx))
        if reach is not None and dx[i] > reach:
            return -1
        return int(cand[i])

    @property
    def n_red(self) -> int:
        """Number of QH₂."""
        return int(self.red.sum())


class CytochromePool:
    """Positions (P band) and redox states of cytochrome c; all start oxidised (c³⁺). With a crista (`domain`,
    the P band's open cells) they start uniform over the open cells and never enter the crista's wall."""

    def __init__(
        self, n: int, width: int, y_lo: int, y_hi: int, rng: np.random.Generator, domain: BandDomain | None = None
    ) -> None:
        self.width = width
        self.y_lo = y_lo
        self.y_hi = y_hi
        self.rng = rng
        self.domain = domain
        if domain is None:
            self.x = rng.integers(0, width, size=n, dtype=np.int32)
            self.y = rng.integers(y_lo, y_hi + 1, size=n, dtype=np.int32)
        else:
            self.x, row = domain.uniform(rng, n)
            self.y = (y_lo + row).astype(np.int32)
        self.red = np.zeros(n, dtype=bool)
        self.kernels: tuple[RingKernel, BandKernel | DomainKernel] | None = None
        self._by_column: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    by_column = _by_column

    def set_diffusion(self, lam: float) -> None:
        """Diffuse by the exact continuous-time walk (`world.membrane.diffusion`) with `lam` = k·dt hops per direction
        and step; before this call `diffuse` makes the lazy one-hop walk."""
        band = BandKernel(self.y_hi - self.y_lo + 1, lam) if self.domain is None else DomainKernel(self.domain, lam)
        self.kernels = (RingKernel(self.width, lam), band)

    def diffuse(self) -> None:
        """One step in the P band (periodic in x, reflecting in y and at a crista's wall): the exact walk if set,
        else ±x, ±y or stay (each 1/5, a step into a wall refused)."""
        if not self.x.size:
            return
        if self.kernels is not None:
            ring, band = self.kernels
            u = self.rng.random((2, self.x.size))
            if isinstance(band, DomainKernel):
                self.x, row = band.move(self.x, self.y - self.y_lo, u[0])
                self.y = (self.y_lo + row).astype(np.int32)
                return
            self.x = kernels.ring_step(self.x, u[0], *ring.tables())
            self.y = kernels.band_step(self.y, u[1], *band.tables(), self.y_lo)
            return
        d = self.rng.integers(0, 5, size=self.x.size)
        if self.domain is None:
            self.x, self.y = kernels.lazy_band(d, self.x, self.y, self.width, self.y_lo, self.y_hi)
            return
        x = (self.x + np.array([1, -1, 0, 0, 0], dtype=np.int32)[d]) % self.width
        y = np.clip(self.y + np.array([0, 0, 1, -1, 0], dtype=np.int32)[d], self.y_lo, self.y_hi)
        x, row = self.domain.refuse_closed(self.x, self.y - self.y_lo, x, y - self.y_lo)
        self.x, self.y = x, row + self.y_lo

    def nearest(self, x0: int, reduced: bool, k: int, reach: int | None = None) -> np.ndarray | None:
        """Indices of the `k` cytochromes in the given state nearest the membrane at column `x0` (lattice
        distance from the P-side cell at the membrane, ``|dx| + rows above it``); None if fewer than `k` (with
        `reach`, fewer than `k` within that distance)."""
        cand = np.flatnonzero(self.red == reduced)
        if cand.size < k:
            return None
        dx = np.abs(self.x[cand] - x0)
        dist = np.minimum(dx, self.width - dx) + (self.y[cand] - self.y_lo)
        order = np.argsort(dist, kind="stable")[:k]
        if reach is not None and dist[order[-1]] > reach:
            return None
        return cand[order]

    @property
    def n_red(self) -> int:
        """Number of reduced cytochrome c (c²⁺)."""
        return int(self.red.sum())


class Quinone(mesa.Agent):
    """Handle of one ubiquinone molecule (state and position in `world.quinones`)."""

    def __init__(self, model: MembraneWorld, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def reduced(self) -> bool:
        """True for QH₂."""
        return bool(self.model.quinones.red[self.index])

    @property
    def x(self) -> int:
        """Membrane column."""
        return int(self.model.quinones.x[self.index])


class CytochromeC(mesa.Agent):
    """Handle of one cytochrome c molecule (state and position in `world.cytc`)."""

    def __init__(self, model: MembraneWorld, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def reduced(self) -> bool:
        """True for c²⁺."""
        return bool(self.model.cytc.red[self.index])


_NADH = Change(mols=(("nad", -1), ("nadh", 1)))
"""One NAD⁺ reduced to NADH by the dehydrogenases (its proton is a separate move into the matrix)."""
_SUCC = Change(mols=(("fum", -1), ("succ", 1)))
"""One fumarate reduced to succinate."""
_NADH_SUPPLIED = {"nadh_supplied": 1}
_SUCC_SUPPLIED = {"succinate_supplied": 1}


class SubstrateSupply(mesa.Agent):
    """Citric-acid-cycle dehydrogenases: NAD⁺ → NADH (+ H⁺ into the matrix) and fumarate → succinate.

    ``supply_law="saturating"`` (default): irreversible, rate ``supply · S_ox / (S_ox + K)`` with
    ``K = supply_km_fraction · pool total``; supply slows only as the pool becomes fully reduced.

    ``supply_law="reversible"`` (NADH only; succinate keeps the saturating law): the NADH dehydrogenases as one
    reversible mass-action enzyme, as in Beard 2005 (J_DH = X_DH·(r·NAD⁺ − NADH), without its Pi activation):
    forward ``supply · NAD⁺/total``, backward ``supply · NADH/(r · total)`` with r = `dh_ratio` (6.8385 in
    Beard 2005), so the rate is first order in NAD⁺, the pool relaxes towards NADH/NAD⁺ = r (its exact
    stationary law in the counts is binomial with odds r) and the NAD redox state is set by supply against
    demand. A backward event returns the NADH's proton from the matrix to the reserve.

    Events per step are Poisson. Trace: ``nadh_supplied`` / ``succinate_supplied`` (value = molecules, negative
    for backward events) and one ``h_produced`` row per proton released with NADH (value −1 when taken back).
    """

    def step_supply(self, world: MembraneWorld) -> None:
        """Reduce substrate for one step of length ``world.dt``."""
        p = world.params
        pool = world.state.pool
        rng = world.rng
        if p.supply_law == "reversible":
            if world.nadh_supply > 0:
                self._reversible_nadh(world)
        elif world.nadh_supply > 0 and pool["nad"] > 0:
            km = max(1.0, p.supply_km_fraction * p.nad_total)
            v = world.nadh_supply * pool["nad"] / (pool["nad"] + km)
            k = min(int(rng.poisson(v * world.dt)), pool["nad"])
            if k:
                _shift_nad(world, k, rng.integers(0, p.width, size=k).tolist())
        if world.succinate_supply > 0 and pool["fum"] > 0:
            km = max(1.0, p.supply_km_fraction * p.succ_total)
            v = world.succinate_supply * pool["fum"] / (pool["fum"] + km)
            k = min(int(rng.poisson(v * world.dt)), pool["fum"])
            if k:
                world.state.add(_SUCC, k, _SUCC_SUPPLIED, k)
                world.moves.emit("succinate_supplied", value=float(k), unit="molecule")

    def _reversible_nadh(self, world: MembraneWorld) -> None:
        """One step of the reversible dehydrogenase: Poisson forward and backward events from this step's pool."""
        p = world.params
        pool = world.state.pool
        rng = world.rng
        total = pool["nad"] + pool["nadh"]
        if total == 0:
            return
        kf = world.nadh_supply * pool["nad"] / total
        kb = world.nadh_supply * pool["nadh"] / (p.dh_ratio * total)
        n_f = min(int(rng.poisson(kf * world.dt)), pool["nad"])
        n_b = min(int(rng.poisson(kb * world.dt)), pool["nadh"])
        xs = rng.integers(0, p.width, size=n_f + n_b).tolist()
        if n_f:
            _shift_nad(world, n_f, xs[:n_f])
        n_b = min(n_b, int(world.lattice.counts[N_SIDE]))
        if n_b:
            _shift_nad(world, -n_b, xs[n_f : n_f + n_b])


def _shift_nad(world: MembraneWorld, n: int, xs: list[int]) -> None:
    """Reduce `n` NAD⁺ to NADH (n > 0: one proton into the matrix per NADH, at columns `xs`) or oxidise −n NADH
    back (n < 0: the protons return to the reserve); count, trace and book the protons' pH energy as external."""
    world.state.add(_NADH, n, _NADH_SUPPLIED, n)
    world.moves.emit("nadh_supplied", value=float(n), unit="molecule")
    if n > 0 and world.lattice.reach is None and len(world.lattice.reserve_queue) >= n:
        world.moves.produce_external(N_SIDE, np.array(xs, dtype=np.int64), "substrate")
        return
    for x0 in xs:
        if n > 0:
            world.moves.produce_into(N_SIDE, int(x0), 1, "substrate", external=True)
        else:
            world.moves.consume_from(N_SIDE, int(x0), 1, "h_produced", None, "substrate", external=True)
