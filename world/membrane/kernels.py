"""Compiled kernels (numba, cached on disk) of the membrane world's step: the batched site moves
(``site_events="batch"``, `world.membrane.batch`), a site class's rates, the lattice walks and the grid's property
layers.

Key names: a class's turn `class_turn` (its rates, `draw_moves`, `accept_moves`); the building blocks
`match_sorted`, `column_order`, `carriers_sorted`, `round_robin`, `mouth_candidates`, `mouth_ready`,
`take_move`, `move`, `put_rows`, `put_proton_rows`, `water_forward`, `water_backward_plan`,
`water_backward_release`; one class's batched pass `quinone_pass` (complexes I and II), `complex3_pass`,
`complex4_forward`, `complex4_backward`, `rotor_boundaries`, `rotor_accept`, `synthase_pass`, `crosses`,
`hop_pass` (the one-proton transporters and the leak); rates `class_rates` (with `dG_parts`, `python_sum3`,
`sigmoid_neg`); walks `diffuse_lattice`, `ring_step`, `band_step` (exact), `lazy_lattice`, `lazy_ring`,
`lazy_band` (lazy), `alias_pick`; a pass's energy `pass_energy`, `pass_heat` (with `change_parts`,
`constant_parts`, `covers`); layers `count_layers`, `count_free`, `count_carriers`.

At enzyme density a step makes hundreds of small moves, and their cost was the Python and numpy call overhead
of each, not the arithmetic. So a batched class's whole direction — its carriers matched by column, its protons
taken from the mouth rows and moved, its carriers' states, complex IV's water bookkeeping, the rotors — is one
call that also writes the trace rows into the moves' row buffer (`world.membrane.moves.RowBuffer`) and
computes the batch's energy before its moves (`pass_energy`: `ChemState.dG_parts`' operations on the pools'
numpy mirror); Python books that energy and the counters afterwards (`ChemState.booked`, `add`). A class's two
rates are one call too (`class_rates`: the exact ΔG of each direction with ln Γ from CPython's own values, the
rate law, and Python's compensated ``sum`` written out, so the floats are those of the Python formulation).

Every kernel gives exactly what the numpy and Python formulation it replaced gave: the kernels' own tests
compare them on random inputs, and the traces and counters of batched and one-by-one worlds hash the same as
before each change (`tests/membrane/test_batch.py` pins a batched world's digests). A class's turn is one call
too: its rates, its moves drawn from the run's own generator (`world.membrane.draws`: numpy's algorithms on the
generator's bit generator, the numbers and the state numpy's calls give), their round-robin order and how many of
the forward moves the state allows. The walks take the uniforms numpy drew.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from world.constants import E_CHARGE
from world.membrane.draws import bounded_integer, poisson_fill

_CACHE = True


@njit(cache=_CACHE)
def match_sorted(cx: np.ndarray, req_x: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Positions in the sorted candidate columns `cx` given to requests at columns `req_x`: the monotone
    matching of `world.membrane.geometry.match_by_column` on presorted candidates, compiled."""
    d = req_x.size
    req = np.argsort(req_x, kind="mergesort")
    out = np.empty(d, dtype=np.int64)
    run = np.iinfo(np.int64).min
    n = cx.size
    for j in range(d):
        first = np.searchsorted(cx, req_x[req[j]])
        if first - j > run:
            run = first - j
        pick = j + run
        last = n - d + j
        out[req[j]] = pick if pick < last else last
    return out


@njit(cache=_CACHE)
def column_order(x: np.ndarray, width: int) -> np.ndarray:  # pragma: no cover - compiled
    """Indices of `x` (columns in ``0 … width−1``) by (column, index): a stable argsort, as a counting sort."""
    start = np.zeros(width + 1, dtype=np.int64)
    for i in range(x.size):
        start[x[i] + 1] += 1
    for c in range(width):
        start[c + 1] += start[c]
    order = np.empty(x.size, dtype=np.int64)
    for i in range(x.size):
        order[start[x[i]]] = i
        start[x[i]] += 1
    return order


@njit(cache=_CACHE)
def carriers_sorted(
    order: np.ndarray, x_sorted: np.ndarray, red: np.ndarray, reduced: bool, req_x: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """Indices of the carriers in the `reduced` state matched to requests at `req_x` by column: `order` is every
    carrier by (column, index), `x_sorted` their columns in that order (`match_by_column` on presorted
    candidates)."""
    n = 0
    for k in range(order.size):
        if red[order[k]] == reduced:
            n += 1
    cand = np.empty(n, dtype=np.int64)
    cx = np.empty(n, dtype=x_sorted.dtype)
    n = 0
    for k in range(order.size):
        if red[order[k]] == reduced:
            cand[n] = order[k]
            cx[n] = x_sorted[k]
            n += 1
    return cand[match_sorted(cx, req_x)]


@njit(cache=_CACHE)
def round_robin(counts: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Site index and rank (0 for a site's first move, …) of every move of a batch, `counts` moves per site,
    ranked round-robin (`world.membrane.batch`, rule 1): all first moves, then all second moves, …, each round in
    site order from `start` (wrapping)."""
    n = counts.size
    total = 0
    rounds = 0
    for i in range(n):
        total += counts[i]
        if counts[i] > rounds:
            rounds = counts[i]
    sites = np.empty(total, dtype=np.int64)
    ranks = np.empty(total, dtype=np.int64)
    k = 0
    for r in range(rounds):
        for s in range(n):
            i = (start + s) % n
            if counts[i] > r:
                sites[k] = i
                ranks[k] = r
                k += 1
    return sites, ranks


@njit(cache=_CACHE)
def draw_moves(
    g: np.ndarray, kf: float, kb: float, dt: float, n: int
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """A batched class's moves this step (`world.membrane.batch`, rule 1) from its rates `kf`, `kb` (1/s) at its
    `n` sites, drawn from the run's generator (`world.membrane.draws`, `g`) as ``rng.poisson(kf·dt, n)``,
    ``rng.poisson(kb·dt, n)`` and, when any site moves, ``rng.integers(n)`` for the round-robin's start: (1, then
    `round_robin` of the forward and of the backward counts), or (0, four empty arrays) when no site moves
    (nothing drawn when both rates are 0)."""
    none = np.empty(0, dtype=np.int64)
    if kf == 0.0 and kb == 0.0:
        return 0, none, none, none, none
    nf = poisson_fill(g, kf * dt, n)
    nb = poisson_fill(g, kb * dt, n)
    moving = False
    for i in range(n):
        if nf[i] or nb[i]:
            moving = True
            break
    if not moving:
        return 0, none, none, none, none
    start = bounded_integer(g, n)
    sf, rf = round_robin(nf, start)
    sb, rb = round_robin(nb, start)
    return 1, sf, rf, sb, rb


@njit(cache=_CACHE)
def class_turn(
    g: np.ndarray,
    dt: float,
    n: int,
    k: float,
    pools: np.ndarray,
    counts: np.ndarray,
    charge: int,
    spec: tuple,
    forward: np.ndarray,
) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """`class_rates` (ceiling `k`; `spec` its constant arguments), `draw_moves`, and how many of the forward
    moves the state allows (`accept_moves` of the packed change `forward`; −1 when `forward` is empty), in one
    call: (status, accepted forward moves, forward sites and ranks, backward sites and ranks), status −1 without
    a draw when ln Γ's table does not cover the counts (the caller extends it and calls again)."""
    kf, kb = class_rates(k, pools, counts, charge, *spec)
    if kf != kf:
        none = np.empty(0, dtype=np.int64)
        return -1, -1, none, none, none, none
    moving, sf, rf, sb, rb = draw_moves(g, kf, kb, dt, n)
    a = accept_moves(forward, 1, counts, pools, sf.size) if forward.size else -1
    return moving, a, sf, rf, sb, rb


@njit(cache=_CACHE)
def accept_moves(
    change: np.ndarray, direction: int, counts: np.ndarray, pools: np.ndarray, m: int
) -> int:  # pragma: no cover - compiled
    """`MembraneSite.accept_many`: how many of `m` moves in `direction`, each consuming what the packed forward
    `change` (`change_parts`) says, the free protons on each side and the pools allow, taken in order."""
    _, dn_n, dn_p, _, mol_index, mol_d = change_parts(change)
    a = m
    need = -direction * dn_n
    if need > 0:
        a = min(a, counts[0] // need)
    need = -direction * dn_p
    if need > 0:
        a = min(a, counts[1] // need)
    for i in range(mol_index.size):
        need = -direction * mol_d[i]
        if need > 0:
            a = min(a, pools[mol_index[i]] // need)
    return a


@njit(cache=_CACHE)
def mouth_candidates(
    comp: np.ndarray, x: np.ndarray, y: np.ndarray, side: int, row: int, width: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """The protons of compartment `side` in band row `row`, sorted by (column, index) (a counting sort), and
    their columns. The row is tested first: few protons are in it, so the branch is well predicted."""
    hit = np.empty(comp.size, dtype=np.int64)
    k = 0
    r = y.dtype.type(row)
    for i in range(comp.size):
        if y[i] == r:
            hit[k] = i
            k += 1
    s = comp.dtype.type(side)
    per_col = np.zeros(width + 1, dtype=np.int64)
    n = 0
    for t in range(k):
        i = hit[t]
        if comp[i] == s:
            hit[n] = i
            n += 1
            per_col[x[i] + 1] += 1
    for c in range(width):
        per_col[c + 1] += per_col[c]
    cand = np.empty(n, dtype=np.int64)
    cx = np.empty(n, dtype=x.dtype)
    for t in range(n):
        i = hit[t]
        j = per_col[x[i]]
        cand[j] = i
        cx[j] = x[i]
        per_col[x[i]] += 1
    return cand, cx


@njit(cache=_CACHE)
def mouth_ready(
    cand: np.ndarray,
    cx: np.ndarray,
    n_free: np.ndarray,
    ready: np.ndarray,
    comp: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    side: int,
    width: int,
    membrane_row: int,
) -> None:  # pragma: no cover - compiled
    """Read `side`'s batched-take candidates into the lattice's buffers if this step has not yet
    (`world.membrane.geometry.ProtonLattice` ``mouth``): the protons in the band row touching the membrane by
    (column, index) into ``cand[side]``, their columns into ``cx[side]``, their number into ``n_free[side]``
    (``cand[side, :n_free[side]]`` are the still free ones, in that order)."""
    if ready[side]:
        return
    row = membrane_row - 1 if side == 0 else membrane_row + 1
    c, cc = mouth_candidates(comp, x, y, side, row, width)
    cand[side, : c.size] = c
    cx[side, : c.size] = cc
    n_free[side] = c.size
    ready[side] = True


@njit(cache=_CACHE)
def take_move(
    lat: tuple,
    side: int,
    xs: np.ndarray,
    dst: int,
) -> np.ndarray:  # pragma: no cover - compiled
    """The batched site moves' take (`world.membrane.batch`, bulk access): one free proton of `side` per request
    column of `xs`, moved into `dst` at its request's column (`move`); returns them, in the order of `xs`. The
    candidates are the side's protons in the band row touching the membrane when the step's batched moves first
    draw on the side (`mouth_ready`; read again after a one-by-one `ProtonLattice.move`, otherwise arrivals join
    after the next diffusion, as for `ProtonLattice.take`), ordered by column and index and matched to the
    requests by column (`match_sorted`); those taken are no longer free. When that row holds too few, every free
    proton of the side is a candidate. The side must hold at least ``len(xs)``. `lat` is
    `ProtonLattice.batch_args`."""
    cand, cx, n_free, ready, comp, x, y, counts, width, membrane_row = lat
    d = xs.size
    if d == 0:
        return np.empty(0, dtype=np.int64)
    mouth_ready(cand, cx, n_free, ready, comp, x, y, side, width, membrane_row)
    nf = n_free[side]
    c = cand[side]
    if nf >= d:
        pos = match_sorted(cx[side, :nf], xs)
        idx = c[pos]
        keep = np.ones(nf, dtype=np.bool_)
        keep[pos] = False
    else:  # too few at the mouth: every free proton of the side, by (column, index)
        every = np.flatnonzero(comp == side)
        if every.size < d:
            raise ValueError("a batched take asked for more protons than the side holds")
        ex = x[every]
        order = np.argsort(ex, kind="mergesort")
        idx = every[order][match_sorted(ex[order], xs)]
        chosen = np.zeros(comp.size, dtype=np.bool_)
        chosen[idx] = True
        keep = np.empty(nf, dtype=np.bool_)
        for k in range(nf):
            keep[k] = not chosen[c[k]]
    j = 0
    for k in range(nf):  # the free candidates stay in (column, index) order at the front
        if keep[k]:
            c[j] = c[k]
            cx[side, j] = cx[side, k]
            j += 1
    n_free[side] = j
    y_dst = membrane_row - 1 if dst == 0 else membrane_row + 1 if dst == 1 else membrane_row
    move(idx, comp, x, y, counts, xs, dst, y_dst)
    return idx


@njit(cache=_CACHE)
def move(
    idx: np.ndarray,
    comp: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    counts: np.ndarray,
    xs: np.ndarray,
    dst: int,
    y_dst: int,
) -> None:  # pragma: no cover - compiled
    """`ProtonLattice.move_many`'s array updates: protons `idx` into compartment `dst` at columns `xs`, row
    `y_dst`."""
    for k in range(idx.size):
        i = idx[k]
        counts[comp[i]] -= 1
        comp[i] = dst
        x[i] = xs[k]
        y[i] = y_dst
    counts[dst] += idx.size


@njit(cache=_CACHE)
def water_forward(
    sites: np.ndarray, h: np.ndarray, held: np.ndarray, n_held: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Complex IV's forward moves (`ComplexIV.fire_many`): move k of site ``sites[k]`` bound protons
    ``h[2k], h[2k + 1]``. Site by site (ascending), the protons it held (``held[i, :n_held[i]]``) and its new ones
    in move order become water four at a time; the rest stay held. Returns the protons made water (four per O₂,
    site by site) and the site of each O₂."""
    n = held.shape[0]
    per_site = np.zeros(n, dtype=np.int64)
    for k in range(sites.size):
        per_site[sites[k]] += 1
    by_site = np.argsort(sites, kind="mergesort")
    water = np.empty(int(n_held.sum()) + 2 * sites.size, dtype=np.int64)
    o2 = np.empty(water.size // 4, dtype=np.int64)
    tmp = np.empty(held.shape[1] + 2 * sites.size, dtype=np.int64)
    nw = 0
    no2 = 0
    j = 0
    for i in range(n):
        c = per_site[i]
        if c == 0:
            continue
        t = n_held[i]
        tmp[:t] = held[i, :t]
        for r in range(c):
            k = by_site[j + r]
            tmp[t] = h[2 * k]
            tmp[t + 1] = h[2 * k + 1]
            t += 2
        j += c
        w = t // 4
        water[nw : nw + 4 * w] = tmp[: 4 * w]
        nw += 4 * w
        o2[no2 : no2 + w] = i
        no2 += w
        rest = t - 4 * w
        held[i, :rest] = tmp[4 * w : t]
        n_held[i] = rest
    return water[:nw], o2[:no2]


@njit(cache=_CACHE)
def water_backward_plan(
    sites: np.ndarray, n_held: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Complex IV's backward moves, first part: the sites that move (ascending), the bound protons each must
    release (2 per move) and the waters each must first turn back into 4 bound protons (as few as cover what it
    lacks)."""
    n = n_held.size
    per_site = np.zeros(n, dtype=np.int64)
    for k in range(sites.size):
        per_site[sites[k]] += 1
    busy = np.flatnonzero(per_site)
    need = 2 * per_site[busy]
    waters = np.empty(busy.size, dtype=np.int64)
    for b in range(busy.size):
        lack = need[b] - n_held[busy[b]]
        waters[b] = (lack + 3) // 4 if lack > 0 else 0
    return busy, need, waters


@njit(cache=_CACHE)
def water_backward_release(
    busy: np.ndarray, need: np.ndarray, waters: np.ndarray, made: np.ndarray, held: np.ndarray, n_held: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """Complex IV's backward moves, second part: each moving site adds the protons of its waters turned back
    (`made`, four per water, site by site) to those it holds and releases the most recently bound `need`.
    Returns the released protons, site by site."""
    out = np.empty(int(need.sum()), dtype=np.int64)
    tmp = np.empty(held.shape[1] + 4 * int(waters.max()) if waters.size else held.shape[1], dtype=np.int64)
    j = 0
    o = 0
    for b in range(busy.size):
        i = busy[b]
        t = n_held[i]
        tmp[:t] = held[i, :t]
        w4 = 4 * waters[b]
        tmp[t : t + w4] = made[j : j + w4]
        t += w4
        j += w4
        k = need[b]
        out[o : o + k] = tmp[t - k : t]
        o += k
        held[i, : t - k] = tmp[: t - k]
        n_held[i] = t - k
    return out


@njit(cache=_CACHE)
def count_free(comp: np.ndarray, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """Free protons (compartment N or P) per cell into `out` (``(width, height)``, zeroed first): the counts of
    `ProtonLattice.occupancy`."""
    out[:, :] = 0
    for i in range(comp.size):
        if comp[i] <= 1:
            out[x[i], y[i]] += 1


@njit(cache=_CACHE)
def count_layers(
    comp: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    protons: np.ndarray,
    qx: np.ndarray,
    membrane_row: int,
    quinones: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
    cytc: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """`count_free` and `count_carriers` in one call (the grid's three layers, every step)."""
    count_free(comp, x, y, protons)
    count_carriers(qx, membrane_row, quinones, cx, cy, cytc)


@njit(cache=_CACHE)
def count_carriers(
    qx: np.ndarray, membrane_row: int, quinones: np.ndarray, cx: np.ndarray, cy: np.ndarray, cytc: np.ndarray
) -> None:  # pragma: no cover - compiled
    """The carriers per cell into the grid's layers (`world.membrane.observe.refresh_layers`; each
    ``(width, height)``, zeroed first): the quinones at columns `qx` in the membrane row of `quinones`, the
    cytochromes c at (`cx`, `cy`) in `cytc`."""
    quinones[:, :] = 0
    for i in range(qx.size):
        quinones[qx[i], membrane_row] += 1
    cytc[:, :] = 0
    for i in range(cx.size):
        cytc[cx[i], cy[i]] += 1


# ---------------------------------------------------------------- one class's batched pass in one call


@njit(cache=_CACHE)
def put_rows(
    dest: tuple,
    n: int,
    code: int,
    ids: np.ndarray,
    xs: np.ndarray,
    heat: float,
) -> int:  # pragma: no cover - compiled
    """Write one trace row per entry of `ids` into a `world.membrane.moves.RowBuffer`'s arrays `dest` (sig, eid,
    pos, energy) from row `n`: signature `code`, entity `ids[k]`, column `xs[k]`, and `heat` as energy unless NaN
    (a signature whose energy is null). Returns the new row count. The caller made room (`RowBuffer.room`);
    writing past it raises (compiled code does not check bounds on its own)."""
    sig, eid, pos, energy = dest
    if n + ids.size > sig.size:
        raise IndexError("trace rows written past the row buffer's room")
    for k in range(ids.size):
        sig[n + k] = code
        eid[n + k] = ids[k]
        pos[n + k] = xs[k]
    if not np.isnan(heat):
        energy[n : n + ids.size] = heat
    return n + ids.size


@njit(cache=_CACHE)
def put_proton_rows(
    dest: tuple,
    n: int,
    code: int,
    uid: np.ndarray,
    idx: np.ndarray,
    xs: np.ndarray,
    heat: float,
) -> int:  # pragma: no cover - compiled
    """`put_rows` for protons `idx`, each row's entity the proton's Mesa id ``uid[idx[k]]``."""
    return put_rows(dest, n, code, uid[idx], xs, heat)


@njit(cache=_CACHE)
def quinone_pass(
    fwd: bool,
    produced: int,
    pumped: int,
    quinones: tuple,
    lat: tuple,
    xs: np.ndarray,
    site_ids: np.ndarray,
    made: np.ndarray,
    rows: tuple,
    codes: tuple[int, int, int, int],
    en: tuple,
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, float, float, float, bool]:  # pragma: no cover - compiled
    """The moves of a batch of complex I or II turnovers (`agents.complexes`, ``_quinone_turnover_many``), one
    per request column of `xs`, in the order the one-by-one moves make them, with their trace rows (written
    into the row buffer's arrays from row `n` with signatures `codes`, three proton groups then the sites'
    ``redox`` rows with `heat` each). Forward: a quinone per move (`carriers_sorted`), `made` (``produced`` per
    move, from the reserve) into N, ``pumped`` per move N → P, 2 per move N → the quinone, now QH₂. Backward: a
    QH₂ per move, its 2 protons into N, ``pumped`` per move P → N, ``produced`` per move N → reserve. Returns
    the new row count and the three proton groups, in row order."""
    q_order, q_x, q_red, q_h = quinones
    comp, x, y, counts, membrane_row = lat[4], lat[5], lat[6], lat[7], lat[9]
    uid, dest, n = rows[0], rows[1:5], rows[5]
    ok, heat, e_r, e_p, e_a = pass_heat(en, counts, xs.size)
    if not ok:  # ln Γ's table too short: nothing done (the caller extends it and calls again)
        return n, nothing(), nothing(), nothing(), 0.0, 0.0, 0.0, False
    m = xs.size
    qi = carriers_sorted(q_order, q_x, q_red, not fwd, xs)
    x2 = np.repeat(xs, 2)
    xp = np.repeat(xs, pumped)
    xr = np.repeat(xs, produced)
    mem = membrane_row
    if fwd:
        move(made, comp, x, y, counts, xr, 0, mem - 1)
        a, xa = made, xr
        b = take_move(lat, 0, xp, 1)
        c = take_move(lat, 0, x2, 2)
        for k in range(m):
            q_red[qi[k]] = True
            q_h[qi[k], 0] = c[2 * k]
            q_h[qi[k], 1] = c[2 * k + 1]
        xc = x2
    else:
        a = np.empty(2 * m, dtype=np.int64)
        for k in range(m):
            a[2 * k] = q_h[qi[k], 0]
            a[2 * k + 1] = q_h[qi[k], 1]
            q_red[qi[k]] = False
            q_h[qi[k], 0] = -1
            q_h[qi[k], 1] = -1
        move(a, comp, x, y, counts, x2, 0, mem - 1)
        xa = x2
        b = take_move(lat, 1, xp, 0)
        c = take_move(lat, 0, xr, 3)
        xc = xr
    n = put_proton_rows(dest, n, codes[0], uid, a, xa, np.nan)
    n = put_proton_rows(dest, n, codes[1], uid, b, xp, np.nan)
    n = put_proton_rows(dest, n, codes[2], uid, c, xc, np.nan)
    n = put_rows(dest, n, codes[3], site_ids, xs, heat)
    return n, a, b, c, e_r, e_p, e_a, True


@njit(cache=_CACHE)
def complex3_pass(
    fwd: bool,
    quinones: tuple,
    cytc: tuple,
    lat: tuple,
    xs: np.ndarray,
    site_ids: np.ndarray,
    rows: tuple,
    codes: tuple[int, int, int],
    en: tuple,
) -> tuple[int, np.ndarray, np.ndarray, float, float, float, bool]:  # pragma: no cover - compiled
    """A batch of complex III turnovers (`agents.complexes.ComplexIII.fire_many`), with their rows (two ``pump``
    groups, then ``redox``). Forward: a QH₂ per move and 2 cytochromes c³⁺; the QH₂'s 2 protons into P, 2 per
    move N → P; the quinone is Q and the cytochromes c²⁺. Backward: a Q per move and 2 c²⁺; 2 per move P → N,
    2 per move P → the quinone, now QH₂; the cytochromes c³⁺. Returns the new row count and the two proton
    groups."""
    q_order, q_x, q_red, q_h = quinones
    c_order, c_x, c_red = cytc
    comp, x, y, counts, membrane_row = lat[4], lat[5], lat[6], lat[7], lat[9]
    uid, dest, n = rows[0], rows[1:5], rows[5]
    ok, heat, e_r, e_p, e_a = pass_heat(en, counts, xs.size)
    if not ok:  # ln Γ's table too short: nothing done (the caller extends it and calls again)
        return n, nothing(), nothing(), 0.0, 0.0, 0.0, False
    m = xs.size
    qi = carriers_sorted(q_order, q_x, q_red, fwd, xs)
    x2 = np.repeat(xs, 2)
    cs = carriers_sorted(c_order, c_x, c_red, not fwd, x2)
    mem = membrane_row
    if fwd:
        a = np.empty(2 * m, dtype=np.int64)
        for k in range(m):
            a[2 * k] = q_h[qi[k], 0]
            a[2 * k + 1] = q_h[qi[k], 1]
            q_red[qi[k]] = False
            q_h[qi[k], 0] = -1
            q_h[qi[k], 1] = -1
        move(a, comp, x, y, counts, x2, 1, mem + 1)
        b = take_move(lat, 0, x2, 1)
    else:
        a = take_move(lat, 1, x2, 0)
        b = take_move(lat, 1, x2, 2)
        for k in range(m):
            q_red[qi[k]] = True
            q_h[qi[k], 0] = b[2 * k]
            q_h[qi[k], 1] = b[2 * k + 1]
    for k in range(cs.size):
        c_red[cs[k]] = fwd
    n = put_proton_rows(dest, n, codes[0], uid, a, x2, np.nan)
    n = put_proton_rows(dest, n, codes[1], uid, b, x2, np.nan)
    n = put_rows(dest, n, codes[2], site_ids, xs, heat)
    return n, a, b, e_r, e_p, e_a, True


@njit(cache=_CACHE)
def complex4_forward(
    sites: np.ndarray,
    held: np.ndarray,
    n_held: np.ndarray,
    cytc: tuple,
    lat: tuple,
    x_all: np.ndarray,
    ids_all: np.ndarray,
    rows: tuple,
    codes: tuple[int, int, int, int, int],
    en: tuple,
) -> tuple[
    int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float, float, bool
]:  # pragma: no cover - compiled
    """A batch of complex IV turnovers forward (`agents.complexes.ComplexIV.fire_many`) at sites `sites` (rows
    of `held`), with their rows: 2 cytochromes c²⁺ per move become c³⁺, 2 per move N → P (``pump``), 2 per move
    N → the O₂ intermediate (``h_bind``), every four bound protons of a site water (`water_forward`;
    ``h_consumed`` rows, the protons to the reserve at column 0 and the batched takes' candidates read again, as
    a one-by-one move does), then ``o2_reduced`` and ``redox`` rows. Returns the new row count, the pumped and
    bound protons, the protons made water and the site of each O₂."""
    c_order, c_x, c_red = cytc
    comp, x, y, counts, membrane_row = lat[4], lat[5], lat[6], lat[7], lat[9]
    uid, dest, n = rows[0], rows[1:5], rows[5]
    ok, heat, e_r, e_p, e_a = pass_heat(en, counts, sites.size)
    if not ok:  # ln Γ's table too short: nothing done (the caller extends it and calls again)
        return n, nothing(), nothing(), nothing(), nothing(), 0.0, 0.0, 0.0, False
    xs = x_all[sites]
    x2 = np.repeat(xs, 2)
    cs = carriers_sorted(c_order, c_x, c_red, True, x2)
    mem = membrane_row
    a = take_move(lat, 0, x2, 1)
    b = take_move(lat, 0, x2, 2)
    water, o2 = water_forward(sites, b, held, n_held)
    n = put_proton_rows(dest, n, codes[0], uid, a, x2, np.nan)
    n = put_proton_rows(dest, n, codes[1], uid, b, x2, np.nan)
    if o2.size:
        n = put_proton_rows(dest, n, codes[2], uid, water, np.repeat(x_all[o2], 4), np.nan)
        move(water, comp, x, y, counts, np.zeros(water.size, dtype=x.dtype), 3, mem)
        lat[3][:] = False  # the batched takes' candidates are read again (`ProtonLattice.mouth` ready)
        n = put_rows(dest, n, codes[3], ids_all[o2], x_all[o2], np.nan)
    for k in range(cs.size):
        c_red[cs[k]] = False
    n = put_rows(dest, n, codes[4], ids_all[sites], xs, heat)
    return n, a, b, water, o2, e_r, e_p, e_a, True


@njit(cache=_CACHE)
def complex4_backward(
    sites: np.ndarray,
    busy: np.ndarray,
    need: np.ndarray,
    waters: np.ndarray,
    made: np.ndarray,
    held: np.ndarray,
    n_held: np.ndarray,
    cytc: tuple,
    lat: tuple,
    x_all: np.ndarray,
    ids_all: np.ndarray,
    rows: tuple,
    codes: tuple[int, int, int, int, int],
    en: tuple,
) -> tuple[int, np.ndarray, np.ndarray, float, float, float, bool]:  # pragma: no cover - compiled
    """A batch of complex IV turnovers backward at sites `sites`, after `water_backward_plan` (`busy`, `need`,
    `waters`) and with `made` (4 per water, from the reserve): the waters turned back into bound protons
    (``h_consumed`` rows, value −1, and ``o2_reduced`` rows), the most recently bound protons released into N
    (`water_backward_release`; ``h_bind``), 2 per move P → N (``pump``), 2 cytochromes c³⁺ per move become
    c²⁺, then ``redox`` rows. Returns the new row count, the released and the pumped protons."""
    c_order, c_x, c_red = cytc
    comp, x, y, counts, membrane_row = lat[4], lat[5], lat[6], lat[7], lat[9]
    uid, dest, n = rows[0], rows[1:5], rows[5]
    ok, heat, e_r, e_p, e_a = pass_heat(en, counts, sites.size)
    if not ok:  # ln Γ's table too short: nothing done (the caller extends it and calls again)
        return n, nothing(), nothing(), 0.0, 0.0, 0.0, False
    xs = x_all[sites]
    x2 = np.repeat(xs, 2)
    cs = carriers_sorted(c_order, c_x, c_red, False, x2)
    mem = membrane_row
    o2 = np.repeat(busy, waters)
    if o2.size:
        xw = np.repeat(x_all[o2], 4)
        move(made, comp, x, y, counts, xw, 2, mem)
        n = put_proton_rows(dest, n, codes[0], uid, made, xw, np.nan)
        n = put_rows(dest, n, codes[1], ids_all[o2], x_all[o2], np.nan)
    out = water_backward_release(busy, need, waters, made, held, n_held)
    xo = np.repeat(x_all[busy], need)
    move(out, comp, x, y, counts, xo, 0, mem - 1)
    n = put_proton_rows(dest, n, codes[2], uid, out, xo, np.nan)
    p = take_move(lat, 1, x2, 0)
    n = put_proton_rows(dest, n, codes[3], uid, p, x2, np.nan)
    for k in range(cs.size):
        c_red[cs[k]] = True
    n = put_rows(dest, n, codes[4], ids_all[sites], xs, heat)
    return n, out, p, e_r, e_p, e_a, True


@njit(cache=_CACHE)
def rotor_boundaries(
    sites: np.ndarray, ranks: np.ndarray, position: np.ndarray, c_ring: int, per_turn: int, d: int
) -> np.ndarray:  # pragma: no cover - compiled
    """Whether each move (a site's `ranks`-th c-subunit step in direction `d` this batch) crosses one of the
    `per_turn` boundaries of a turn of `c_ring` steps (`agents.synthase.atp_at_step`)."""
    out = np.empty(sites.size, dtype=np.bool_)
    for k in range(sites.size):
        out[k] = crosses(position[sites[k]], ranks[k], c_ring, per_turn, d)
    return out


@njit(cache=_CACHE)
def crosses(position: int, rank: int, c_ring: int, per_turn: int, d: int) -> bool:  # pragma: no cover - compiled
    """Whether a rotor at `position` crosses a boundary on its `rank`-th step of a batch in direction `d`
    (`agents.synthase.atp_at_step` of the step's start)."""
    s = (position + rank) % c_ring if d > 0 else (position - rank - 1) % c_ring
    return (per_turn * (s + 1)) // c_ring > (per_turn * s) // c_ring


@njit(cache=_CACHE)
def rotor_accept(
    sites: np.ndarray,
    ranks: np.ndarray,
    position: np.ndarray,
    c_ring: int,
    per_turn: int,
    d: int,
    protons: int,
    chem: int,
) -> int:  # pragma: no cover - compiled
    """How many c-subunit steps in direction `d` (in order) the molecules allow: each takes one of `protons`,
    and each boundary step (`rotor_boundaries`) one of `chem` (ADP and Pi forward, ATP backward)."""
    b = 0
    a = min(sites.size, protons)
    for k in range(a):
        if crosses(position[sites[k]], ranks[k], c_ring, per_turn, d):
            b += 1
            if b > chem:
                return k
    return a


@njit(cache=_CACHE)
def synthase_pass(
    sites: np.ndarray,
    ranks: np.ndarray,
    per_turn: int,
    d: int,
    position: np.ndarray,
    steps: np.ndarray,
    atp: np.ndarray,
    c_ring: int,
    lat: tuple,
    x_all: np.ndarray,
    ids_all: np.ndarray,
    rows: tuple,
    codes: tuple[int, int],
    en: tuple,
) -> tuple[int, np.ndarray, int, float, float, float, bool]:  # pragma: no cover - compiled
    """A batch of c-subunit steps in direction `d` (`agents.synthase.ATPSynthase.fire_many`; the `ranks`-th step
    of its site each): one proton per move P → N (forward) or N → P (``rotor_step`` rows with `heat` each), the
    rotors advanced, then the ``atp_made`` / ``atp_hydrolysed`` rows of the moves that cross one of the turn's
    `per_turn` boundaries (`rotor_boundaries`). The energy's molecules are done `d` times per boundary move (the
    `s_mol` of `en` is replaced by it). Returns the new row count, the protons and the number of boundary moves."""
    counts = lat[7]
    uid, sig, eid, pos, energy, n = rows
    dest = (sig, eid, pos, energy)
    boundary = rotor_boundaries(sites, ranks, position, c_ring, per_turn, d)
    b = 0
    for k in range(boundary.size):
        b += boundary[k]
    en = (en[0], d * b, en[2], en[3], en[4], en[5], en[6])
    ok, heat, e_r, e_p, e_a = pass_heat(en, counts, sites.size)
    if not ok:  # ln Γ's table too short: nothing done (the caller extends it and calls again)
        return n, nothing(), 0, 0.0, 0.0, 0.0, False
    xs = x_all[sites]
    src, dst = (1, 0) if d > 0 else (0, 1)
    h = take_move(lat, src, xs, dst)
    n = put_proton_rows(dest, n, codes[0], uid, h, xs, heat)
    per_site = np.zeros(position.size, dtype=np.int64)
    for k in range(sites.size):
        per_site[sites[k]] += 1
    for i in range(position.size):
        if per_site[i]:
            position[i] = (position[i] + d * per_site[i]) % c_ring
            steps[i] += d * per_site[i]
    if n + sites.size > sig.size:
        raise IndexError("trace rows written past the row buffer's room")
    for k in range(sites.size):
        if boundary[k]:
            atp[sites[k]] += d
            sig[n] = codes[1]
            eid[n] = ids_all[sites[k]]
            pos[n] = xs[k]
            n += 1
    return n, h, b, e_r, e_p, e_a, True


@njit(cache=_CACHE)
def hop_pass(
    src: int,
    dst: int,
    lat: tuple,
    xs: np.ndarray,
    rows: tuple,
    code: int,
    en: tuple,
) -> tuple[int, np.ndarray, float, float, float, bool]:  # pragma: no cover - compiled
    """A batch of one-proton hops from `src` to `dst` (`agents.transport`), one per column of `xs`, with their
    rows (`heat` each). Returns the new row count and the protons."""
    counts = lat[7]
    uid, dest, n = rows[0], rows[1:5], rows[5]
    ok, heat, e_r, e_p, e_a = pass_heat(en, counts, xs.size)
    if not ok:  # ln Γ's table too short: nothing done (the caller extends it and calls again)
        return n, nothing(), 0.0, 0.0, 0.0, False
    h = take_move(lat, src, xs, dst)
    return put_proton_rows(dest, n, code, uid, h, xs, heat), h, e_r, e_p, e_a, True


# ---------------------------------------------------------------- exact diffusion (`world.membrane.diffusion`)


@njit(cache=_CACHE)
def alias_pick(thr: np.ndarray, alias: np.ndarray, n: int, u: float, offset: int) -> int:  # pragma: no cover
    """One draw of `world.membrane.diffusion.alias_draw` (table `offset` of cells ``0 … n−1``, uniform `u`)."""
    v = u * n
    j = np.int64(v)
    k = j + offset
    return j if v - j < thr[k] else alias[k]


@njit(cache=_CACHE)
def diffuse_lattice(
    comp: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    u: np.ndarray,
    ring_thr: np.ndarray,
    ring_alias: np.ndarray,
    width: int,
    n_thr: np.ndarray,
    n_alias: np.ndarray,
    n_rows: int,
    p_thr: np.ndarray,
    p_alias: np.ndarray,
    p_rows: int,
    p_base: int,
) -> np.ndarray:  # pragma: no cover - compiled
    """`ProtonLattice.diffuse`'s exact walk of the free protons (no crista), uniforms ``u[0]`` for the columns
    and ``u[1]`` for the rows: new rows into `y`; returns the new columns (a new array)."""
    out = x.copy()
    for i in range(comp.size):
        c = comp[i]
        if c > 1:
            continue
        out[i] = (x[i] + alias_pick(ring_thr, ring_alias, width, u[0, i], 0)) % width
        if c == 0:
            y[i] = alias_pick(n_thr, n_alias, n_rows, u[1, i], y[i] * n_rows)
        else:
            y[i] = p_base + alias_pick(p_thr, p_alias, p_rows, u[1, i], (y[i] - p_base) * p_rows)
    return out


@njit(cache=_CACHE)
def ring_step(
    x: np.ndarray, u: np.ndarray, thr: np.ndarray, alias: np.ndarray, width: int
) -> np.ndarray:  # pragma: no cover
    """New columns (a new array) of particles at `x` on a ring of `width` cells after one exact step
    (`world.membrane.diffusion.RingKernel.shift` of uniforms `u`)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = (x[i] + alias_pick(thr, alias, width, u[i], 0)) % width
    return out


@njit(cache=_CACHE)
def band_step(
    y: np.ndarray, u: np.ndarray, thr: np.ndarray, alias: np.ndarray, rows: int, base: int
) -> np.ndarray:  # pragma: no cover - compiled
    """New rows (a new array) of particles at rows `y` of a band of `rows` cells from row `base` after one exact
    step (`world.membrane.diffusion.BandKernel.move` of uniforms `u`)."""
    out = np.empty_like(y)
    for i in range(y.size):
        out[i] = base + alias_pick(thr, alias, rows, u[i], (y[i] - base) * rows)
    return out


# ---------------------------------------------------------------- lazy walks (no diffusion coefficient set)

_DX = (1, -1, 0, 0, 0)
_DY = (0, 0, 1, -1, 0)


@njit(cache=_CACHE)
def lazy_lattice(
    d: np.ndarray, x: np.ndarray, y: np.ndarray, walk_x: np.ndarray, walk_y: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """`ProtonLattice.diffuse`'s lazy walk: the new (column, row) arrays for directions `d` (0 … 4) through the
    lattice's lookup tables ``walk_x[d·width + x]``, ``walk_y[d·height + y]``."""
    nx = np.empty(x.size, dtype=walk_x.dtype)
    ny = np.empty(y.size, dtype=walk_y.dtype)
    for i in range(x.size):
        k = np.intp(d[i])
        nx[i] = walk_x[k * width + x[i]]
        ny[i] = walk_y[k * height + y[i]]
    return nx, ny


@njit(cache=_CACHE)
def lazy_ring(r: np.ndarray, x: np.ndarray, width: int) -> np.ndarray:  # pragma: no cover - compiled
    """The quinones' lazy walk: new columns ``(x + (1, −1, 0)[r]) mod width``."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = (x[i] + (1 if r[i] == 0 else -1 if r[i] == 1 else 0)) % width
    return out


@njit(cache=_CACHE)
def lazy_band(
    d: np.ndarray, x: np.ndarray, y: np.ndarray, width: int, y_lo: int, y_hi: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """The cytochromes' lazy walk in a band (no crista): ±x (periodic), ±y (held in ``y_lo … y_hi``) or stay for
    directions `d` (0 … 4)."""
    nx = np.empty_like(x)
    ny = np.empty_like(y)
    for i in range(x.size):
        k = d[i]
        nx[i] = (x[i] + _DX[k]) % width
        ny[i] = min(max(y[i] + _DY[k], y_lo), y_hi)
    return nx, ny


# ---------------------------------------------------------------- a site class's rates (`MembraneSite.rates`)

_E_CHARGE = E_CHARGE


@njit(cache=_CACHE)
def python_sum3(a: float, b: float, c: float) -> float:  # pragma: no cover - compiled
    """``sum((a, b, c))`` of three floats as CPython (3.12 on) computes it: from the integer 0, the later terms
    added with Neumaier's compensation, the compensation added at the end when finite and non-zero."""
    f = 0.0 + a
    comp = 0.0
    for x in (b, c):
        t = f + x
        if abs(f) >= abs(x):
            comp += (f - t) + x
        else:
            comp += (x - t) + f
        f = t
    if comp != 0.0 and np.isfinite(comp):
        f += comp
    return f


@njit(cache=_CACHE)
def dG_parts(
    s: int,
    s_mol: int,
    dq: int,
    dn_n: int,
    dn_p: int,
    o2_halves: int,
    mol_index: np.ndarray,
    mol_d: np.ndarray,
    pools: np.ndarray,
    counts: np.ndarray,
    charge: int,
    consts: np.ndarray,
    mu0: np.ndarray,
    lognav: np.ndarray,
    redox_mol: np.ndarray,
    lgamma: np.ndarray,
) -> tuple[float, float, float]:  # pragma: no cover - compiled
    """`world.membrane.state.ChemState.dG_parts` of a change done `s` times (its molecules `s_mol` times: a
    rotor batch's ATP steps are not all its steps), the same operations in the same order (ln Γ from CPython's
    values in `lgamma`; `covers` checks the table). Constants (`ChemState.energy_constants`): capacitance, a and
    b of N, of P, ½O₂'s free energy, kT, N's and P's n₀."""
    dq, dn_n, dn_p, o2_halves = s * dq, s * dn_n, s * dn_p, s * o2_halves
    if dq:
        q0 = charge * _E_CHARGE
        q1 = (charge + dq) * _E_CHARGE
        pmf = (q1 * q1 - q0 * q0) / (2.0 * consts[0])
    else:
        pmf = 0.0
    if dn_n:
        d = counts[0] - np.int64(consts[7])
        pmf += consts[1] * dn_n + consts[2] * ((d + dn_n) * (d + dn_n) - d * d)
    if dn_p:
        d = counts[1] - np.int64(consts[8])
        pmf += consts[3] * dn_p + consts[4] * ((d + dn_p) * (d + dn_p) - d * d)
    redox = o2_halves * consts[5]
    atp = 0.0
    kT = consts[6]
    for i in range(mol_index.size):
        d = mol_d[i] * s_mol
        if d == 0:  # as a change that names no such molecule
            continue
        j = mol_index[i]
        n = pools[j]
        g = d * mu0[j] + kT * (lgamma[n + d] - lgamma[n] - d * lognav[j])
        if redox_mol[j] != 0:
            redox += g
        else:
            atp += g
    return redox, pmf, atp


@njit(cache=_CACHE)
def nothing() -> np.ndarray:  # pragma: no cover - compiled
    """No protons (what a pass that did nothing returns for each group)."""
    return np.empty(0, dtype=np.int64)


@njit(cache=_CACHE)
def pass_heat(en: tuple, counts: np.ndarray, m: int) -> tuple[bool, float, float, float, float]:  # pragma: no cover
    """`pass_energy` of a batch of `m` moves and each move's heat (their mean: −ΔG / m, as `ChemState.book`
    books it): (covered, heat per move, redox, proton-motive, nucleotide parts)."""
    ok, e_r, e_p, e_a = pass_energy(en, counts)
    heat = -(e_r + e_p + e_a)
    return ok, heat / m, e_r, e_p, e_a


@njit(cache=_CACHE)
def change_parts(change: np.ndarray) -> tuple[int, int, int, int, np.ndarray, np.ndarray]:  # pragma: no cover
    """A change packed as `world.membrane.state.ChemState.energy_args` packs it — ``[dq, dn_n, dn_p, o2_halves, k,
    k pool indices, k counts]`` — unpacked."""
    k = change[4]
    return change[0], change[1], change[2], change[3], change[5 : 5 + k], change[5 + k : 5 + 2 * k]


@njit(cache=_CACHE)
def constant_parts(e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """The energy constants packed as `ChemState.energy_constants` packs them — 9 constants, then μ°, ln(N_A·V)
    and redox flags (1.0 / 0.0) per pool — unpacked."""
    p = (e.size - 9) // 3
    return e[:9], e[9 : 9 + p], e[9 + p : 9 + 2 * p], e[9 + 2 * p :]


@njit(cache=_CACHE)
def pass_energy(
    en: tuple,
    counts: np.ndarray,
) -> tuple[bool, float, float, float]:  # pragma: no cover - compiled
    """A batched pass's energy, before its moves (`en`: `ChemState.energy_args`): (True, `dG_parts`) of its
    `change` (packed, `change_parts`) done `s` times (molecules `s_mol` times), or (False, 0, 0, 0) when `lgamma`
    does not cover the counts."""
    s, s_mol, change, pools, charge, e_consts, lgamma = en
    dq, dn_n, dn_p, o2_halves, mol_index, mol_d = change_parts(change)
    for i in range(mol_index.size):
        if pools[mol_index[i]] + s_mol * mol_d[i] < 0:  # as `math.lgamma` of a negative count
            raise ValueError("math domain error: a batch would take a pool below zero")
    if not covers(s_mol, mol_index, mol_d, pools, lgamma):
        return False, 0.0, 0.0, 0.0
    consts, mu0, lognav, redox_mol = constant_parts(e_consts)
    r, p, a = dG_parts(
        s, s_mol, dq, dn_n, dn_p, o2_halves, mol_index, mol_d, pools, counts, charge, consts, mu0, lognav, redox_mol,
        lgamma,
    )  # fmt: skip
    return True, r, p, a


@njit(cache=_CACHE)
def covers(s_mol: int, mol_index: np.ndarray, mol_d: np.ndarray, pools: np.ndarray, lgamma: np.ndarray) -> bool:
    """True if `lgamma` holds every count a change's molecules done `s_mol` times reach."""
    for i in range(mol_index.size):  # noqa: SIM110 (compiled: no generators)
        if pools[mol_index[i]] + abs(s_mol * mol_d[i]) >= lgamma.size:
            return False
    return True


@njit(cache=_CACHE)
def sigmoid_neg(x: float) -> float:  # pragma: no cover - compiled
    """``1 / (1 + eˣ)`` as `world.membrane.thermo` computes it."""
    if x >= 0:
        e = np.exp(-x)
        return e / (1.0 + e)
    return 1.0 / (1.0 + np.exp(x))


@njit(cache=_CACHE)
def class_rates(
    k: float,
    pools: np.ndarray,
    counts: np.ndarray,
    charge: int,
    law: int,
    w: float,
    change_a: np.ndarray,
    change_b: np.ndarray,
    couples: np.ndarray,
    couple_km: np.ndarray,
    e_consts: np.ndarray,
    lgamma: np.ndarray,
) -> tuple[float, float]:  # pragma: no cover - compiled
    """`MembraneSite.rates` of a class whose couples are its `binding`'s: per direction its `rate_dG` (ΔG of
    change a, plus `w` times that of change b when `w` ≠ 0, each only if the counts allow it, as
    `ChemState.possible`), then the law — 0 Fermi, 1 barrier, 2 saturable with the couples (pool indices of
    substrate and product, ν, K per molecule of the couple's total). NaN, NaN when `lgamma` does not cover the
    counts (the caller extends it and calls again). The changes come packed (`change_parts`), the couples as rows
    (substrate pool, product pool, ν) with their K per molecule in `couple_km`, the constants packed
    (`constant_parts`)."""
    dq, dn_n, dn_p, o2_halves, mol_index, mol_d = change_parts(change_a)
    b_dq, b_dn_n, b_dn_p, b_o2_halves, b_mol_index, b_mol_d = change_parts(change_b)
    consts, mu0, lognav, redox_mol = constant_parts(e_consts)
    couple_sub, couple_prod, couple_nu = couples[0], couples[1], couples[2]
    if not (covers(1, mol_index, mol_d, pools, lgamma) and covers(1, b_mol_index, b_mol_d, pools, lgamma)):
        return np.nan, np.nan
    kT = consts[6]
    out = np.zeros(2)
    for t in range(2):
        s = 1 if t == 0 else -1
        if not _possible(s, dn_n, dn_p, mol_index, mol_d, pools, counts):
            continue
        r, p, a = dG_parts(
            s, s, dq, dn_n, dn_p, o2_halves, mol_index, mol_d, pools, counts, charge, consts, mu0, lognav,
            redox_mol, lgamma,
        )  # fmt: skip
        dg = python_sum3(r, p, a)
        if w != 0.0:
            if not _possible(s, b_dn_n, b_dn_p, b_mol_index, b_mol_d, pools, counts):
                continue
            r, p, a = dG_parts(
                s, s, b_dq, b_dn_n, b_dn_p, b_o2_halves, b_mol_index, b_mol_d, pools, counts, charge, consts, mu0,
                lognav, redox_mol, lgamma,
            )  # fmt: skip
            dg = dg + w * python_sum3(r, p, a)
        if law == 0:
            out[t] = k * sigmoid_neg(dg / kT)
        elif law == 1:
            out[t] = k * np.exp(-0.5 * dg / kT)
        else:
            ln_ratio = 0.0
            factor = 1.0
            short = False
            for j in range(couple_sub.size):
                n_sub = pools[couple_sub[j]]
                n_prod = pools[couple_prod[j]]
                kk = max(couple_km[j] * (n_sub + n_prod), 1e-9)
                sub, prod = (n_sub, n_prod) if s > 0 else (n_prod, n_sub)
                nu = couple_nu[j]
                if sub < nu:
                    short = True
                    break
                aa = sub / kk
                bb = (prod + nu) / kk
                ln_ratio += np.log(bb / aa)
                factor *= aa / (1.0 + aa + bb)
            if short:
                continue
            x = dg / kT - ln_ratio
            out[t] = k * sigmoid_neg(x) * factor
    return out[0], out[1]


@njit(cache=_CACHE)
def _possible(
    s: int, dn_n: int, dn_p: int, mol_index: np.ndarray, mol_d: np.ndarray, pools: np.ndarray, counts: np.ndarray
) -> bool:  # pragma: no cover - compiled
    """`ChemState.possible` of a change done `s` times."""
    if counts[0] + min(s * dn_n, 0) < 0 or counts[1] + min(s * dn_p, 0) < 0:
        return False
    for i in range(mol_index.size):  # noqa: SIM110 (compiled: no generators)
        if pools[mol_index[i]] + s * mol_d[i] < 0:
            return False
    return True
