"""The public test helpers (`world.testing`): small worlds that run, and a law checker that catches a break."""

from __future__ import annotations

import pytest

from world.testing import (
    SMALL_WORLD,
    assert_membrane_laws,
    membrane_law_violations,
    small_attention_world,
    small_membrane_world,
)


def test_small_membrane_world_keeps_every_law_while_running() -> None:
    """A small world stepped 100 times with an ADP pulse on the way breaks no conservation law."""
    _, world = small_membrane_world(seed=3)
    assert world.params.width == SMALL_WORLD["width"]
    for k in range(100):
        if k == 40:
            world.add_adp(50)
        world.step()
        assert_membrane_laws(world)
    assert world.counters["h_pumped"] > 0  # the chain ran


def test_law_checker_names_a_broken_law() -> None:
    """One ATP conjured into the cytosol behind the world's back breaks ATP + ADP and ATP + Pi, and is named."""
    _, world = small_membrane_world(seed=1)
    world.step()
    assert membrane_law_violations(world) == []
    world.state.pool["atp_c"] += 1  # behind the back of ChemState.apply
    broken = membrane_law_violations(world)
    assert "ATP + ADP constant (plus ADP added)" in broken and "ATP + Pi constant" in broken
    with pytest.raises(AssertionError, match="ATP \\+ ADP"):
        assert_membrane_laws(world)


def test_small_attention_world_streams_tokens() -> None:
    """The small attention world processes tokens: each start has one end."""
    run, world = small_attention_world(seed=2, n_heads=1)
    world.process_now(12)
    frame = run.trace.to_frame()
    assert (frame.kind == "token_start").sum() == (frame.kind == "token_end").sum() == 12
