"""Every site class in one vectorised pass: local rates, rounds, a seeded conflict rule, the moves and their rows.

Key names: `step_group`, `site_rates`, `execute`, `allocate`, `MAX_EVENT_PROBABILITY`, `SMALL_BATCH`; the moves
themselves are in `world.membrane.movers`.

**Rates from local state.** For each site of a class the free-energy change of a move in each direction is the
change computed from the compartments' totals (`MembraneSite.rate_dG`: redox, charge against Δψ, protons against
each side's pH, nucleotides) plus a **mouth term**: the protons the move takes from, or releases into, the site's
mouth on each side (free protons of that side within ``mouth_nm`` of the surface in the site's bin of the membrane)
enter with the ideal-solution chemical potential of the mouth relative to the side's mean,
``kT·[lnΓ(n−ν+1) − lnΓ(n+1) + ν·ln n̄]`` for taking ν of n (n̄ = the count a mouth holds on average, the side's
count times the mouth's share of its volume) and ``kT·[lnΓ(m+ν+1) − lnΓ(m+1) − ν·ln m̄]`` for releasing ν into m.
So a depleted mouth slows a move that takes protons there, a crowded one slows a move that releases there, and the
forward and backward rates keep k₊/k₋ = exp(−ΔG/kT) with ΔG including the mouth terms. In a well-mixed patch the
mouth term averages out; `local_rates=False` drops it (the rate then reads the totals only, as a well-mixed model
would). A move also needs its inputs *within reach*: the protons it takes at its mouths, the quinones / cytochrome c
it consumes in its carrier bin (``carrier_reach_nm``), the pool molecules it uses; a direction without them has
rate 0 at that site. Mass-action terms (issue of the kinetics) are written here, from the same local counts.

**Rounds.** A class's step of length dt is split into R rounds, R = ⌈max(k₊ + k₋)·dt / 0.5⌉ (from the rates at the
start of the step): in every round each site makes at most one move, with probability (k₊ + k₋)·dt/R, forward with
probability k₊/(k₊ + k₋). The expected number of moves per site is (k₊ + k₋)·dt exactly — no per-step cap on
turnover — and several moves per site per step happen when rates allow. Rates are recomputed every round.

**Conflicts.** The moves of one round are put in a random order drawn from the run's generator. In that order, a
move succeeds if the cumulative demand of the moves before it and its own fits every resource of its bins (protons
at each mouth, carriers in reach, pool molecules); resources are then handed out in that order, each mouth's
candidates in a random order. Failed moves change nothing. Protons released in a round become candidates after the
next diffusion.

**Energies.** The moves of a round that succeed are applied as one `Change` (`ChemState.apply`), which books each
move's exact free-energy change in that order; each ``redox`` / ``rotor_step`` / ``exchange`` / ``leak`` /
``uncoupler`` row carries its move's heat.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import gammaln

from agents.complexes import CARRIER_STATES, SiteGroup
from agents.synthase import SYNTHESIS, atp_at_step
from world.membrane.geometry import N_SIDE, P_SIDE
from world.membrane.movers import MOVERS
from world.membrane.state import Change

if TYPE_CHECKING:
    from world.membrane.model import MembraneWorld

MAX_EVENT_PROBABILITY = 0.5
"""Upper bound of a site's move probability per round (sets the number of rounds)."""
SMALL_BATCH = 8
"""Rounds with at most this many attempted moves resolve conflicts move by move (`_resolve_small`)."""
_SIDE_KEY = {N_SIDE: "HN", P_SIDE: "HP"}


# ---------------------------------------------------------------------------------------------- allocation
def _within_bin_cumsum(ev_bin: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Inclusive cumulative `need` of the events in each bin, in event order."""
    order = np.argsort(ev_bin, kind="stable")
    nb = need[order]
    cs = np.cumsum(nb)
    b = ev_bin[order]
    start = np.ones(b.size, dtype=bool)
    start[1:] = b[1:] != b[:-1]
    base = (cs - nb)[start]
    incl = cs - base[np.cumsum(start) - 1]
    out = np.empty_like(incl)
    out[order] = incl
    return out


def allocate(ev_bin: np.ndarray, need: np.ndarray, cand_bin: np.ndarray, n_bins: int, ok: np.ndarray) -> np.ndarray:
    """The events (in priority order) whose cumulative demand in their bin fits the candidates there.

    Args:
        ev_bin, need: bin and demand of every event.
        cand_bin: bin of every candidate (available unit of the resource).
        n_bins: number of bins.
        ok: events still possible (others demand nothing).

    Returns:
        `ok` and'ed with "fits".
    """
    avail = np.bincount(cand_bin, minlength=n_bins)
    incl = _within_bin_cumsum(ev_bin, np.where(ok, need, 0))
    return ok & (incl <= avail[ev_bin])


def _hand_out(
    ev_bin: np.ndarray,
    need: np.ndarray,
    cand: np.ndarray,
    cand_bin: np.ndarray,
    n_bins: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Per event, the first offset into its bin's candidates (random order within each bin) it receives, and the
    candidates in that order: returns ``sorted_cand[start[bin] + exclusive cumsum]`` bases. Only the candidates of
    bins some event draws on are shuffled."""
    demanded = np.bincount(ev_bin, weights=need, minlength=n_bins) > 0
    sel = np.flatnonzero(demanded[cand_bin])
    cand, cand_bin = cand[sel], cand_bin[sel]
    order = np.lexsort((rng.random(cand.size), cand_bin))
    sorted_bins = cand_bin[order]
    start = np.searchsorted(sorted_bins, np.arange(n_bins))
    excl = _within_bin_cumsum(ev_bin, need) - need
    return cand[order], start[ev_bin] + excl


def _resolve_small(resources: list, pools: list, dirs: np.ndarray, rng: np.random.Generator) -> tuple | None:
    """First come, first served for a few moves (in their priority order): a move succeeds if every resource it
    needs is still there after the moves before it that succeeded. Returns (ok mask, picks) or None if none did."""
    m = dirs.size
    ok = np.zeros(m, dtype=bool)
    left = [int(have) for _, have in pools]
    taken: list[dict[int, int]] = [{} for _ in resources]
    shuffled: list[dict[int, np.ndarray]] = [{} for _ in resources]
    grant: list[list[np.ndarray]] = [[] for _ in resources]
    for e in range(m):
        fits = all(int(need[e]) <= left[i] for i, (need, _) in enumerate(pools))
        for r, (_, need, ev_bin, cand, cbin, _, _, _) in enumerate(resources):
            if not fits:
                break
            b = int(ev_bin[e])
            if b not in shuffled[r]:
                in_bin = cand[cbin == b]
                shuffled[r][b] = in_bin[rng.permutation(in_bin.size)]
            fits = taken[r].get(b, 0) + int(need[e]) <= shuffled[r][b].size
        if not fits:
            continue
        ok[e] = True
        for i, (need, _) in enumerate(pools):
            left[i] -= int(need[e])
        for r, (_, need, ev_bin, _, _, _, _, _) in enumerate(resources):
            b, k = int(ev_bin[e]), int(need[e])
            t = taken[r].get(b, 0)
            grant[r].append(shuffled[r][b][t : t + k])
            taken[r][b] = t + k
    if not ok.any():
        return None
    dirs_ok = dirs[ok]
    picks = {}
    for r, (key, _, _, _, _, _, kf, kb) in enumerate(resources):
        rows = grant[r]
        f = [rows[i] for i in range(len(rows)) if dirs_ok[i] > 0]
        bw = [rows[i] for i in range(len(rows)) if dirs_ok[i] < 0]
        picks[key] = (
            np.array(f, dtype=np.int64).reshape(len(f), kf),
            np.array(bw, dtype=np.int64).reshape(len(bw), kb),
        )
    return ok, picks


def _picks(sorted_cand: np.ndarray, base: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """(len(rows), k) candidate indices for events `rows` that take `k` each."""
    if k == 0 or rows.size == 0:
        return np.empty((rows.size, k), dtype=np.int64)
    return sorted_cand[base[rows][:, None] + np.arange(k)]


# ---------------------------------------------------------------------------------------------- rates
def _fermi(k: float, dg_over_kT: np.ndarray) -> np.ndarray:
    return k * 0.5 * (1.0 - np.tanh(0.5 * np.clip(dg_over_kT, -700, 700)))


def _barrier(k: float, dg_over_kT: np.ndarray) -> np.ndarray:
    return k * np.exp(np.clip(-0.5 * dg_over_kT, -700, 700))


def _mouth_term(n: np.ndarray, mean: float, take: int, give: int) -> np.ndarray:
    """ΔG/kT of taking `take` from, or giving `give` to, mouths holding `n` (mean `mean`)."""
    lm = math.log(max(mean, 1e-9))
    out = np.zeros(n.size)
    if take:
        ok = n >= take
        out += np.where(ok, gammaln(np.maximum(n - take, 0) + 1.0) - gammaln(n + 1.0) + take * lm, np.inf)
    if give:
        out += gammaln(n + give + 1.0) - gammaln(n + 1.0) - give * lm
    return out


def site_rates(world: MembraneWorld, g: SiteGroup, k: float, sites: np.ndarray | None = None) -> tuple:
    """(k₊, k₋) of every site of `g` (or of `sites`) from the totals and the local state (module docstring)."""
    cls = g.cls
    idx = np.arange(g.size) if sites is None else sites
    law = _barrier if cls.rate_law == "barrier" else _fermi
    kT = world.kT
    out = []
    for direction in (1, -1):
        dg = cls.rate_dG(world, direction)
        if dg is None:
            out.append(np.zeros(idx.size))
            continue
        x = np.full(idx.size, dg / kT)
        take, give = cls.stoich.take(direction), cls.stoich.give(direction)
        for side in (N_SIDE, P_SIDE):
            if take[side] or give[side]:
                n_local = world.mouth_counts(side)[g.bins[idx]]
                if world.params.local_rates:
                    x += _mouth_term(n_local, world.mouth_mean(side), take[side], give[side])
                elif take[side]:
                    x = np.where(n_local >= take[side], x, np.inf)
        for m, need in cls.stoich.consumes(direction):
            if m in CARRIER_STATES:
                have = world.carrier_counts(m)[g.carrier_bins[idx]]
                x = np.where(have >= need, x, np.inf)
        out.append(np.where(np.isinf(x), 0.0, law(k, x)))
    return out[0], out[1]


# ---------------------------------------------------------------------------------------------- one class
def step_group(world: MembraneWorld, g: SiteGroup) -> None:
    """All moves of the sites of `g` for one step of length ``world.dt`` (module docstring)."""
    cls = g.cls
    k = getattr(world.params, cls.k_param) * (1.0 - world.block(cls.__name__))
    if g.size == 0 or k <= 0:
        return
    rng = world.rng
    rounds = 0
    r = 0
    while True:
        kf, kb = site_rates(world, g, k)
        tot = kf + kb
        if rounds == 0:
            top = float(tot.max())
            if top <= 0:
                return
            rounds = max(1, math.ceil(top * world.dt / MAX_EVENT_PROBABILITY))
        p = np.minimum(tot * (world.dt / rounds), 1.0)
        u = rng.random(g.size)
        v = rng.random(g.size)
        fire = np.flatnonzero(u < p)
        if fire.size:
            direction = np.where(v[fire] * tot[fire] < kf[fire], 1, -1)
            execute(world, g, fire, direction)
        r += 1
        if r >= rounds:
            return


def _event_mols(g: SiteGroup, sites: np.ndarray, dirs: np.ndarray, c_ring: int) -> dict[str, np.ndarray]:
    """Per-event signed molecule changes (synthases: only on the steps that cross a 120° boundary)."""
    if g.cls.number == 5:
        pos = g.state["position"][sites]
        s_from = np.where(dirs > 0, pos, (pos - 1) % c_ring)
        b = atp_at_step(s_from, c_ring).astype(np.int64)
        return {m: d * dirs * b for m, d in SYNTHESIS}
    return {m: d * dirs for m, d in g.cls.stoich.mols}


def execute(world: MembraneWorld, g: SiteGroup, sites: np.ndarray, dirs: np.ndarray) -> None:
    """Resolve conflicts among the attempted moves (`sites`, `dirs`), apply those that succeed, write their rows."""
    rng = world.rng
    order = rng.permutation(sites.size)
    sites, dirs = sites[order], dirs[order]
    fwd = dirs > 0
    st = g.cls.stoich
    mols = _event_mols(g, sites, dirs, world.params.c_ring)
    resources = []
    pools = []
    for side in (N_SIDE, P_SIDE):
        kf, kb = st.take(1)[side], st.take(-1)[side]
        if kf or kb:
            cand, cbin = world.mouth(side)
            resources.append(
                (_SIDE_KEY[side], np.where(fwd, kf, kb), g.bins[sites], cand, cbin, world.geom.n_bins, kf, kb)
            )
    for m, dm in mols.items():
        need = np.maximum(-dm, 0)
        if m in CARRIER_STATES:
            cand, cbin = world.carriers_in_state(m)
            d = dict(st.mols)[m]
            resources.append((m, need, g.carrier_bins[sites], cand, cbin, world.n_carrier_bins, max(0, -d), max(0, d)))
        elif need.any():
            pools.append((need, world.state.pool[m]))
    if sites.size <= SMALL_BATCH:
        got = _resolve_small(resources, pools, dirs, rng)
        if got is None:
            return
        ok, picks = got
        sites, dirs = sites[ok], dirs[ok]
    else:
        ok = np.ones(sites.size, dtype=bool)
        for _, need, ev_bin, _, cbin, n_bins, _, _ in resources:
            ok = allocate(ev_bin, need, cbin, n_bins, ok)
        for need, have in pools:
            ok &= np.cumsum(np.where(ok, need, 0)) <= have
        if not ok.any():
            return
        sites, dirs = sites[ok], dirs[ok]
        f_rows, b_rows = np.flatnonzero(dirs > 0), np.flatnonzero(dirs < 0)
        picks = {}
        for key, need, ev_bin, cand, cbin, n_bins, kf, kb in resources:
            sorted_cand, base = _hand_out(ev_bin[ok], need[ok], cand, cbin, n_bins, rng)
            picks[key] = (_picks(sorted_cand, base, f_rows, kf), _picks(sorted_cand, base, b_rows, kb))
    f_rows, b_rows = np.flatnonzero(dirs > 0), np.flatnonzero(dirs < 0)
    ch = Change(
        n=sites.size,
        dq=st.dq * dirs,
        dn_n=st.dn_n * dirs,
        dn_p=st.dn_p * dirs,
        mols={m: dm[ok] for m, dm in mols.items()},
        o2_halves=st.o2_halves * dirs,
    )
    MOVERS[g.cls.number](world, g, sites, dirs, f_rows, b_rows, picks, ch)
    if g.cls.number <= 4:
        world.changed_carriers()


# ---------------------------------------------------------------------------------------------- all classes
class SiteTable:
    """Every site of every class as one set of arrays (built once; the groups keep their own state).

    Per site: its class index, mouth bin, carrier bin, and per direction (0: forward, 1: backward) the protons it
    takes from and gives to each mouth and the carriers (q, qh2, cox, cred) it must find in reach."""

    def __init__(self, groups: list[SiteGroup]) -> None:
        self.groups = groups
        sizes = np.array([g.size for g in groups], dtype=np.int64)
        self.start = np.concatenate(([0], np.cumsum(sizes)))
        self.cls = np.repeat(np.arange(len(groups)), sizes)
        self.size = int(sizes.sum())
        self.bins = np.concatenate([g.bins for g in groups]).astype(np.int64) if self.size else np.zeros(0, int)
        self.cbins = (
            np.concatenate([g.carrier_bins for g in groups]).astype(np.int64) if self.size else np.zeros(0, int)
        )
        self.barrier = np.repeat(np.array([g.cls.rate_law == "barrier" for g in groups]), sizes)
        self.any_barrier = bool(self.barrier.any())
        # per class, per direction: (take N, take P, give N, give P) and carrier needs
        ncls = len(groups)
        self.take = np.zeros((2, 2, ncls), dtype=np.int64)  # [dir, side, cls]
        self.give = np.zeros((2, 2, ncls), dtype=np.int64)
        self.carrier = np.zeros((2, len(CARRIER_STATES), ncls), dtype=np.int64)  # [dir, state, cls]
        for c, g in enumerate(groups):
            st = g.cls.stoich
            for d, direction in enumerate((1, -1)):
                self.take[d, :, c] = st.take(direction)
                self.give[d, :, c] = st.give(direction)
                for m, need in st.consumes(direction):
                    if m in CARRIER_STATES:
                        self.carrier[d, CARRIER_STATES.index(m), c] = need
        self.carrier_used = [
            [(j, m, self.carrier[d, j][self.cls]) for j, m in enumerate(CARRIER_STATES) if self.carrier[d, j].any()]
            for d in range(2)
        ]
        self.mouth_used = [
            [
                (side, self.take[d, side][self.cls], self.give[d, side][self.cls])
                for side in (N_SIDE, P_SIDE)
                if self.take[d, side].any() or self.give[d, side].any()
            ]
            for d in range(2)
        ]


def all_rates(world: MembraneWorld, table: SiteTable, kcls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k₊, k₋) of every site of every class (the rates of `site_rates`, in one pass over all sites)."""
    kT = world.kT
    cls = table.cls
    local = world.params.local_rates
    out = []
    lnG = {}
    for d, direction in enumerate((1, -1)):
        base = np.empty(len(table.groups))
        for c, g in enumerate(table.groups):
            dg = g.cls.rate_dG(world, direction) if kcls[c] > 0 else None
            base[c] = np.inf if dg is None else dg / kT
        x = base[cls]
        for side, take, give in table.mouth_used[d]:
            n = world.mouth_counts(side)[table.bins].astype(np.float64)
            if local:
                if side not in lnG:
                    lnG[side] = gammaln(n + 1.0)
                lm = math.log(max(world.mouth_mean(side), 1e-9))
                g0 = lnG[side]
                term = (gammaln(np.maximum(n - take, 0.0) + 1.0) - g0 + take * lm) + (
                    gammaln(n + give + 1.0) - g0 - give * lm
                )
                x = np.where(n >= take, x + term, np.inf)
            else:
                x = np.where(n >= take, x, np.inf)
        for _, m, need in table.carrier_used[d]:
            have = world.carrier_counts(m)[table.cbins]
            x = np.where(have >= need, x, np.inf)
        k = kcls[cls]
        xc = np.clip(x, -700, 700)
        rate = k * 0.5 * (1.0 - np.tanh(0.5 * xc))
        if table.any_barrier:
            rate = np.where(table.barrier, k * np.exp(-0.5 * xc), rate)
        out.append(np.where(np.isinf(x), 0.0, rate))
    return out[0], out[1]


def step_all(world: MembraneWorld, table: SiteTable) -> None:
    """All moves of every site class for one step of length ``world.dt``: rates of all sites in one pass per round,
    then each class's firing moves executed in the order of `SITE_CLASSES` (module docstring)."""
    if table.size == 0:
        return
    p = world.params
    kcls = np.array(
        [getattr(p, g.cls.k_param) * (1.0 - world.block(g.cls.__name__)) for g in table.groups], dtype=np.float64
    )
    if not (kcls > 0).any():
        return
    rng = world.rng
    rounds = 0
    r = 0
    start = table.start
    while True:
        kf, kb = all_rates(world, table, kcls)
        tot = kf + kb
        if rounds == 0:
            top = float(tot.max())
            if top <= 0:
                return
            rounds = max(1, math.ceil(top * world.dt / MAX_EVENT_PROBABILITY))
        u = rng.random(table.size)
        v = rng.random(table.size)
        fire = np.flatnonzero(u < tot * (world.dt / rounds))
        if fire.size:
            direction = np.where(v[fire] * tot[fire] < kf[fire], 1, -1)
            cut = np.searchsorted(fire, start)
            for c, g in enumerate(table.groups):
                a, b = cut[c], cut[c + 1]
                if b > a:
                    execute(world, g, fire[a:b] - start[c], direction[a:b])
        r += 1
        if r >= rounds:
            return
