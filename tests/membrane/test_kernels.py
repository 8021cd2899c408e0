"""The compiled kernels of the batched moves (`world.membrane.kernels`) give exactly what their numpy formulation
gives, on random inputs: the matching, the carriers chosen, the mouth candidates and the proton moves."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from world.clock import Run
from world.membrane import MembraneWorld, kernels
from world.membrane.geometry import N_SIDE, P_SIDE, RESERVE, match_by_column

_CASE = st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 60), st.integers(1, 40))
"""(seed, candidates, columns) of a random case."""


@given(case=_CASE)
@settings(max_examples=200, deadline=None)
def test_match_sorted_is_the_numpy_matching(case: tuple[int, int, int]) -> None:
    """On candidates sorted by column (repeats allowed) and any requests no more numerous, the compiled matching
    picks the positions `match_by_column(..., presorted=True)` picks."""
    seed, n, width = case
    rng = np.random.default_rng(seed)
    cx = np.sort(rng.integers(0, width, n)).astype(np.int32)
    req = rng.integers(0, width, int(rng.integers(0, n + 1))).astype(np.int32)
    assert kernels.match_sorted(cx, req).tolist() == match_by_column(cx, req, presorted=True).tolist()


@given(case=_CASE, reduced=st.booleans())
@settings(max_examples=200, deadline=None)
def test_carriers_sorted_is_the_numpy_choice(case: tuple[int, int, int], reduced: bool) -> None:
    """The carriers given to requests are those the numpy formulation gives: the carriers in the wanted state,
    matched by column (`match_by_column` on them in index order); their order by (column, index) is numpy's
    stable argsort."""
    seed, n, width = case
    rng = np.random.default_rng(seed)
    x = rng.integers(0, width, n).astype(np.int32)
    red = rng.random(n) < 0.5
    cand = np.flatnonzero(red == reduced)
    req = rng.integers(0, width, int(rng.integers(0, cand.size + 1))).astype(np.int64)
    want = cand[match_by_column(x[cand], req)]
    order = np.argsort(x, kind="stable")
    assert kernels.column_order(x, width).tolist() == order.tolist()
    assert kernels.carriers_sorted(order, x[order], red, reduced, req).tolist() == want.tolist()


def _world(seed: int) -> MembraneWorld:
    """A small batched world a few steps in (protons spread over the bands and at the membrane)."""
    run = Run(seed)
    world = MembraneWorld(run, site_events="batch", width=24, cell_nm=8.0)
    for _ in range(3):
        world.step()
    return world


@given(seed=st.integers(0, 2**32 - 1), side=st.sampled_from([N_SIDE, P_SIDE]))
@settings(max_examples=30, deadline=None)
def test_mouth_candidates_are_the_band_row_by_column_then_index(seed: int, side: int) -> None:
    """The candidates are the side's protons in the band row touching the membrane, sorted by (column, index)."""
    lat = _world(seed).lattice
    row = lat.membrane_row + (-1 if side == N_SIDE else 1)
    cand = np.flatnonzero((lat.comp == side) & (lat.y == row))
    want = cand[np.argsort(lat.x[cand], kind="stable")]
    got, cx = kernels.mouth_candidates(lat.comp, lat.x, lat.y, side, row, lat.width)
    assert got.tolist() == want.tolist()
    assert cx.tolist() == lat.x[want].tolist()


@given(seed=st.integers(0, 2**32 - 1), side=st.sampled_from([N_SIDE, P_SIDE]), k=st.integers(1, 12))
@settings(max_examples=30, deadline=None)
def test_take_move_is_the_numpy_take_then_move(seed: int, side: int, k: int) -> None:
    """Three requests (`k` protons, then one more than the mouth's free candidates left, then `k`; each sees the
    takes before it) choose the protons the numpy formulation chooses — the free mouth candidates matched by
    column, or every free proton of the side when those are too few — and leave the same compartments,
    positions, counts and free candidates."""
    lat = _world(seed).lattice
    rng = np.random.default_rng(seed)
    dst = P_SIDE if side == N_SIDE else RESERVE
    row = lat.membrane_row + (-1 if side == N_SIDE else 1)
    y_dst = lat.membrane_row + (1 if dst == P_SIDE else 0)
    lat.positions_changed()  # the mouth is read afresh by the first take
    cand = np.flatnonzero((lat.comp == side) & (lat.y == row))
    cand = cand[np.argsort(lat.x[cand], kind="stable")]
    free_ref = np.ones(cand.size, bool)
    comp, x, y, counts = lat.comp.copy(), lat.x.copy(), lat.y.copy(), lat.counts.copy()
    fell_back = False
    for turn in range(3):
        size = int(free_ref.sum()) + 1 if turn == 1 else k  # the band holds more than its mouth row
        xs = rng.integers(0, lat.width, size).astype(np.int32)
        got = kernels.take_move(lat.batch_args(), side, xs, dst)
        left = np.flatnonzero(free_ref)
        if left.size >= size:
            pos = left[match_by_column(x[cand[left]], xs, presorted=True)]
            free_ref[pos] = False
            want = cand[pos]
        else:
            fell_back = True
            every = np.flatnonzero(comp == side)
            want = every[match_by_column(x[every], xs)]
            free_ref[np.isin(cand, want)] = False
        counts -= np.bincount(comp[want], minlength=counts.size)
        counts[dst] += want.size
        comp[want], x[want], y[want] = dst, xs, y_dst
        assert got.tolist() == want.tolist()
    c, cx, n, _ = lat.mouth
    assert c[side, : n[side]].tolist() == cand[free_ref].tolist()
    assert cx[side, : n[side]].tolist() == lat.x[cand[free_ref]].tolist()
    assert np.array_equal(lat.comp, comp) and np.array_equal(lat.x, x) and np.array_equal(lat.y, y)
    assert np.array_equal(lat.counts, counts)
    assert lat.counts.tolist() == np.bincount(lat.comp, minlength=lat.counts.size).tolist()
    assert fell_back


def _water_reference(sites, h, held, direction, made=None):
    """Complex IV's water bookkeeping written out site by site with lists (the formulation the kernels replace):
    forward, each moving site's held protons plus its new ones in move order become water four at a time;
    backward, each moving site turns as few waters back as cover its 2 releases per move and releases the most
    recently bound."""
    held = [list(r) for r in held]
    per_site = np.bincount(sites, minlength=len(held))
    busy = np.flatnonzero(per_site).tolist()
    if direction > 0:
        new = np.asarray(h).reshape(-1, 2)[np.argsort(sites, kind="stable")].ravel().tolist()
        water, o2, j = [], [], 0
        for i in busy:
            k = 2 * int(per_site[i])
            pool = held[i] + new[j : j + k]
            j += k
            w = len(pool) // 4
            water += pool[: 4 * w]
            o2 += [i] * w
            held[i] = pool[4 * w :]
        return water, o2, held
    need = [2 * int(per_site[i]) for i in busy]
    waters = [-(-max(0, k - len(held[i])) // 4) for i, k in zip(busy, need, strict=True)]
    if made is None:
        return busy, need, waters
    out, j = [], 0
    for i, k, w in zip(busy, need, waters, strict=True):
        pool = held[i] + list(made[j : j + 4 * w])
        j += 4 * w
        out += pool[len(pool) - k :]
        held[i] = pool[: len(pool) - k]
    return out, held


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), moves=st.integers(1, 30))
@settings(max_examples=200, deadline=None)
def test_water_kernels_are_the_site_by_site_bookkeeping(seed: int, n: int, moves: int) -> None:
    """Forward and backward, the compiled water bookkeeping of complex IV gives the protons, O₂ sites and held
    protons of the site-by-site formulation, for random moves over sites holding 0 or 2 protons each."""
    rng = np.random.default_rng(seed)
    n_held = 2 * rng.integers(0, 2, n)
    held = np.full((n, 4), -1, dtype=np.int64)
    ids = iter(range(10_000, 20_000))
    for i in range(n):
        held[i, : n_held[i]] = [next(ids) for _ in range(n_held[i])]
    ref_held = [held[i, : n_held[i]].tolist() for i in range(n)]
    sites = rng.integers(0, n, moves)
    h = np.arange(2 * moves, dtype=np.int64)
    fh, fn = held.copy(), n_held.copy()
    water, o2 = kernels.water_forward(sites, h, fh, fn)
    want_water, want_o2, want_held = _water_reference(sites, h, ref_held, 1)
    assert water.tolist() == want_water and o2.tolist() == want_o2
    assert [fh[i, : fn[i]].tolist() for i in range(n)] == want_held
    busy, need, waters = kernels.water_backward_plan(sites, n_held)
    assert (busy.tolist(), need.tolist(), waters.tolist()) == _water_reference(sites, None, ref_held, -1)
    made = np.arange(50_000, 50_000 + 4 * int(waters.sum()), dtype=np.int64)
    bh, bn = held.copy(), n_held.copy()
    out = kernels.water_backward_release(busy, need, waters, made, bh, bn)
    want_out, want_held = _water_reference(sites, None, ref_held, -1, made)
    assert out.tolist() == want_out
    assert [bh[i, : bn[i]].tolist() for i in range(n)] == want_held


@given(seed=st.integers(0, 2**32 - 1), width=st.integers(1, 12), height=st.integers(3, 9))
@settings(max_examples=100, deadline=None)
def test_cell_counts_are_what_bincount_counts(seed: int, width: int, height: int) -> None:
    """The compiled cell counts (`count_free`, `count_carriers`) write the counts numpy gives: free protons (N
    or P, not bound or reserve) per cell, quinones per membrane-row cell, cytochromes c per cell; every layer is
    overwritten (stale counts go)."""
    rng = np.random.default_rng(seed)
    n, nq, nc, row = int(rng.integers(0, 80)), int(rng.integers(0, 20)), int(rng.integers(0, 20)), height // 2
    comp = rng.integers(0, 4, n).astype(np.int8)
    px, py = rng.integers(0, width, n).astype(np.int32), rng.integers(0, height, n).astype(np.int32)
    qx = rng.integers(0, width, nq).astype(np.int64)
    cx, cy = rng.integers(0, width, nc).astype(np.int64), rng.integers(0, height, nc).astype(np.int64)
    layers = [np.full((width, height), 7, dtype=np.int64) for _ in range(3)]
    kernels.count_free(comp, px, py, layers[0])
    kernels.count_carriers(qx, row, layers[1], cx, cy, layers[2])
    free = comp <= P_SIDE
    want_p = np.bincount(px[free] * height + py[free], minlength=width * height).reshape(width, height)
    want_q = np.zeros((width, height), dtype=np.int64)
    want_q[:, row] = np.bincount(qx, minlength=width)
    want_c = np.bincount(cx * height + cy, minlength=width * height).reshape(width, height)
    assert np.array_equal(layers[0], want_p)
    assert np.array_equal(layers[1], want_q)
    assert np.array_equal(layers[2], want_c)
