"""Where the protons are: continuous positions in numpy arrays, exact Brownian steps, mouth neighbourhoods.

Key names: `ProtonLattice`, `Geometry`, `reflect`, `N_SIDE`, `P_SIDE`, `BOUND`, `RESERVE`, `COMPARTMENT_NAMES`.

The patch is a cross-section: the membrane is a line of length ``L = width·cell_nm`` (periodic in x); the N band
(matrix) lies below it, ``H_N = n_rows·cell_nm`` deep, the P band (intermembrane space) above, ``H_P =
p_rows·cell_nm`` deep. A free proton has a side (`comp`), an x (nm, ``0 ≤ x < L``) and a distance ``d`` from the
membrane surface (nm, ``0 ≤ d ≤ H``). Diffusion is one Gaussian displacement per step with variance ``2·D·dt`` per
axis, folded back into the band by reflection (`reflect`, the method of images): the transition law of reflected
Brownian motion, so the walk is exact for any dt. The membrane is impassable: a proton changes side only when a
transporter moves it (`move`).

For the Mesa grid the patch is also a lattice of ``width × (n_rows + 1 + p_rows)`` cells of `cell_nm`: rows
``0 … n_rows−1`` are the N band (row ``n_rows−1`` touches the membrane), row ``n_rows`` is the membrane, rows
above it the P band. `x` and `y` give every proton's cell; `occupancy` counts free protons per cell.

Mouths. A transporter reacts with the protons of its **mouth**: the protons of a side within ``mouth_nm`` of the
surface and inside the site's bin, one of ``n_bins`` equal stretches of the membrane (width ≈ ``reach_nm``).
`mouth_bins` lists them. Compartment codes: ``N_SIDE`` (0) and ``P_SIDE`` (1) are free protons; ``BOUND`` (2)
are held by a carrier (QH₂) or complex IV's O₂ intermediate; ``RESERVE`` (3) are proton equivalents not in the
system (in substrate or water). The reserve grows on demand (`produce`): it never limits a run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

N_SIDE, P_SIDE, BOUND, RESERVE = 0, 1, 2, 3
MIXED = 1e-12
"""An axis counts as completely mixed in one step when its slowest mode decays below this factor."""
COMPARTMENT_NAMES = ("N", "P", "bound", "reserve")


def reflect(z: np.ndarray, h: float | np.ndarray) -> np.ndarray:
    """Fold `z` into ``[0, h]`` by reflection at both walls (the images of reflected Brownian motion);
    `h` may be one distance or one per element."""
    m = np.mod(z, 2.0 * h)
    return np.where(m > h, 2.0 * h - m, m)


@dataclass(frozen=True)
class Geometry:
    """Lengths of the patch (nm) and of the reaction neighbourhoods.

    Attributes:
        length_nm: membrane length L (periodic).
        depth_n_nm, depth_p_nm: band depths H_N, H_P.
        cell_nm: lattice cell (Mesa grid, `occupancy`).
        mouth_nm: depth of a mouth (protons within this distance of the surface can be taken).
        n_bins: number of proton bins along the membrane (bin width ``length_nm / n_bins``).
    """

    length_nm: float
    depth_n_nm: float
    depth_p_nm: float
    cell_nm: float
    mouth_nm: float
    n_bins: int

    @property
    def bin_nm(self) -> float:
        """Width of one proton bin (nm)."""
        return self.length_nm / self.n_bins

    def bin_of(self, x_nm: np.ndarray) -> np.ndarray:
        """Bin index of positions `x_nm`."""
        return np.minimum((x_nm * (self.n_bins / self.length_nm)).astype(np.int64), self.n_bins - 1)

    def mouth_share(self, side: int) -> float:
        """Fraction of a side's volume that one mouth (one bin, `mouth_nm` deep) holds."""
        depth = self.depth_n_nm if side == N_SIDE else self.depth_p_nm
        return min(self.mouth_nm, depth) / depth / self.n_bins


class ProtonLattice:
    """Positions, compartments and exact diffusion of all proton equivalents (structure of arrays).

    Args:
        geom: lengths of the patch.
        width, n_rows, p_rows: the Mesa lattice (cells) that `x`, `y` and `occupancy` report.
        n_n, n_p, reserve: initial free protons on the N and P side, and reserve equivalents.
        rng: the run's generator (the only randomness).
    """

    def __init__(
        self,
        geom: Geometry,
        width: int,
        n_rows: int,
        p_rows: int,
        n_n: int,
        n_p: int,
        reserve: int,
        rng: np.random.Generator,
    ) -> None:
        self.geom = geom
        self.width = width
        self.n_rows = n_rows
        self.p_rows = p_rows
        self.height = n_rows + 1 + p_rows
        self.membrane_row = n_rows
        self.rng = rng
        n = n_n + n_p + reserve
        self.comp = np.full(n, RESERVE, dtype=np.int8)
        self.comp[:n_n] = N_SIDE
        self.comp[n_n : n_n + n_p] = P_SIDE
        self.xn = rng.uniform(0.0, geom.length_nm, size=n)
        self.dn = np.zeros(n)
        self.dn[:n_n] = rng.uniform(0.0, geom.depth_n_nm, size=n_n)
        self.dn[n_n : n_n + n_p] = rng.uniform(0.0, geom.depth_p_nm, size=n_p)
        self.counts = np.bincount(self.comp, minlength=4).astype(np.int64)
        self.version = 0
        """Incremented by every `move` and `diffuse` (caches of mouth populations key on it)."""
        self.on_grow: Callable[[int], None] | None = None
        """Called with the number of new equivalents after the arrays grew (the world adds their agents)."""

    @property
    def size(self) -> int:
        """Number of proton equivalents (free, bound and reserve)."""
        return int(self.comp.size)

    # ------------------------------------------------------------------ cells (for the Mesa grid)
    @property
    def x(self) -> np.ndarray:
        """Lattice column of every equivalent."""
        return np.minimum((self.xn / self.geom.cell_nm).astype(np.int64), self.width - 1)

    @property
    def y(self) -> np.ndarray:
        """Lattice row of every equivalent (bound and reserve ones sit on the membrane row)."""
        depth = np.minimum((self.dn / self.geom.cell_nm).astype(np.int64), max(self.n_rows, self.p_rows) - 1)
        row = np.full(self.comp.size, self.membrane_row, dtype=np.int64)
        n = self.comp == N_SIDE
        p = self.comp == P_SIDE
        row[n] = self.membrane_row - 1 - np.minimum(depth[n], self.n_rows - 1)
        row[p] = self.membrane_row + 1 + np.minimum(depth[p], self.p_rows - 1)
        return row

    def occupancy(self) -> np.ndarray:
        """Free protons per cell as a ``(width, height)`` array (one bincount)."""
        free = np.flatnonzero(self.comp <= P_SIDE)
        cell = self.geom.cell_nm
        col = np.minimum((self.xn[free] / cell).astype(np.int64), self.width - 1)
        depth = (self.dn[free] / cell).astype(np.int64)
        row = np.where(
            self.comp[free] == N_SIDE,
            self.membrane_row - 1 - np.minimum(depth, self.n_rows - 1),
            self.membrane_row + 1 + np.minimum(depth, self.p_rows - 1),
        )
        cells = row * self.width + col
        return np.bincount(cells, minlength=self.width * self.height).reshape(self.height, self.width).T

    # ------------------------------------------------------------------ motion
    def diffuse(self, d_um2_s: float, dt: float) -> None:
        """One exact Brownian step of every free proton: N(0, 2·D·dt) per axis, periodic in x, reflected in d.

        When a step mixes an axis completely — the slowest mode of the band decays by ``exp(−4π²·D·dt/L²)``
        (periodic x) or ``exp(−π²·D·dt/H²)`` (reflecting depth) and that is below `MIXED` — the new coordinate is
        drawn uniformly instead: the same law to within `MIXED` in total variation, one draw instead of a Gaussian
        and a fold. Bound and reserve equivalents do not move (their position is set when a transporter releases
        them).
        """
        self.version += 1
        free = np.flatnonzero(self.comp <= P_SIDE)
        if free.size == 0 or d_um2_s <= 0:
            return
        g = self.geom
        d_nm2 = d_um2_s * 1e6 * dt
        rng = self.rng
        if math.exp(-4 * math.pi**2 * d_nm2 / g.length_nm**2) < MIXED:
            self.xn[free] = rng.uniform(0.0, g.length_nm, size=free.size)
        else:
            step = rng.standard_normal(free.size) * math.sqrt(2.0 * d_nm2)
            self.xn[free] = np.mod(self.xn[free] + step, g.length_nm)
        depth = np.where(self.comp[free] == N_SIDE, g.depth_n_nm, g.depth_p_nm)
        if math.exp(-(math.pi**2) * d_nm2 / max(g.depth_n_nm, g.depth_p_nm) ** 2) < MIXED:
            self.dn[free] = rng.random(free.size) * depth
        else:
            self.dn[free] = reflect(self.dn[free] + rng.standard_normal(free.size) * math.sqrt(2.0 * d_nm2), depth)

    def reshuffle(self, rng: np.random.Generator) -> None:
        """Put every free proton at a uniformly random place of its band, drawn from `rng` (a well-mixed control)."""
        free = np.flatnonzero(self.comp <= P_SIDE)
        g = self.geom
        self.xn[free] = rng.uniform(0.0, g.length_nm, size=free.size)
        self.dn[free] = rng.random(free.size) * np.where(self.comp[free] == N_SIDE, g.depth_n_nm, g.depth_p_nm)
        self.version += 1

    def mouth_bins(self, side: int) -> tuple[np.ndarray, np.ndarray]:
        """Free protons of `side` within the mouth depth: (indices, bin of each)."""
        idx = np.flatnonzero((self.comp == side) & (self.dn < self.geom.mouth_nm))
        return idx, self.geom.bin_of(self.xn[idx])

    def move(self, idx: np.ndarray, dst: int, x_nm: np.ndarray | float) -> None:
        """Put equivalents `idx` into compartment `dst` at the membrane surface at `x_nm`."""
        if idx.size == 0:
            return
        self.counts -= np.bincount(self.comp[idx], minlength=4)
        self.counts[dst] += idx.size
        self.version += 1
        self.comp[idx] = dst
        self.xn[idx] = x_nm
        self.dn[idx] = 0.0

    # ------------------------------------------------------------------ reserve
    def grow(self, k: int) -> None:
        """Append `k` reserve equivalents (the reserve ran out) and tell `on_grow`."""
        self.comp = np.concatenate([self.comp, np.full(k, RESERVE, dtype=np.int8)])
        self.xn = np.concatenate([self.xn, np.zeros(k)])
        self.dn = np.concatenate([self.dn, np.zeros(k)])
        self.counts[RESERVE] += k
        if self.on_grow is not None:
            self.on_grow(k)

    def produce(self, k: int) -> np.ndarray:
        """Indices of `k` reserve equivalents (lowest first), growing the reserve if it is short; still RESERVE."""
        if k <= 0:
            return np.empty(0, dtype=np.int64)
        if self.counts[RESERVE] < k:
            self.grow(max(k - int(self.counts[RESERVE]), 64, self.size // 8))
        return np.flatnonzero(self.comp == RESERVE)[:k]

    def consume(self, idx: np.ndarray) -> None:
        """Return equivalents `idx` (bound in a product) to the reserve."""
        self.move(idx, RESERVE, 0.0)
