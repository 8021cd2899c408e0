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

**Compiled.** The round-robin ranking of a class's moves, and each class's whole direction — the matching of
moves to protons and carriers, the proton moves, the carriers' states and the trace rows — run as compiled
kernels (`world.membrane.kernels`), one call each, where the Python and numpy calls of a pass were: at enzyme
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


def fire_class(
    world: MembraneWorld, cls: type[MembraneSite], members: Sequence[MembraneSite], kf: float, kb: float
) -> None:
    """One step of a site class under ``site_events="batch"`` (module docstring): draw the moves per site from
    the class's rates `kf`, `kb` (1/s; one pair for every site: batched moves need bulk access, where all sites
    see the same state), then make each direction's accepted moves with the class's `fire_many`."""
    n = len(members)
    dt = world.dt
    rng = world.rng
    kf, kb = float(kf), float(kb)
    if kf == 0.0 and kb == 0.0:
        return
    nf = rng.poisson(kf * dt, n)
    nb = rng.poisson(kb * dt, n)
    moving_f = np.count_nonzero(nf)  # count_nonzero: a C call, cheaper than .any() on a few sites
    moving_b = np.count_nonzero(nb)
    if not (moving_f or moving_b):
        return
    start = int(rng.integers(n))
    sf, rf, sb, rb = kernels.round_robin_pair(nf, nb, start)
    for direction, sites, ranks in ((1, sf, rf), (-1, sb, rb)):
        if not sites.size:
            continue
        a = cls.accept_many(world, members, sites, ranks, direction)
        if a == sites.size:
            cls.fire_many(world, members, sites, ranks, direction)
        elif a:
            cls.fire_many(world, members, sites[:a], ranks[:a], direction)
