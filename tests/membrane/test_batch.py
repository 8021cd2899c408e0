"""Batched site moves (`site_events="batch"`, `world.membrane.batch`): the rule, its limits, and the physics it
must not change. Tolerances and predictions are written in each docstring before the test was first run."""

from __future__ import annotations

import copy
import functools
import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from agents.complexes import ComplexI, ComplexII, ComplexIII, ComplexIV, rate_spec
from agents.synthase import ATPSynthase, atp_at_step
from agents.transport import AdenineNucleotideTranslocase, LeakSite, NucleotideExchanger
from world.clock import Run
from world.membrane import MembraneWorld, batch, kernels
from world.membrane.geometry import N_SIDE, P_SIDE, match_by_column
from world.membrane.thermo import fermi_rates
from world.testing import FERMI_STACK, ONLY_SYNTHASES, membrane_law_violations, scheme_states, states_agree


def test_match_by_column_gives_distinct_nearest_candidates() -> None:
    """Every request gets its own candidate; a request whose column holds a free candidate gets one there; the
    requests sorted by column get candidates in column order (a monotone matching)."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        cand = rng.integers(0, 30, size=int(rng.integers(1, 40)))
        req = rng.integers(0, 30, size=int(rng.integers(0, cand.size + 1)))
        pick = match_by_column(cand, req)
        assert np.unique(pick).size == req.size
        order = np.argsort(req, kind="stable")
        assert np.all(np.diff(cand[pick[order]]) >= 0)
        if req.size == 1 and (cand == req[0]).any():
            assert cand[pick[0]] == req[0]
    cand = np.array([5, 1, 9, 5, 3])
    assert match_by_column(cand, np.array([5, 5, 2])).tolist() == [0, 3, 4]  # 5, 5 and the first at or right of 2


def test_round_robin_ranks_every_first_move_before_any_second() -> None:
    """Moves go round-robin over the sites from the drawn start: all first moves (sites start, start + 1, …,
    wrapping), then all second moves, …"""
    sites, ranks = kernels.round_robin(np.array([2, 0, 1, 3]), start=2)
    assert list(zip(sites.tolist(), ranks.tolist(), strict=True)) == [
        (2, 0),
        (3, 0),
        (0, 0),
        (3, 1),
        (0, 1),
        (3, 2),
    ]
    rng = np.random.default_rng(1)
    for _ in range(200):  # against the definition, with many and with at most one move per site
        counts = rng.poisson(rng.choice([0.3, 2.0]), size=int(rng.integers(1, 12)))
        if not counts.any():
            continue
        start = int(rng.integers(counts.size))
        n = counts.size
        want = sorted(((i, r) for i in range(n) for r in range(counts[i])), key=lambda m: (m[1], (m[0] - start) % n))
        sites, ranks = kernels.round_robin(counts, start)
        assert list(zip(sites.tolist(), ranks.tolist(), strict=True)) == want


def test_accept_takes_the_prefix_that_the_molecules_allow() -> None:
    """Accepted moves are the longest prefix whose cumulative needs stay within what is there, molecule by
    molecule."""
    needs = np.array([[1, 0], [1, 1], [1, 0], [1, 1], [1, 0]])
    assert batch.accept(needs, np.array([5, 1])) == 3  # the fourth needs a second of molecule 1
    assert batch.accept(needs, np.array([2, 9])) == 2
    assert batch.accept(needs, np.array([9, 9])) == 5
    assert batch.accept(np.zeros((0, 2), dtype=int), np.array([0, 0])) == 0


@given(
    positions=st.lists(st.integers(0, 7), min_size=6, max_size=6),
    counts=st.lists(st.integers(0, 3), min_size=6, max_size=6),
    direction=st.sampled_from([1, -1]),
    protons=st.integers(0, 12),
    pools=st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)),
)
@settings(max_examples=60, deadline=None)
def test_rotor_acceptance_is_the_general_prefix_rule(
    positions: list[int], counts: list[int], direction: int, protons: int, pools: tuple[int, int, int]
) -> None:
    """`ATPSynthase.accept_many` (a closed form: protons, and the boundary steps' cumulative count against ADP
    and Pi or ATP) accepts exactly the prefix `batch.accept` gives for the moves' needs written out: one
    proton each, and ADP and Pi (forward) or ATP (backward) on a boundary step, the boundaries found by the
    one-by-one move's rule (`atp_at_step`), not by the compiled one."""
    world = MembraneWorld(Run(0), site_events="batch", **ONLY_SYNTHASES)
    members = list(world.agents_by_type[ATPSynthase])
    for syn, pos in zip(members, positions, strict=True):
        syn.position = pos
    world.state.pool.update(adp_m=pools[0], pi_m=pools[1], atp_m=pools[2])
    c = np.array(counts)
    assume(c.any())  # a class with no moves does not reach accept_many
    world.lattice.counts[P_SIDE if direction > 0 else N_SIDE] = protons
    sites, ranks = kernels.round_robin(c, 0)
    n = world.params.c_ring
    # the r-th step of a site this batch starts at position + d·r; a boundary as the one-by-one move has it
    start = [(positions[i] + direction * r - (direction < 0)) % n for i, r in zip(sites, ranks, strict=True)]
    b = np.array([atp_at_step(s, n) for s in start], dtype=np.int64)
    ones = np.ones_like(b)
    if direction > 0:
        needs, have = np.stack([ones, b, b], axis=1), np.array([protons, pools[0], pools[1]])
    else:
        needs, have = np.stack([ones, b], axis=1), np.array([protons, pools[2]])
    assert ATPSynthase.accept_many(world, members, sites, ranks, direction) == batch.accept(needs, have)


@functools.cache
def _batch_world() -> MembraneWorld:
    return MembraneWorld(Run(0), site_events="batch")


@given(
    cls=st.sampled_from(
        [ComplexI, ComplexII, ComplexIII, ComplexIV, LeakSite, NucleotideExchanger, AdenineNucleotideTranslocase]
    ),
    direction=st.sampled_from([1, -1]),
    moves=st.integers(1, 12),
    protons=st.tuples(st.integers(0, 20), st.integers(0, 20)),
    pool=st.integers(0, 6),
)
@settings(max_examples=80, deadline=None)
def test_site_acceptance_is_the_general_prefix_rule(
    cls: type, direction: int, moves: int, protons: tuple[int, int], pool: int
) -> None:
    """`MembraneSite.accept_many` (a closed form: every move needs what `forward_change` consumes, so the prefix
    is the fewest whole moves any molecule allows) accepts exactly the prefix `batch.accept` gives for the moves'
    needs written out: free N and P protons, then every pool the move lowers."""
    world = _batch_world()
    world.lattice.counts[N_SIDE], world.lattice.counts[P_SIDE] = protons
    for name in world.state.pool:
        world.state.pool[name] = pool
    change = cls.forward_change(world).times(direction)
    need = [max(-change.dn_n, 0), max(-change.dn_p, 0)] + [max(-d, 0) for _, d in change.mols]
    have = [*protons] + [pool for _ in change.mols]
    needs = np.tile(np.array(need, dtype=np.int64), (moves, 1))
    sites = np.zeros(moves, dtype=np.int64)
    got = cls.accept_many(world, [], sites, sites, direction)
    assert got == batch.accept(needs, np.array(have, dtype=np.int64))


def test_batch_needs_bulk_access_and_carriers_at_any_distance() -> None:
    """Batched moves match molecules to sites by column, with no reach: local access or a carrier reach is refused
    with the values named."""
    with pytest.raises(ValueError, match=r"site_events.*proton_access='local'"):
        MembraneWorld(site_events="batch", proton_access="local")
    with pytest.raises(ValueError, match=r"carrier_reach_nm=100\.0"):
        MembraneWorld(site_events="batch", carrier_reach_nm=100.0)


@pytest.mark.parametrize("dt", [1e-3, 2.5e-4])
def test_batched_rotors_turn_at_their_law(dt: float) -> None:
    """Six clamped rotors (`world.testing.ONLY_SYNTHASES`) turn at k₊ − k₋ within 5 % at dt = 1 and
    0.25 ms (≈ 2 400 steps in the second, Poisson SE ≈ 2 %), as under one-by-one Poisson moves."""
    run = Run(4)
    world = MembraneWorld(run, dt=dt, site_events="batch", **ONLY_SYNTHASES)
    kf, kb = fermi_rates(world.params.k_rotor, ATPSynthase.rate_dG(world, 1), ATPSynthase.rate_dG(world, -1), world.kT)
    run.drive(world, dt)
    run.run_until(1.0)
    assert world.counters["rotor_steps"] / 6 == pytest.approx(kf - kb, rel=0.05)
    for syn in world.groups_by_name()["ATPSynthase"]:
        assert syn.atp == 3 * syn.steps // world.params.c_ring and syn.position == syn.steps % world.params.c_ring


def test_batched_moves_give_the_one_by_one_answer() -> None:
    """The limit where the batch must not matter: its moves are the one-by-one Poisson scheme's, made a class at
    a time, and under bulk access no rate reads where a molecule sits. Prediction: states 4 and 3 (2 s windows,
    seed 1, dt 1 ms) agree with `site_events="poisson"` within the dt-convergence tolerances
    (`world.testing.states_agree`; halving dt under batch is `test_site_events`)."""
    for a, b in zip(scheme_states(1e-3, "poisson"), scheme_states(1e-3, "batch"), strict=True):
        assert not states_agree(a, b)


def test_the_conflict_rule_is_what_keeps_pools_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule carries weight: in a world whose NADH pool is a handful of molecules and whose sixteen
    complexes I each draw up to a few moves per step, accepting every drawn move would oxidise NADH that is not
    there. Prediction: with the rule every law holds at every step; with `accept_many` replaced by "accept all"
    a batch books a change that takes NADH below zero (whose free energy does not exist: the booking fails)
    within 200 steps."""
    scarce = {"n_complex1": 16, "k_complex1": 400.0, "nad_total": 6, "nadh_supply": 2000.0, "site_events": "batch"}
    run = Run(5)
    world = MembraneWorld(run, **scarce)
    for _ in range(200):
        world.step()
        assert not membrane_law_violations(world)
        assert min(world.pool.values()) >= 0
    assert world.counters["turnovers_1"] > 50
    cls = type(world.groups_by_name()["ComplexI"][0])
    monkeypatch.setattr(cls, "accept_many", classmethod(lambda cls, w, m, s, r, d: s.size))
    world = MembraneWorld(Run(5), **scarce)
    below_zero: list[str] = []
    args = world.state.energy_args  # what each compiled pass books, just before it runs

    def spy(change, s, s_mol=None):  # type: ignore[no-untyped-def]
        k = s if s_mol is None else s_mol
        below_zero.extend(m for m, d in change.mols if world.state.pool[m] + k * d < 0)
        return args(change, s, s_mol)

    world.state.energy_args = spy  # type: ignore[method-assign]
    with pytest.raises(ValueError, match="math domain"):  # ln Γ of a negative count
        for _ in range(200):
            world.step()
    assert "nadh" in below_zero


def test_batched_moves_write_one_row_per_event() -> None:
    """One row per event, as one-by-one moves write them: the ``redox`` rows of complex IV sum to its
    turnovers, the ``rotor_step`` rows to the rotor steps, the ``atp_made`` less ``atp_hydrolysed`` rows to the
    ATP made (forward and backward rows counted with their signs)."""
    run = Run(9)
    world = MembraneWorld(run, site_events="batch", atp_demand=900.0)
    run.drive(world, world.dt)
    run.run_until(0.3)
    f = run.trace.to_frame()
    kind = f["kind"].astype(str)
    assert f.loc[(kind == "redox") & (f["layer"] == 4), "value"].sum() == world.counters["turnovers_4"]
    assert f.loc[kind == "rotor_step", "value"].sum() == world.counters["rotor_steps"]
    made = (kind == "atp_made").sum() - (kind == "atp_hydrolysed").sum()
    assert made == world.counters["atp_made"] != 0


def test_batched_moves_conserve_carriers_one_by_one() -> None:
    """The carriers' own states follow the pools: reduced quinones = QH₂ (each holding two bound protons),
    reduced cytochromes c = c²⁺, after every step of an energised run with succinate, an ADP pulse and an
    uncoupler."""
    run = Run(3)
    world = MembraneWorld(run, site_events="batch", atp_demand=300.0, succinate_supply=200.0, transport="ant_pic")
    for i in range(500):
        world.step()
        if i == 250:
            world.add_adp(300)
            world.add_uncoupler(0.3)
        q = world.quinones
        assert q.red.sum() == world.pool["qh2"] and world.cytc.red.sum() == world.pool["cred"]
        assert (q.h[q.red] >= 0).all() and (q.h[~q.red] == -1).all()
        assert not membrane_law_violations(world)
    assert world.counters["turnovers_2"] > 0 and world.counters["o2_consumed"] > 0


_PINNED = {
    "ant_pic": (11893, "f2edce006b714e97", "e6e63902908846b8"),
    "lumped": (12355, "811fee5afe56bdf8", "0796b3f4a0e5bc5b"),
}
"""Rows, trace digest and counters digest of `_pinned_run` per transport."""


def _pinned_run(transport: str) -> tuple[int, str, str]:
    """A batched world (the earlier laws, under which every complex also turns backward: water turned back, QH₂
    made by complex III, rotors hydrolysing) through an ADP pulse, oligomycin, succinate and an uncoupler; its
    trace rows, a digest of the trace and one of the counters."""
    run = Run(11)
    counts = {"n_complex1": 8, "n_complex2": 8, "n_complex3": 8, "n_complex4": 16, "n_synthase": 12}
    kw = {**FERMI_STACK, **counts, "n_exchanger": 12, "n_leak": 12, "atp_demand": 1200.0, "nadh_supply": 800.0}
    world = MembraneWorld(run, **{**kw, "site_events": "batch", "transport": transport})
    run.drive(world, world.dt)
    run.run_until(0.1)
    world.add_adp(200)
    run.run_until(0.15)
    world.add_inhibitor("oligomycin", 0.5)
    run.run_until(0.2)
    world.set_substrate("succinate", 600.0, exclusive=False)
    world.add_uncoupler(0.3)
    run.run_until(0.3)
    frame = run.trace.to_frame()
    rows = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).values.tobytes()).hexdigest()[:16]
    counters = hashlib.sha256(json.dumps(sorted(world.state.counters.items())).encode()).hexdigest()[:16]
    return len(frame), rows, counters


@pytest.mark.parametrize("transport", sorted(_PINNED))
def test_batched_step_numbers_are_pinned(transport: str) -> None:
    """The batched step is a fixed rule, so its numbers are set by the seed; they are pinned here. The pins were
    measured when each class's moves became one compiled pass (`world.membrane.kernels`, its trace rows written
    into `world.membrane.moves.RowBuffer`) and equal those of the numpy and Python passes they replaced (the
    same digests at the commit before): the compiled passes changed no number. A change of the rule moves them;
    update the pins only for such a change, and say so."""
    assert _pinned_run(transport) == _PINNED[transport]


@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(0, 30), big=st.booleans())
@settings(max_examples=25, deadline=None)
def test_compiled_rates_are_the_python_rates(seed: int, steps: int, big: bool) -> None:
    """A class's compiled rates (`kernels.class_rates`) are the floats of its Python formulation (`rate_dG` with
    `ChemState.dG_parts`, then the law), bit for bit, in every class of a world with the saturable laws and of
    one with the Fermi laws, after some steps; with a pool past the ln Γ table (`big`) the table grows first."""
    compared = 0
    for kw in ({}, {**FERMI_STACK, "transport": "lumped"}):
        run = Run(seed % 1000)
        world = MembraneWorld(run, **kw)
        for _ in range(steps):
            world.step()
        if big:
            world.state.pool["atp_c"] = world.state.lgamma.size + 10
        for cls, _ in world.groups:
            if rate_spec(cls, world) is None:
                continue
            compiled = cls.rates(world, 400.0)
            world.rate_specs[cls] = (world.params, world.state.lgamma, None, None)  # the Python path
            python = cls.rates(world, 400.0)
            del world.rate_specs[cls]
            assert compiled == python, cls.__name__
            compared += 1
    assert compared == 13  # complexes I–IV, the rotors and the leak in both worlds, and the exchanger


def test_pools_mirror_follows_every_write() -> None:
    """The pools' numpy mirror (what the compiled rates and passes read) equals the pools after item writes,
    `update`, a batched run and a copy; adding or removing a pool is refused."""
    world = MembraneWorld(Run(0), site_events="batch", atp_demand=300.0)
    pool = world.state.pool
    pool["atp_c"] += 3
    pool.update(adp_c=7)
    for _ in range(50):
        world.step()
    assert pool.array.tolist() == [pool[m] for m in pool.names]
    twin = copy.deepcopy(pool)
    twin["q"] = 1
    assert twin.array[twin.index["q"]] == 1 and pool.array[pool.index["q"]] == pool["q"] != 1
    with pytest.raises(TypeError, match="fixed"):
        pool.pop("q")
    with pytest.raises(KeyError):
        pool["glucose"] = 1
