"""Fixtures of the membrane-world tests: small worlds and the conservation-law checker."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from world.membrane.params import SMALL_WORLD

SMALL = SMALL_WORLD
"""A world small enough for property tests (a few ms per 100 steps of diffusion)."""


def assert_ledger(world: Any) -> None:
    """Every conservation law (docs/membrane.md) holds for `world` now (exactly where the model is exact)."""
    g = world.ledger()
    assert g["h_total"] == g["h_expected"], "H+: free N + free P + bound = initial + produced - consumed"
    assert g["h_bound"] == g["h_bound_expected"], "bound H+ = 2 per QH2 + those in complex IV"
    assert g["electrons_donated"] + g["electrons_initial"] == g["electrons_on_carriers"] + 4 * g["o2_reduced"]
    assert g["atp_plus_adp"] == g["atp_plus_adp_expected"]
    assert g["atp_plus_pi"] == g["atp_plus_pi_expected"]
    assert g["charge_e"] == g["charge_initial_e"] + g["charges_moved"] + g["other_charge_e"]
    assert math.isclose(g["psi_times_C_over_e"], g["charge_e"], rel_tol=1e-12, abs_tol=1e-9)
    for syn in world.groups_by_name()["ATPSynthase"]:
        assert syn.atp == (3 * syn.steps) // world.params.c_ring, "3 ATP per n protons through the rotor"
    scale = max(abs(g["redox_released_J"]), abs(g["heat_J"]), 1e-25)
    lhs = g["redox_released_J"] + g["external_J"]
    rhs = g["stored_pmf_J"] + g["stored_atp_J"] + g["heat_J"]
    assert math.isclose(lhs, rhs, rel_tol=1e-9, abs_tol=1e-12 * scale), "redox = stored + heat"
    assert math.isclose(g["stored_pmf_J"], g["stored_pmf_state_J"], rel_tol=1e-9, abs_tol=1e-12 * scale)


@pytest.fixture(scope="session")
def check_ledger() -> Callable[[Any], None]:
    """The conservation-law checker."""
    return assert_ledger


@pytest.fixture(scope="session")
def small() -> dict[str, Any]:
    """Parameters of a small world (a copy, free to change)."""
    return dict(SMALL)
