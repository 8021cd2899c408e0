"""The name-clash guard: the four top-level packages come from this project only."""

import pytest

from scenarios.guard import PACKAGES, check_packages, clashes


def test_installed_environment_has_no_clash() -> None:
    """In this environment no other distribution provides agents, world, scenarios or analysis."""
    assert clashes() == {}
    check_packages()


def test_foreign_distribution_is_reported() -> None:
    """A second distribution providing `agents` is named in a clear error."""
    mapping = {p: ["gradient-engines"] for p in PACKAGES}
    mapping["agents"] = ["gradient-engines", "openai-agents"]
    assert clashes(mapping) == {"agents": ["openai-agents"]}
    with pytest.raises(RuntimeError, match=r"openai-agents.*own virtual environment"):
        check_packages(mapping)
