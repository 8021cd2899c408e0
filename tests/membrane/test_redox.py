"""Redox observables: the reduced fractions of NAD, the quinone pool and cytochrome c, sampled and per window."""

from __future__ import annotations

import numpy as np

from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.observe import REDOX_FRACTIONS
from world.membrane.protocol import Protocol


def test_sampled_fractions_are_the_pool_ratios_at_the_sample() -> None:
    """Each sample's three fractions equal reduced / (reduced + oxidised) of the world's pools at that instant."""
    run = Run(3)
    world = MembraneWorld(run, dt=1e-3, atp_demand=300.0)
    seen: list[dict[str, float]] = []
    run.drive(world, world.dt)

    def sample() -> None:
        world.sample()
        seen.append({k: world.pool[red] / (world.pool[red] + world.pool[ox]) for k, (red, ox) in
                     REDOX_FRACTIONS.items()})  # fmt: skip

    run.every(0.1, sample)
    run.run_until(1.0)
    m = run.metrics.to_frame()
    for name in REDOX_FRACTIONS:
        rows = m[m["metric"].astype(str) == name]
        assert (rows["unit"].astype(str) == "fraction").all()
        np.testing.assert_array_equal(rows["value"].to_numpy(), [s[name] for s in seen])
        assert rows["value"].between(0, 1).all()


def test_inhibitors_move_the_redox_states_the_way_the_chain_predicts() -> None:
    """Three worlds at demand 300 ATP/s on one clock, windows 1.2–1.6 s (before) and 2.6–3.0 s (after an
    inhibitor at 1.6 s). Predictions from the chain's order NADH → CI → Q → CIII → cyt c → CIV → O2, written
    before the test was first run: rotenone (CI) leaves NADH unoxidised, so its reduced fraction rises; antimycin
    A (CIII) lets CIV drain cytochrome c (fraction → ≈ 0) while CI keeps reducing Q (QH2 fraction rises);
    cyanide (CIV) lets CIII reduce cytochrome c (fraction rises above 0.5)."""
    run = Run(5)
    worlds, windows = {}, {}
    for inhibitor in ("rotenone", "antimycin_a", "cyanide"):
        world = MembraneWorld(run, dt=1e-3, atp_demand=300.0)
        proto = Protocol(run, world, None)
        before = proto.measure(1.2, 1.6)
        proto.at(1.6, world.add_inhibitor, inhibitor)
        worlds[inhibitor], windows[inhibitor] = world, (before, proto.measure(2.6, 3.0))
    run.run_until(3.0)
    for before, after in windows.values():
        for name in REDOX_FRACTIONS:
            assert 0.0 <= before[name] <= 1.0 and 0.0 <= after[name] <= 1.0
    b, a = windows["rotenone"]
    assert a["nadh_reduced_fraction"] > b["nadh_reduced_fraction"]
    b, a = windows["antimycin_a"]
    assert a["cytc_reduced_fraction"] < 0.05 and a["qh2_fraction"] > b["qh2_fraction"]
    b, a = windows["cyanide"]
    assert a["cytc_reduced_fraction"] > 0.5 > b["cytc_reduced_fraction"]


def test_a_window_mean_is_the_mean_of_its_pool_readings() -> None:
    """`Protocol.measure` reports each fraction as the mean over its pool readings."""
    run = Run(2)
    world = MembraneWorld(run, dt=1e-3)
    w = Protocol(run, world, None).measure(0.2, 0.6)
    run.run_until(0.6)
    for name, (red, ox) in REDOX_FRACTIONS.items():
        ratios = [p[red] / (p[red] + p[ox]) for p in w["pool_samples"]]
        assert w[name] == sum(ratios) / len(ratios)
