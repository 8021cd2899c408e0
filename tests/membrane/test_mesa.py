"""The membrane world as Mesa users drive it: keyword construction, `model.step()`, agent sets, `batch_run`."""

from __future__ import annotations

import mesa
import pytest

from agents.complexes import ComplexIV
from agents.synthase import ATPSynthase
from world.membrane import SMALL_WORLD, MembraneWorld


def test_sites_are_fixed_agents_in_membrane_cells_grouped_by_type() -> None:
    """Each site class is an AgentSet of FixedAgents sitting in cells of the membrane row of the grid."""
    world = MembraneWorld(seed=1, **SMALL_WORLD)
    synthases = world.agents_by_type[ATPSynthase]
    assert len(synthases) == SMALL_WORLD["n_synthase"]
    assert len(world.agents_by_type[ComplexIV]) == SMALL_WORLD["n_complex4"]
    assert {a.cell.coordinate[1] for a in synthases} == {world.lattice.membrane_row}
    assert sorted(a.x for a in synthases) == sorted(a.cell.coordinate[0] for a in synthases)


def test_batch_run_drives_the_world_from_keyword_arguments() -> None:
    """`mesa.batch_run` builds the world from keyword arguments and steps it; each step is dt of the run's clock."""
    results = mesa.batch_run(
        MembraneWorld,
        parameters={**SMALL_WORLD, "atp_demand": [0.0, 600.0]},
        rng=[3],
        max_steps=30,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(results) == 2
    for row in results:
        assert row["Step"] == 30
        assert row["time_s"] == pytest.approx(30 * 1e-3)
        assert row["delta_psi_mV"] > 0
