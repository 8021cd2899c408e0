"""The membrane world's structure: one writer of pools, charge and counters; stoichiometry declared once."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from agents.synthase import ATPSynthase, atp_at_step
from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.state import COUNTER_NAMES, Change

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"width": 24, "n_rows": 8, "p_rows": 4, "protons_n": 3000, "protons_p": 1500}


def test_pool_and_counters_are_read_only_views() -> None:
    world = MembraneWorld(Run(0), **SMALL)
    with pytest.raises(TypeError):
        world.pool["atp_c"] = 0  # type: ignore[index]
    with pytest.raises(TypeError):
        world.counters["atp_made"] = 5  # type: ignore[index]
    with pytest.raises(AttributeError):
        world.charge = 3  # type: ignore[misc]
    assert set(world.counters) == set(COUNTER_NAMES)


def _writes(tree: ast.AST) -> list[int]:
    """Lines that assign to ``<x>.pool[...]``, ``pool[...]``, ``<x>.counters[...]``, ``counters[...]`` or
    ``<x>.charge``, or call ``.update`` on a pool or counters mapping."""
    names = {"pool", "counters"}

    def named(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id in names) or (
            isinstance(node, ast.Attribute) and node.attr in names
        )

    lines = []
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        flat: list[ast.AST] = []
        for t in targets:
            flat += list(t.elts) if isinstance(t, ast.Tuple) else [t]
        for t in flat:
            if (isinstance(t, ast.Subscript) and named(t.value)) or (
                isinstance(t, ast.Attribute) and t.attr == "charge"
            ):
                lines.append(node.lineno)
        call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        if call and node.func.attr == "update" and named(node.func.value):  # type: ignore[attr-defined]
            lines.append(node.lineno)
    return lines


def test_only_the_state_writes_pools_charge_and_counters() -> None:
    """Source law: outside `world/membrane/state.py` no module of the agents or the membrane world assigns to a
    pool, a counter or the charge (they go through `ChemState.apply` / `count`). The scan itself is checked on a
    snippet that does each forbidden write."""
    bad = "world.pool['a'] += 1\npool['b'] = 2\nworld.counters['c'] -= 1\nw.charge = 0\nself.pool.update(x)\n"
    assert _writes(ast.parse(bad)) == [1, 2, 3, 4, 5]
    offenders = []
    for path in sorted([*(ROOT / "agents").glob("*.py"), *(ROOT / "world" / "membrane").glob("*.py")]):
        if path.name == "state.py":
            continue
        for line in _writes(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == []


def _state(world: MembraneWorld) -> tuple[int, dict[str, int], int, int]:
    cnt = world.lattice.counts
    return world.state.charge, dict(world.state.pool), int(cnt[0]), int(cnt[1])


@pytest.mark.parametrize("transport", ["lumped", "ant_pic"])
def test_every_move_does_what_its_class_declares(transport: str) -> None:
    """Every site class's `fire` changes charge, pools and free proton counts by exactly its declared
    `forward_change` × direction (the synthase: its step, plus one ATP on boundary steps), in both directions,
    and the heat it books is −ΔG of that declared change. Moves are tried between steps of a running world until
    each class has made one in each direction (a move is refused while its carriers are not there)."""
    run = Run(2)
    world = MembraneWorld(run, transport=transport, atp_demand=300.0, **SMALL)
    run.drive(world, world.dt)
    run.run_until(0.1)
    pending = {(cls, d): members[0] for cls, members in world.groups for d in (1, -1)}
    for _ in range(400):
        run.run_until(run.now + world.dt)
        for (cls, direction), site in list(pending.items()):
            declared = cls.forward_change(world)
            assert isinstance(declared, Change)
            if cls is ATPSynthase:
                n = world.params.c_ring
                s_from = site.position if direction > 0 else (site.position - 1) % n
                if atp_at_step(s_from, n):
                    declared = declared._replace(mols=(("atp_m", 1), ("adp_m", -1), ("pi_m", -1)))
            change = declared.times(direction)
            q0, pool0, n0, p0 = _state(world)
            heat0 = world.counters["heat_J"]
            dg = world.state.dG(change) if world.state.possible(change) else None
            if not site.fire(world, direction):
                assert _state(world) == (q0, pool0, n0, p0)  # a refused move changes nothing
                continue
            q1, pool1, n1, p1 = _state(world)
            assert q1 - q0 == change.dq, (cls.__name__, direction)
            # free protons: the declared change on N and P (complex I/II's own substrate protons included)
            assert (n1 - n0, p1 - p0) == (change.dn_n, change.dn_p), (cls.__name__, direction)
            want = dict(pool0)
            for m, d in change.mols:
                want[m] += d
            assert pool1 == want, (cls.__name__, direction)
            assert dg is not None
            assert world.counters["heat_J"] - heat0 == pytest.approx(-dg, rel=1e-12, abs=1e-30)
            del pending[(cls, direction)]
        if not pending:
            break
    assert [(cls.__name__, d) for cls, d in pending] == []


def test_matter_from_outside_changes_no_energy_account() -> None:
    """An ADP pulse goes through `ChemState.apply` without energy: pools and `adp_added` move, the energy
    counters do not."""
    world = MembraneWorld(Run(1), **SMALL)
    before = dict(world.counters)
    adp = world.pool["adp_c"]
    world.add_adp(250)
    assert world.pool["adp_c"] == adp + 250
    after = dict(world.counters)
    assert after.pop("adp_added") - before.pop("adp_added") == 250
    assert after == before


def test_move_free_energies_agree_with_the_textbook_relations() -> None:
    """`move_dG_kJ_per_mol` against relations computed another way, in a running world: a leak site's ΔG per
    H⁺ is −F·Δp, and the synthase's per ATP is ΔG_ATP(matrix) − (n/3)·F·Δp (tolerance 0.3 kJ/mol: the model
    counts molecules, the relations use continuous concentrations)."""
    from world.constants import F

    run = Run(5)
    world = MembraneWorld(run, atp_demand=300.0, **SMALL)
    run.drive(world, world.dt)
    run.run_until(0.5)
    dg = world.move_dG_kJ_per_mol()
    f_dp = F * world.pmf_mV * 1e-6  # kJ/mol
    assert dg["LeakSite"] == pytest.approx(-f_dp, abs=0.3)
    n = world.params.c_ring
    assert dg["ATPSynthase"] == pytest.approx(world.dg_atp_kJ_per_mol("matrix") - n / 3 * f_dp, abs=0.3)
    assert set(dg) == {cls.__name__ for cls, _ in world.groups}


def test_window_means_of_move_free_energies_skip_readings_where_the_move_was_impossible() -> None:
    from world.membrane.protocol import _mean_defined

    assert _mean_defined([1.0, float("nan"), 3.0]) == 2.0
    assert np.isnan(_mean_defined([float("nan")] * 3))
