"""Batched site moves (``site_events="batch"``): all moves of a site class in a step made in one vectorised pass.

Key names: `fire_class`, `accept`.

Under ``site_events="poisson"`` each site of a class makes Poisson(k·dt) moves per step, each forward with
probability k₊/k, and the moves are made one by one in Python (`MembraneSite.fire`). ``"batch"`` draws moves
from the same distribution — Poisson(k₊·dt) forward and Poisson(k₋·dt) backward moves per site, from the
step's rates (τ-leaping); not the same random numbers — and makes every move of a class and direction at once
(`MembraneSite.fire_many`). The rule, fixed and seeded:

1. **Order.** A class's forward moves come before its backward moves. Within a direction the moves are ranked
   round-robin over the class's sites (every site's first move, then every second move, …), starting at a site
   drawn from the run's generator each step, so no site is favoured when molecules run short.
2. **Conflicts.** The moves of a direction draw on what is there at their turn (free protons on each side, the
   pools); they are accepted in rank order while every molecule they consume lasts, and the rest are refused
   (`accept`), so no count ever goes negative. What a direction's moves produce is there for the next direction
   and class, not for the moves of the same batch.
3. **Which molecules.** Protons and carriers are matched to the moves by column
   (`world.membrane.geometry.match_by_column`): the moves sorted by their site's column take increasing
   candidates sorted by column — the free protons in the band row at the membrane (all of the side's free
   protons when that row holds too few), the quinones or cytochromes c in the right redox state — each the first
   free one at or right of its column. Proton access must be ``"bulk"`` and carriers found at any distance
   (`carrier_reach_nm` None), where positions set no rate; under local access a batch would have to honour each
   site's reach, which it does not (refused by `MembraneParams`).
4. **Energy.** A direction's moves are booked as one change (the summed stoichiometry; its energy computed in the
   class's compiled pass as `ChemState.book` computes it), whose free-energy change is exact (the free energy is
   a function of the state), so every energy balance holds exactly; each move's trace row carries the batch's
   mean heat.

**Compiled.** A class's turn — its rates, its moves drawn from the run's generator (`world.membrane.draws`: the
numbers numpy's ``rng.poisson`` and ``rng.integers`` draw, and the state they leave), their round-robin ranking
and the forward moves' acceptance — and each class's whole direction — the matching of moves to protons and
carriers, the proton moves, the carriers' states and the trace rows — run as compiled kernels
(`world.membrane.kernels`), one call each, where the Python and numpy calls of a pass were: at enzyme
density a step makes hundreds of small batched moves, and their cost was call overhead. The kernels give exactly
what the earlier formulation gave (the tests compare them, and pin a batched world's numbers), so the trace is
the same.

The trace keeps one row per event, as the other schemes do; within a class's batch the rows come grouped by
kind in the order the moves happen (e.g. complex I forward: every ``h_produced`` row, then every ``pump`` row, then
every ``h_bind`` row, then every ``redox`` row).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from world.membrane import kernels
from world.membrane.draws import generator_pointers

if TYPE_CHECKING:
    from agents.complexes import MembraneSite
    from world.membrane import MembraneWorld


def accept(needs: np.ndarray, have: np.ndarray) -> int:
    """How many moves, taken in order, are accepted: `needs` (moves × molecules, ≥ 0) consumed cumulatively
    must not exceed `have` (molecules). The accepted moves are a prefix. This is rule 2 written out; the site
    classes' `accept_many` are closed forms of it for their needs, and the tests hold them to it."""
    if needs.size == 0:
        return needs.shape[0]
    ok = (np.cumsum(needs, axis=0) <= have).all(axis=1)
    return int(ok.argmin()) if not ok.all() else int(ok.size)


def fire_class(world: MembraneWorld, cls: type[MembraneSite], members: Sequence[MembraneSite], k: float) -> None:
    """One step of a site class under ``site_events="batch"`` (module docstring): its rates at turnover ceiling
    `k` (`MembraneSite.rates`; one pair for every site: batched moves need bulk access, where all sites see the
    same state), this step's moves per site drawn from them, then each direction's accepted moves made with the
    class's `fire_many`. The rates, the draws and the forward moves' acceptance are one compiled call
    (`kernels.class_turn`) for a class with compiled rates; the draws come from the run's generator as numpy's own
    calls would draw them (`world.membrane.draws`)."""
    n = len(members)
    g = generator_pointers(world.rng)
    turn = cls.compiled_turn(world)
    a = -1
    if turn is None:
        kf, kb = cls.rates(world, k)
        moving, sf, rf, sb, rb = kernels.draw_moves(g, float(kf), float(kb), world.dt, n)
    else:
        state = world.state
        while True:
            moving, a, sf, rf, sb, rb = kernels.class_turn(
                g, world.dt, n, float(k), state.pool.array, world.lattice.counts, state.charge, *turn
            )
            if moving >= 0:
                break
            state.grow_lgamma()  # ln Γ's table was short: nothing was drawn
            turn = cls.compiled_turn(world)
            assert turn is not None
    if not moving:
        return
    _make(world, cls, members, sf, rf, 1, a)
    _make(world, cls, members, sb, rb, -1, -1)


def _make(
    world: MembraneWorld,
    cls: type[MembraneSite],
    members: Sequence[MembraneSite],
    sites: np.ndarray,
    ranks: np.ndarray,
    direction: int,
    a: int,
) -> None:
    """Make the accepted prefix of a direction's moves (`a` of them, or −1: ask the class's `accept_many`)."""
    if not sites.size:
        return
    if a < 0:
        a = cls.accept_many(world, members, sites, ranks, direction)
    if a == sites.size:
        cls.fire_many(world, members, sites, ranks, direction)
    elif a:
        cls.fire_many(world, members, sites[:a], ranks[:a], direction)
