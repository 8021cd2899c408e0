"""Exact lattice diffusion for any time step: the transition kernels of a continuous-time random walk.

Key names: `RingKernel`, `BandKernel`, `hop_rate`.

A particle with diffusion coefficient D on a square lattice of cell edge a hops to each of its four
neighbours at rate ``k = D / a²`` (so its mean-square displacement on an unbounded lattice is exactly
``4·D·t`` in 2-D, ``2·D·t`` per axis). Over a step dt the displacement along one axis is the difference of two
Poisson(k·dt) numbers; the kernels here hold that distribution *exactly*, already folded onto the finite
lattice, so one uniform number per particle and axis draws the position after dt whatever k·dt is (from
k·dt ≪ 1, where most particles stay, to k·dt ≫ width², where the new position is uniform):

* `RingKernel` — a periodic axis of W cells: ``p(j) = (1/W) Σ_m exp(−2λ(1 − cos 2πm/W)) cos(2πmj/W)``,
  λ = k·dt, the displacement j taken modulo W (the circulant heat kernel of the ring).
* `BandKernel` — an axis of L cells between two reflecting walls (a hop into a wall is refused):
  ``P(i → j) = (1/L) Σ_m w_m exp(−2λ(1 − cos πm/L)) cos(πm(i+½)/L) cos(πm(j+½)/L)``, w₀ = 1, w_m = 2 —
  ``exp(Q·dt)`` of the walk's generator Q in its cosine eigenbasis.

Both are the exact solutions of the master equation, so two steps of dt equal one of 2·dt
(Chapman–Kolmogorov, tested), and results do not depend on dt through the diffusion.
"""

from __future__ import annotations

import math

import numpy as np


def hop_rate(d_um2_s: float, cell_nm: float) -> float:
    """Hop rate to each neighbour (1/s) of a walk with diffusion coefficient `d_um2_s` (µm²/s) on cells of
    edge `cell_nm` (nm): ``k = D / a²``."""
    return d_um2_s / (cell_nm * 1e-3) ** 2


def _normalised(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 0.0, None)
    return p / p.sum(axis=-1, keepdims=True)


def alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table of a distribution `p` over ``0 … n−1`` (Vose's construction): draw with
    `alias_draw`. Returns (threshold, alias): cell j keeps j with probability threshold[j], else gives alias[j]."""
    n = p.size
    scaled = p * n / p.sum()
    thr = np.ones(n)
    alias = np.arange(n)
    small = [j for j in range(n) if scaled[j] < 1.0]
    large = [j for j in range(n) if scaled[j] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        thr[s] = scaled[s]
        alias[s] = g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    return thr, alias


def alias_draw(thr: np.ndarray, alias: np.ndarray, n: int, u: np.ndarray, offset: np.ndarray | int = 0) -> np.ndarray:
    """Draws from alias tables of `n` cells, one uniform `u` in [0, 1) each: ``u·n``'s integer part picks the
    cell, its fraction decides between the cell and its alias (a 53-bit uniform leaves ample bits for both).
    `offset` (``table · n``) selects one of several tables stored end to end; results are cells 0 … n−1."""
    v = u * n
    j = v.astype(np.int64)
    k = j + offset
    return np.where(v - j < thr[k], j, alias[k])


class RingKernel:
    """Displacement distribution after one step on a periodic axis of `width` cells.

    Args:
        width: cells on the ring.
        lam: hops per direction expected in one step, ``k·dt`` (≥ 0).
    """

    def __init__(self, width: int, lam: float) -> None:
        if width < 1 or not (math.isfinite(lam) and lam >= 0):
            raise ValueError(f"RingKernel needs width >= 1 and a finite lam >= 0 (got {width}, {lam})")
        m = np.arange(width)
        eig = np.exp(-2.0 * lam * (1.0 - np.cos(2.0 * np.pi * m / width)))
        self.width = width
        self.lam = float(lam)
        self.p = _normalised(np.fft.ifft(eig).real)
        """p[j]: probability of moving j cells forward (mod width) in one step."""
        self._thr, self._alias = alias_table(self.p)

    def tables(self) -> tuple[np.ndarray, np.ndarray, int]:
        """The alias tables and the cell count, as the compiled walks (`world.membrane.kernels`) take them."""
        return self._thr, self._alias, self.width

    def shift(self, u: np.ndarray) -> np.ndarray:
        """Displacements (0 … width−1, forward mod width) for uniforms `u` in [0, 1)."""
        return alias_draw(self._thr, self._alias, self.width, u).astype(np.int32)


class BandKernel:
    """Row-to-row transition matrix after one step on an axis of `rows` cells with reflecting walls.

    Args:
        rows: cells between the walls.
        lam: hops per direction expected in one step, ``k·dt`` (≥ 0).
        gate: optional ``(b, f)``: hops across the bond between rows b and b + 1 go at f·k (0 < f ≤ 1), in
            both directions — a symmetric free-energy barrier of −kT·ln f on that bond, which slows exchange
            across it without changing where particles sit at equilibrium (uniform over the rows). The kernel is
            then ``exp(Q·dt)`` of the symmetric generator by its eigendecomposition.
    """

    def __init__(self, rows: int, lam: float, gate: tuple[int, float] | None = None) -> None:
        if rows < 1 or not (math.isfinite(lam) and lam >= 0):
            raise ValueError(f"BandKernel needs rows >= 1 and a finite lam >= 0 (got {rows}, {lam})")
        self.rows = rows
        self.lam = float(lam)
        if gate is not None and gate[1] != 1.0 and rows > 1:
            b, f = gate
            if not (0 <= b < rows - 1 and 0 < f <= 1):
                raise ValueError(f"gate(={gate!r}) needs a bond 0 … {rows - 2} and a factor 0 < f <= 1")
            rate = np.full(rows - 1, float(lam))
            rate[b] *= f
            q = np.diag(rate, 1) + np.diag(rate, -1)
            q -= np.diag(q.sum(axis=1))
            w, v = np.linalg.eigh(q)
            self._set((v * np.exp(w)) @ v.T)
            return
        m = np.arange(rows)[:, None]
        i = np.arange(rows)[None, :]
        modes = np.cos(np.pi * m * (i + 0.5) / rows)  # (mode, cell)
        w = np.where(np.arange(rows) == 0, 1.0, 2.0) * np.exp(
            -2.0 * lam * (1.0 - np.cos(np.pi * np.arange(rows) / rows))
        )
        self._set((modes.T * w) @ modes / rows)

    def _set(self, p: np.ndarray) -> None:
        self.P = _normalised(p)
        """P[i, j]: probability of moving from row i to row j (rows counted from the first wall)."""
        tables = [alias_table(row) for row in self.P]
        self._thr = np.concatenate([t for t, _ in tables])
        self._alias = np.concatenate([a for _, a in tables])

    def tables(self) -> tuple[np.ndarray, np.ndarray, int]:
        """The alias tables (one per row, end to end) and the row count, as the compiled walks take them."""
        return self._thr, self._alias, self.rows

    def move(self, i: np.ndarray, u: np.ndarray) -> np.ndarray:
        """New rows (0 … rows−1) of particles in rows `i`, for uniforms `u` in [0, 1)."""
        return alias_draw(self._thr, self._alias, self.rows, u, i.astype(np.int64) * self.rows).astype(i.dtype)


MAX_DOMAIN_CELLS: int = 3000
"""Largest band (open cells) whose exact kernel `DomainKernel` builds: its transition matrix holds one row of
``cells`` probabilities per cell (3 000 cells: 72 MB of float64, 0.1 GB with its alias tables)."""


class BandDomain:
    """The open cells of a band of `rows` × `width` cells (periodic in x, reflecting walls in y) from which a
    crista's wall removes the cells ``row >= crista_rows`` of the columns ``0 … crista_cols−1``; rows counted
    from the membrane (row 0 is the mouth row, open in every column).

    A particle in it moves to a neighbouring open cell at rate k per direction; a hop into a wall or a closed
    cell is refused (the crista's wall reflects, like the band's own walls). ``crista_rows == rows`` closes no
    cell (the whole band; its kernel is then the product of `RingKernel` and `BandKernel`, tested).

    Args:
        width, rows: the band's cells.
        crista_cols, crista_rows: the crista's columns (from x = 0) and the open rows above them.
    """

    def __init__(self, width: int, rows: int, crista_cols: int, crista_rows: int) -> None:
        if not (0 < crista_cols <= width and 0 < crista_rows <= rows):
            raise ValueError(
                f"a crista needs 0 < crista_cols <= width and 0 < crista_rows <= rows "
                f"(got {crista_cols}, {crista_rows} for {width} × {rows})"
            )
        self.width = width
        self.rows = rows
        self.crista_cols = crista_cols
        self.crista_rows = crista_rows
        r, x = np.divmod(np.arange(rows * width), width)
        self.open = (r < crista_rows) | (x >= crista_cols)
        """Open cells, flat index ``row·width + x``."""
        self.cell_x = x[self.open].astype(np.int32)
        self.cell_row = r[self.open].astype(np.int32)
        self.index = np.full(rows * width, -1, dtype=np.int64)
        """Flat cell → its open-cell number (−1 for a closed cell)."""
        self.index[self.open] = np.arange(int(self.open.sum()))

    @property
    def cells(self) -> int:
        """Number of open cells."""
        return int(self.cell_x.size)

    def is_open(self, x: np.ndarray, row: np.ndarray) -> np.ndarray:
        """True where cell (x, row) is open (rows outside 0 … rows−1 are closed)."""
        inside = (row >= 0) & (row < self.rows)
        return inside & self.open[np.where(inside, row, 0) * self.width + x]

    def refuse_closed(
        self, x0: np.ndarray, r0: np.ndarray, x1: np.ndarray, r1: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """A lazy walk's step from (x0, r0) to (x1, r1) with every hop into a closed cell refused (the particle
        stays); rows below 0 (outside this band: another band or the membrane) are left alone."""
        shut = (r1 >= 0) & ~self.is_open(x1, r1)
        return np.where(shut, x0, x1), np.where(shut, r0, r1)

    def uniform(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """`n` cells drawn uniformly over the open cells: (x, row)."""
        c = rng.integers(0, self.cells, size=n)
        return self.cell_x[c], self.cell_row[c]

    def generator(self, lam: float, gate: tuple[int, float] | None = None) -> np.ndarray:
        """The walk's generator over the open cells times dt (symmetric): rate `lam` = k·dt to each open
        neighbour; `gate` ``(b, f)`` multiplies the rate across the bond between rows b and b + 1 by f."""
        n = self.cells
        q = np.zeros((n, n))
        for dx, dr in ((1, 0), (0, 1)):
            x2 = (self.cell_x + dx) % self.width
            r2 = self.cell_row + dr
            ok = self.is_open(x2, r2)
            a = np.flatnonzero(ok)
            b = self.index[r2[ok] * self.width + x2[ok]]
            rate = np.full(a.size, float(lam))
            if dr and gate is not None:
                rate[self.cell_row[a] == gate[0]] *= gate[1]
            np.add.at(q, (a, b), rate)
            np.add.at(q, (b, a), rate)
        q -= np.diag(q.sum(axis=1))
        return q


class DomainKernel:
    """Exact one-step transitions of the continuous-time walk on a `BandDomain`: ``exp(Q·dt)`` of its
    symmetric generator by eigendecomposition, one alias table per cell, so one uniform per particle draws
    its cell after dt for any k·dt (as `RingKernel` and `BandKernel` do for the rectangular band, which has no
    closed cells and factorises into x and y).

    Args:
        domain: the open cells.
        lam: hops per direction expected in one step, ``k·dt`` (≥ 0).
        gate: as `BandKernel`'s, across the bond between rows b and b + 1 wherever both cells are open.
    """

    def __init__(self, domain: BandDomain, lam: float, gate: tuple[int, float] | None = None) -> None:
        if not (math.isfinite(lam) and lam >= 0):
            raise ValueError(f"DomainKernel needs a finite lam >= 0 (got {lam})")
        if domain.cells > MAX_DOMAIN_CELLS:
            raise ValueError(
                f"a crista band of {domain.cells} open cells is above the exact kernel's {MAX_DOMAIN_CELLS}; "
                "use larger cells (cell_nm) or a smaller lattice"
            )
        self.domain = domain
        self.lam = float(lam)
        w, v = np.linalg.eigh(domain.generator(lam, gate))
        self.P = _normalised((v * np.exp(w)) @ v.T)
        """P[i, j]: probability of moving from open cell i to open cell j in one step."""
        tables = [alias_table(row) for row in self.P]
        self._thr = np.concatenate([t for t, _ in tables])
        self._alias = np.concatenate([a for _, a in tables])

    def move(self, x: np.ndarray, row: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """New (x, row) of particles in open cells (x, row), for uniforms `u` in [0, 1)."""
        d = self.domain
        n = d.cells
        at = d.index[row.astype(np.int64) * d.width + x]
        assert at.size == 0 or at.min() >= 0, "a particle sits in a closed cell of the crista band"
        c = alias_draw(self._thr, self._alias, n, u, at * n)
        return d.cell_x[c], d.cell_row[c]
