"""The proton lattice: positions and compartments of every proton in numpy arrays (structure of arrays).

Key names: `ProtonLattice`, `N_SIDE`, `P_SIDE`, `BOUND`, `RESERVE`, `COMPARTMENT_NAMES`.

Rows ``0 … n_rows-1`` are the N band (matrix), row ``n_rows`` is the membrane, rows above it the P band. The
x axis is periodic; the bands have reflecting walls and the membrane row is impassable: a proton changes side
only when a transporter moves it (`move`). Proton `Agent`s (agents.proton) are handles into these arrays.

Compartment codes: ``N_SIDE`` (0) and ``P_SIDE`` (1) are free protons; ``BOUND`` (2) are held by a carrier
(QH₂) or by complex IV's O₂ intermediate; ``RESERVE`` (3) are proton equivalents not in the system (in
substrate or water): producing a proton takes one from the reserve, consuming returns it there.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

import numpy as np

from world.membrane import kernels
from world.membrane.diffusion import BandDomain, BandKernel, DomainKernel, RingKernel

N_SIDE, P_SIDE, BOUND, RESERVE = 0, 1, 2, 3
COMPARTMENT_NAMES = ("N", "P", "bound", "reserve")
_DX = np.array([1, -1, 0, 0, 0], dtype=np.int32)
_DY = np.array([0, 0, 1, -1, 0], dtype=np.int32)


def match_by_column(cand_x: np.ndarray, req_x: np.ndarray, presorted: bool = False) -> np.ndarray:
    """Positions in `cand_x` (columns of candidates, in index order) given to requests at columns `req_x`, one
    candidate each, all different: requests sorted by column take increasing candidates sorted by (column,
    index), each the first at or right of its column not yet taken, shifted left only where the right end runs
    out (a monotone matching; columns are not wrapped). Needs ``len(cand_x) >= len(req_x)``; `presorted`: the
    candidates are already in (column, index) order."""
    d = int(req_x.size)
    if presorted:
        order = np.arange(cand_x.size)
        cx = cand_x
    else:
        order = np.argsort(cand_x, kind="stable")
        cx = cand_x[order]
    req = np.argsort(req_x, kind="stable")
    j = np.arange(d)
    first = np.searchsorted(cx, req_x[req], side="left")
    pick = np.minimum(j + np.maximum.accumulate(first - j), cx.size - d + j)
    out = np.empty(d, dtype=np.int64)
    out[req] = order[pick]
    return out


class ReserveQueue:
    """The reserve's proton equivalents in first-in, first-out order (a queue of indices in a numpy array:
    `take` and `extend` are slices however many move)."""

    def __init__(self, idx: np.ndarray) -> None:
        self._a = np.array(idx, dtype=np.int64)
        self._head = 0
        self._tail = self._a.size

    def __len__(self) -> int:
        return self._tail - self._head

    def take(self, k: int) -> np.ndarray:
        """The first `k` equivalents, removed (the queue holds at least `k`)."""
        h = self._head
        if k > self._tail - h:
            raise IndexError(f"{k} equivalents asked of a reserve of {self._tail - h}")
        self._head = h + k
        return self._a[h : h + k].copy()

    def extend(self, idx: np.ndarray) -> None:
        """Append equivalents `idx` at the end, in order."""
        k = len(idx)
        if self._tail + k > self._a.size:  # compact, then grow if still short
            n = self._tail - self._head
            a = self._a if n + k <= self._a.size // 2 else np.empty(max(2 * (n + k), 64), dtype=np.int64)
            a[:n] = self._a[self._head : self._tail]
            self._a, self._head, self._tail = a, 0, n
        self._a[self._tail : self._tail + k] = idx
        self._tail += k


class ProtonLattice:
    """Positions, compartments and vectorised diffusion of all proton equivalents.

    Args:
        width, n_rows, p_rows: lattice geometry (see module docstring).
        n_n, n_p, reserve: initial free protons on the N and P side, and reserve equivalents.
        rng: the run's generator (the only randomness).
        crista: optional ``(columns, rows)``: the P band over membrane columns ``0 … columns−1`` is a crista's
            lumen, only `rows` deep (`BandDomain`); elsewhere it keeps its `p_rows`.
    """

    def __init__(
        self,
        width: int,
        n_rows: int,
        p_rows: int,
        n_n: int,
        n_p: int,
        reserve: int,
        rng: np.random.Generator,
        crista: tuple[int, int] | None = None,
    ) -> None:
        self.width = width
        self.n_rows = n_rows
        self.p_rows = p_rows
        self.height = n_rows + 1 + p_rows
        self.membrane_row = n_rows
        self.rng = rng
        n = n_n + n_p + reserve
        self.comp = np.empty(n, dtype=np.int8)
        self.comp[:n_n] = N_SIDE
        self.comp[n_n : n_n + n_p] = P_SIDE
        self.comp[n_n + n_p :] = RESERVE
        self.x = rng.integers(0, width, size=n, dtype=np.int32)
        self.y = np.empty(n, dtype=np.int32)
        self.y[:n_n] = rng.integers(0, n_rows, size=n_n, dtype=np.int32)
        self.crista = None if crista is None else BandDomain(width, p_rows, *crista)
        """The P band's open cells when it holds a crista (None: the whole band)."""
        if self.crista is None:
            self.y[n_n : n_n + n_p] = rng.integers(n_rows + 1, self.height, size=n_p, dtype=np.int32)
        else:  # uniform over the open cells
            px, prow = self.crista.uniform(rng, n_p)
            self.x[n_n : n_n + n_p] = px
            self.y[n_n : n_n + n_p] = n_rows + 1 + prow
        self.y[n_n + n_p :] = n_rows  # parked on the membrane row, never drawn there by diffusion
        # rows a proton may step into, indexed by row + 1 (so −1 and height are walls, n_rows the membrane)
        self._row_ok = np.ones(self.height + 2, dtype=bool)
        self._row_ok[[0, n_rows + 1, self.height + 1]] = False
        # the lazy walk as two lookup tables, [direction · size + position] → new position (walls, the
        # membrane row and the periodic x axis folded in)
        xs = np.arange(width, dtype=np.int32)
        self._walk_x = np.concatenate([(xs + dx) % width for dx in _DX]).astype(np.int32)
        ys = np.arange(self.height, dtype=np.int32)
        self._walk_y = np.concatenate([np.where(self._row_ok[ys + dy + 1], ys + dy, ys) for dy in _DY]).astype(np.int32)
        self.reserve_queue = ReserveQueue(np.arange(n_n + n_p, n))
        self.counts = np.bincount(self.comp, minlength=4).astype(np.int64)
        self._mouth_cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = {}
        self._buckets: dict[int, list] = {}
        self.mouth = (
            np.empty((2, n), dtype=np.int64),
            np.empty((2, n), dtype=np.int32),
            np.zeros(2, dtype=np.int64),
            np.zeros(2, dtype=bool),
        )
        """Per side (N, P), the batched takes' candidates (`kernels.take_move`): the protons of the band row touching
        the membrane still free of this step's batched takes, by (column, index), in ``cand[side, :n[side]]``,
        their columns in ``cx[side, :n[side]]``; ``ready[side]`` once read this step (`kernels.mouth_ready`).
        Buffers of the lattice's size, filled by the compiled kernels: ``(cand, cx, n, ready)``."""
        self.on_grow: Callable[[np.ndarray], None] | None = None
        """Called with the new indices after `grow` (the world gives them agents and trace identities)."""
        self.kernels: tuple[RingKernel, BandKernel, BandKernel | DomainKernel] | None = None
        """Exact one-step kernels (x ring, N band, P band) once `set_diffusion` is called; None: the lazy walk.
        With a crista the P band's kernel is a `DomainKernel` over its open cells."""
        self.reach: int | None = None
        """Local access (`set_reach`): moves take protons only within this many columns of their site."""

    def set_diffusion(self, lam: float, surface_factor: float = 1.0) -> None:
        """Diffuse free protons by the exact continuous-time walk with `lam` = k·dt hops per direction and step
        (`world.membrane.diffusion`); before this call `diffuse` makes the lazy one-hop walk. `surface_factor` < 1 slows
        hops between each band's mouth row (the membrane surface) and the row behind it by that factor, both
        ways: a surface-to-bulk barrier of −kT·ln f."""
        p_gate = (0, surface_factor) if self.p_rows > 1 else None
        self.kernels = (
            RingKernel(self.width, lam),
            BandKernel(self.n_rows, lam, (self.n_rows - 2, surface_factor) if self.n_rows > 1 else None),
            BandKernel(self.p_rows, lam, p_gate)
            if self.crista is None
            else DomainKernel(self.crista, lam, None if surface_factor == 1.0 else p_gate),
        )

    def set_reach(self, reach: int) -> None:
        """Make `take` local: only free protons in the mouth row within `reach` columns (periodic) of the site,
        including those placed there earlier in the same step, can be taken."""
        self.reach = int(reach)

    @property
    def size(self) -> int:
        """Number of proton equivalents (free, bound and reserve)."""
        return int(self.comp.size)

    def grow(self, k: int) -> np.ndarray:
        """Append `k` reserve equivalents (the reserve ran out); return their indices."""
        start = self.comp.size
        self.comp = np.concatenate([self.comp, np.full(k, RESERVE, dtype=np.int8)])
        self.x = np.concatenate([self.x, np.zeros(k, dtype=np.int32)])
        self.y = np.concatenate([self.y, np.full(k, self.membrane_row, dtype=np.int32)])
        idx = np.arange(start, start + k)
        cand, cx, n, ready = self.mouth
        self.mouth = (
            np.concatenate([cand, np.empty((2, k), dtype=np.int64)], axis=1),
            np.concatenate([cx, np.empty((2, k), dtype=np.int32)], axis=1),
            n,
            ready,
        )
        self.reserve_queue.extend(idx)
        self.counts[RESERVE] += k
        if self.on_grow is not None:
            self.on_grow(idx)
        return idx

    def diffuse(self) -> None:
        """One step of diffusion.

        Lazy walk (no `set_diffusion`): every proton moves ±x (periodic) or ±y or stays, each with probability
        1/5; a step into the membrane row or through a wall is refused (bound and reserve equivalents wander
        too, harmlessly: their position is set when a transporter releases them). Its diffusion coefficient,
        a²/(5·dt), depends on dt.

        Exact walk (after `set_diffusion`): every free proton draws its new column from the ring kernel and its
        new row from its band's kernel (two uniforms per proton equivalent, drawn for all of them so the number
        of draws does not depend on the state); bound and reserve equivalents stay where they are.
        """
        if self.kernels is not None:
            self._diffuse_exact(*self.kernels)
            return
        d = self.rng.integers(0, 5, size=self.comp.size, dtype=np.int8)
        x, y = kernels.lazy_lattice(d, self.x, self.y, self._walk_x, self._walk_y, self.width, self.height)
        if self.crista is not None:  # a hop into the crista's wall is refused, like one into the band's walls
            base = self.membrane_row + 1
            x, row = self.crista.refuse_closed(self.x, self.y - base, x, y - base)
            y = row + base
        self.x, self.y = x, y
        self.positions_changed()

    def _diffuse_exact(self, ring: RingKernel, band_n: BandKernel, band_p: BandKernel | DomainKernel) -> None:
        u = self.rng.random((2, self.comp.size))
        if isinstance(band_p, BandKernel):  # one compiled pass (`kernels.diffuse_lattice`)
            self.x = kernels.diffuse_lattice(
                self.comp, self.x, self.y, u, *ring.tables(), *band_n.tables(), *band_p.tables(), self.membrane_row + 1
            )
            self.positions_changed()
            return
        free = self.comp <= P_SIDE
        p = np.flatnonzero(self.comp == P_SIDE)
        base = self.membrane_row + 1
        if isinstance(band_p, DomainKernel):  # one draw per P proton moves it in both axes
            px, prow = band_p.move(self.x[p], self.y[p] - base, u[0, p])
            free &= self.comp != P_SIDE
        self.x = np.where(free, (self.x + ring.shift(u[0])) % self.width, self.x).astype(np.int32)
        n = np.flatnonzero(self.comp == N_SIDE)
        self.y[n] = band_n.move(self.y[n], u[1, n])
        if isinstance(band_p, DomainKernel):
            self.x[p] = px
            self.y[p] = base + prow
        else:
            self.y[p] = base + band_p.move(self.y[p] - base, u[1, p])
        self.positions_changed()

    def positions_changed(self) -> None:
        """Forget the mouth candidates (call after moving protons by hand, as diffusion does)."""
        self._mouth_cache.clear()
        self._buckets.clear()
        self.mouth[3][:] = False

    def occupancy(self, out: np.ndarray | None = None) -> np.ndarray:
        """Free protons per cell as a ``(width, height)`` array (one compiled pass, `kernels.count_free`), written
        into `out` when given (the grid's proton layer, every step)."""
        if out is None:
            out = np.empty((self.width, self.height), dtype=np.int64)
        kernels.count_free(self.comp, self.x, self.y, out)
        return out

    def closed_cells(self) -> np.ndarray | None:
        """``(width, height)`` mask of the cells no free proton may enter: the P band beyond a crista lumen's
        midplane (None for a flat membrane)."""
        if self.crista is None:
            return None
        out = np.zeros((self.width, self.height), dtype=bool)
        out[:, self.membrane_row + 1 :] = ~self.crista.open.reshape(self.p_rows, self.width).T
        return out

    def _mouth(self, side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Candidates of `side` in the band row touching the membrane, read when the step first draws on the side
        and cached until the next diffusion step: (indices, still-available mask, available count per column
        under local access else None). Every removal from a side goes through `take`, so the cache stays valid
        within a step; protons arriving after it was read become candidates after the next diffusion (under
        local access at once, see `move`)."""
        entry = self._mouth_cache.get(side)
        if entry is None:
            row = self._mouth_row(side)
            cand = np.flatnonzero((self.comp == side) & (self.y == row))
            per_col = None if self.reach is None else np.bincount(self.x[cand], minlength=self.width)
            entry = (cand, np.ones(cand.size, dtype=bool), per_col)
            self._mouth_cache[side] = entry
        return entry

    def take(self, side: int, x0: int, k: int, bulk: bool = False) -> np.ndarray | None:
        """Indices of the `k` free protons of `side` nearest the membrane mouth at column `x0`.

        Candidates are the protons in the band row touching the membrane when the step first draws on the side
        (`_mouth`), nearest in x (periodic) first, ties by proton index (under local access, protons placed at a
        mouth during the step become candidates at once and rank after the others); if that row holds too few,
        the nearest anywhere in the band (ties by index). None if the side
        has fewer than `k`. The rule is exact and the same on every machine: no selection whose ties depend
        on the CPU (numpy's `argpartition` dispatches to SIMD code whose tie order differs between AVX-512,
        AVX2 and baseline builds, which made the chosen protons, and so the trace, machine-dependent).
        The chosen protons are not moved here; `move` does that. With `set_reach` (local access) only the
        mouth row within `reach` columns counts, nearest first (ties by candidate order), unless `bulk` (a
        process that is not a membrane site, such as the matrix dehydrogenases).
        """
        if k == 0:
            return np.empty(0, dtype=np.int64)
        if self.counts[side] < k:
            return None
        if self.reach is not None and not bulk:
            return self._take_local(side, x0, k)
        if self.reach is None:
            return self._take_bulk(side, x0, k)
        # a bulk process (the dehydrogenases) under local access: the mouth row with its per-column counts
        cand, avail, per_col = self._mouth(side)
        if int(avail.sum()) >= k:
            dx = np.abs(self.x[cand] - x0)
            dx = np.minimum(dx, self.width - dx) + np.where(avail, 0, 4 * self.width)
            pick = np.argsort(dx, kind="stable")[:k]
            avail[pick] = False
            chosen = cand[pick]
        else:
            chosen = self._nearest_in_band(side, x0, k)
            avail[np.isin(cand, chosen)] = False
        if per_col is not None:
            per_col[:] = np.bincount(self.x[cand[avail]], minlength=self.width)
        return chosen

    def _nearest_in_band(self, side: int, x0: int, k: int) -> np.ndarray:
        """The `k` free protons of `side` nearest the mouth cell at column `x0` anywhere in the band (lattice
        distance: periodic columns plus rows from the mouth row), ties by index; the side holds at least `k`.
        The k-th smallest distance is found by value (`np.partition`, whose result does not depend on how it
        is computed), then every nearer proton and the lowest-index ones at that distance are taken."""
        row = self._mouth_row(side)
        allc = np.flatnonzero(self.comp == side)
        dx = np.abs(self.x[allc] - x0)
        dist = np.minimum(dx, self.width - dx) + np.abs(self.y[allc] - row)
        vk = np.partition(dist, k - 1)[k - 1]
        less = np.flatnonzero(dist < vk)
        sel = np.concatenate([less, np.flatnonzero(dist == vk)[: k - less.size]])
        return allc[sel[np.argsort(dist[sel], kind="stable")]]

    def _take_bulk(self, side: int, x0: int, k: int) -> np.ndarray:
        """`take` without a reach: the mouth row's candidates bucketed by column (in index order, read once per
        step and side), a column's taken ones always its lowest indices (every column a taker reaches is taken
        from in index order), so each bucket is a list and a count taken; a take walks outwards from `x0`."""
        b = self._buckets.get(side)
        if b is None:
            cand = self._mouth(side)[0]
            xs = self.x[cand]
            order = np.argsort(xs, kind="stable")
            starts = np.searchsorted(xs[order], np.arange(self.width + 1)).tolist()
            b = [cand[order].tolist(), starts, [0] * self.width, int(cand.size), None]
            self._buckets[side] = b
        idx, starts, head, left, _ = b
        if left < k:
            chosen = self._nearest_in_band(side, x0, k)
            if b[4] is None:  # bucket position of every candidate, for this rare path only
                b[4] = {i: p for p, i in enumerate(idx)}
            where = b[4]
            for i in chosen.tolist():
                p = where.get(i)
                if p is None:
                    continue
                c = bisect.bisect_right(starts, p) - 1  # its bucket (not its x: it may have left and come back)
                if p >= starts[c] + head[c]:  # still available, so the next one of its bucket (prefix property)
                    assert p == starts[c] + head[c], "mouth bucket taken out of index order"
                    head[c] += 1
                    b[3] -= 1
            return chosen
        w = self.width
        out: list[int] = []
        need = k
        for d in range(w // 2 + 1):
            a = (x0 + d) % w
            c = (x0 - d) % w
            ia, ea = starts[a] + head[a], starts[a + 1]
            if a == c:
                m = min(need, ea - ia)
                if m:
                    out.extend(idx[ia : ia + m])
                    head[a] += m
                    need -= m
            else:
                ic, ec = starts[c] + head[c], starts[c + 1]
                while need and (ia < ea or ic < ec):
                    if ic >= ec or (ia < ea and idx[ia] < idx[ic]):
                        out.append(idx[ia])
                        ia += 1
                        head[a] += 1
                    else:
                        out.append(idx[ic])
                        ic += 1
                        head[c] += 1
                    need -= 1
            if not need:
                break
        b[3] -= k
        return np.array(out, dtype=np.int64)

    def mouth_counts(self, side: int) -> np.ndarray:
        """Protons of `side` that `take` could still hand out, per column within `reach` of it: element x is
        the count a site at column x sees (requires `set_reach`)."""
        per_col = self._mouth(side)[2]
        assert per_col is not None and self.reach is not None
        r = self.reach
        if 2 * r + 1 >= self.width:
            return np.full(self.width, per_col.sum())
        csum = np.concatenate([[0], np.cumsum(np.concatenate([per_col[self.width - r :], per_col, per_col[:r]]))])
        return csum[2 * r + 1 :] - csum[: self.width]

    def available_near(self, side: int, x0: int) -> int:
        """Protons of `side` that `take` could still hand out to a site at column `x0` (requires `set_reach`)."""
        per_col = self._mouth(side)[2]
        assert per_col is not None and self.reach is not None
        if 2 * self.reach + 1 >= self.width:
            return int(per_col.sum())
        return int(per_col.take(np.arange(x0 - self.reach, x0 + self.reach + 1), mode="wrap").sum())

    def _take_local(self, side: int, x0: int, k: int) -> np.ndarray | None:
        cand, avail, per_col = self._mouth(side)
        dx = np.abs(self.x[cand] - x0)
        dx = np.minimum(dx, self.width - dx)
        ok = np.flatnonzero(avail & (dx <= self.reach))
        if ok.size < k:
            return None
        pick = ok[np.argsort(dx[ok], kind="stable")[:k]]
        avail[pick] = False
        assert per_col is not None
        np.subtract.at(per_col, self.x[cand[pick]], 1)
        return cand[pick]

    def move(self, idx: np.ndarray, dst: int, x0: int) -> None:
        """Put protons `idx` into compartment `dst` at the membrane mouth of column `x0`."""
        if idx.size == 0:
            return
        self.mouth[3][:] = False
        if idx.size == 1:
            self.counts[self.comp[idx[0]]] -= 1
        else:
            np.subtract.at(self.counts, self.comp[idx].astype(np.int64), 1)
        self.counts[dst] += idx.size
        self.comp[idx] = dst
        self.x[idx] = x0
        self.y[idx] = self._mouth_row(dst)
        if self.reach is not None and dst <= P_SIDE and dst in self._mouth_cache:
            cand, avail, per_col = self._mouth_cache[dst]
            assert per_col is not None
            per_col[x0] += idx.size
            self._mouth_cache[dst] = (
                np.concatenate([cand, idx]),
                np.concatenate([avail, np.ones(idx.size, bool)]),
                per_col,
            )

    def move_many(self, idx: np.ndarray, dst: int, xs: np.ndarray) -> None:
        """Put protons `idx` into compartment `dst`, each at the membrane mouth of its column in `xs` (bulk
        access; the mouth candidates of `take` are forgotten)."""
        if idx.size == 0:
            return
        kernels.move(idx, self.comp, self.x, self.y, self.counts, xs, dst, self._mouth_row(dst))
        self._mouth_cache.clear()  # `take`'s candidates are read again; the batched takes' stay (arrivals join later)
        self._buckets.clear()

    def _mouth_row(self, compartment: int) -> int:
        """Row of a proton put into `compartment` at the membrane: the band row touching it on a side, the
        membrane row itself when bound or in the reserve."""
        return self.membrane_row + (-1 if compartment == N_SIDE else 1 if compartment == P_SIDE else 0)

    def batch_args(self) -> tuple:
        """What the compiled batched passes (`kernels`) take of the lattice, in their order: the batched takes'
        buffers (`mouth`), then ``comp``, ``x``, ``y``, ``counts``, ``width`` and ``membrane_row``."""
        return (*self.mouth, self.comp, self.x, self.y, self.counts, self.width, self.membrane_row)

    def batch_moved(self) -> None:
        """Protons were moved by a compiled batched pass: `take`'s candidates are read again (the batched takes'
        stay, as after `move_many`)."""
        self._mouth_cache.clear()
        self._buckets.clear()

    def produce(self, k: int) -> np.ndarray:
        """Take `k` equivalents from the reserve (growing it if empty), in FIFO order; still RESERVE."""
        short = k - len(self.reserve_queue)
        if short > 0:
            self.grow(max(short, 64))
        return self.reserve_queue.take(k)

    def consume(self, idx: np.ndarray) -> None:
        """Return equivalents `idx` (bound in a product) to the reserve."""
        self.move(idx, RESERVE, 0)
        self.reserve_queue.extend(idx)
