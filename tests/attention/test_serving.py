"""The serving model: Poisson token load on finite layer compute obeys queueing theory, conserves tokens and ATP."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st

from analysis.queueing import batch_means_ci
from world.attention.model import ModelConfig
from world.attention.serving import ServingModel, layer_flops, mean_wait_theory
from world.clock import Run
from world.coupling import ATPBridge
from world.membrane import MembraneWorld

CFG = ModelConfig()
CASES = [  # (load ρ, burst, n_layers, seed)
    *[(rho, 1, 1, seed) for rho in (0.3, 0.6, 0.85) for seed in (0, 1, 2)],
    (0.5, 3, 1, 0),
    (0.8, 3, 1, 1),
    (0.7, 1, 2, 0),
    (0.7, 1, 2, 1),
]
FAMILY_LEVEL = 0.99
"""Stated before measuring: the theory must lie inside every case's batch-means interval, each at level
1 − 0.01 / len(CASES) (Bonferroni), so that all cases together hold at 99 %."""


def _serve(seed: int = 0, rho: float = 0.5, n: int = 20000, config: ModelConfig = CFG, **kw) -> ServingModel:
    run = Run(seed)
    cap = kw.get("capacity", 1)
    smax = float(layer_flops(config).max()) / kw.get("compute_rate", 1e7)
    rate = rho * (1 if cap is None else cap) / smax
    s = ServingModel(run, config, rate=rate, **kw)
    s.start(n / rate)
    run.run_until(1.2 * n / rate + 1.0)
    return s


def _waits_in_arrival_order(s: ServingModel, skip: float = 0.1) -> np.ndarray:
    r = s.records()
    order = np.argsort(r["arrive"], kind="stable")
    w = (r["grant"] - r["request"]).sum(axis=1)[order]
    return w[int(skip * len(w)) :]


@pytest.mark.parametrize(("rho", "burst", "layers", "seed"), CASES)
def test_mean_wait_matches_mx_d_1_theory(rho: float, burst: int, layers: int, seed: int) -> None:
    """The mean queueing wait lies within its batch-means interval of Pollaczek–Khinchine (M^X/D/1, with
    Friedman's reduction of the layer tandem to its slowest layer)."""
    config = ModelConfig(n_layers=layers)
    s = _serve(seed, rho, config=config, burst=burst)
    mean, half = batch_means_ci(_waits_in_arrival_order(s), 20, 1 - (1 - FAMILY_LEVEL) / len(CASES))
    theory = mean_wait_theory(s.rate, float(s.service.max()), burst)
    assert abs(mean - theory) <= half, f"wait {mean:.3e} ± {half:.3e}, theory {theory:.3e}"
    r = s.records()
    lat = r["end"] - r["arrive"]
    np.testing.assert_allclose(lat - (r["grant"] - r["request"]).sum(axis=1), s.service.sum(), rtol=1e-9)


def test_removing_the_queue_changes_latency_but_not_the_low_load_limit() -> None:
    """Infinite capacity gives latency = Σ service for every token; at ρ = 0.6 one slot per layer adds a wait
    far outside the interval; at ρ = 0.005 the queued mean latency is within 1 % of the no-queue answer."""
    free = _serve(0, 0.6, n=5000, capacity=None)
    r = free.records()
    np.testing.assert_allclose(r["end"] - r["arrive"], free.service.sum(), rtol=1e-12)
    queued = _serve(0, 0.6, n=5000)
    rq = queued.records()
    mean, half = batch_means_ci(rq["end"] - rq["arrive"], 20, 0.99)
    assert mean - half > free.service.sum() * 1.2
    low = _serve(0, 0.005, n=3000)
    rl = low.records()
    assert np.mean(rl["end"] - rl["arrive"]) == pytest.approx(low.service.sum(), rel=0.01)


@pytest.mark.parametrize("capacity", [1, 3])
def test_throughput_never_exceeds_capacity(capacity: int) -> None:
    """Overloaded (ρ = 2), any c·n + 1 consecutive completions span at least n service times (so no window
    of length T holds more than c·(T/s + 1)), and the long-run throughput equals the capacity c / s."""
    s = _serve(0, 2.0, n=6000, capacity=capacity)
    end = np.sort(s.records()["end"])
    svc = float(s.service.max())
    for n in (1, 10, 100):
        span = end[capacity * n :] - end[: -capacity * n]
        assert span.min() >= n * svc * (1 - 1e-9)
    mid = (end > end[0] + 0.1 * (end[-1] - end[0])) & (end < end[-1] - 0.1 * (end[-1] - end[0]))
    rate = (mid.sum() - 1) / (end[mid][-1] - end[mid][0])
    assert rate == pytest.approx(s.max_throughput, rel=0.01)


def _starved(seed: int, rate: float, timeout: float | None, refill: int, period: float, t_end: float):
    run = Run(seed)
    energy = simpy.Container(run.env, init=0)
    energy.total_put = 0  # type: ignore[attr-defined]

    def feed(env):  # type: ignore[no-untyped-def]
        while True:
            yield env.timeout(period)
            yield energy.put(refill)
            energy.total_put += refill  # type: ignore[attr-defined]

    run.env.process(feed(run.env))
    s = ServingModel(run, CFG, rate=rate, energy=energy, atp_per_token=2, atp_timeout=timeout)
    s.start(t_end)
    run.run_until(t_end)
    return run, s, energy


@given(
    seed=st.integers(0, 10_000),
    rate=st.floats(50.0, 2000.0),
    timeout=st.one_of(st.none(), st.floats(1e-3, 0.2)),
    refill=st.integers(1, 20),
)
def test_every_token_ends_once_or_is_dropped_under_stalls(
    seed: int, rate: float, timeout: float | None, refill: int
) -> None:
    """Under ATP stalls every started token is served once, dropped once, or still in flight; ATP taken =
    admitted × k, and nothing else left the container."""
    run, s, energy = _starved(seed, rate, timeout, refill, period=0.01, t_end=0.5)
    c = s.counts()
    assert c["started"] == c["done"] + c["dropped"] + c["in_flight"]
    tr = run.trace.to_frame()
    ids = tr[tr.kind.isin(["token_served", "token_dropped"])].entity_id
    assert ids.is_unique and len(ids) == c["done"] + c["dropped"]
    assert set(ids) <= set(range(c["started"]))
    assert c["atp_drawn"] == 2 * c["admitted"] == energy.total_put - energy.level
    if timeout is None:
        assert c["dropped"] == 0


def test_atp_stall_is_a_mechanism() -> None:
    """Starving the tokens of ATP raises latency and drops tokens; plenty of ATP gives the unlimited answer."""
    _, starved, _ = _starved(1, 400.0, 0.05, refill=4, period=0.01, t_end=2.0)
    _, fed, _ = _starved(1, 400.0, 0.05, refill=10_000, period=0.01, t_end=2.0)
    free = _serve(1, 400.0 * 0.00128, n=800)
    assert starved.dropped > 0 and fed.dropped == 0
    lat = {k: float(np.mean(v.records()["end"] - v.records()["arrive"])) for k, v in [("s", starved), ("f", fed)]}
    assert lat["s"] > 3 * lat["f"]
    assert lat["f"] == pytest.approx(float(np.mean(free.records()["end"] - free.records()["arrive"])), rel=0.25)


def test_atp_ledger_with_the_membrane() -> None:
    """Paid from a real membrane's cytosol: ATP drawn = admitted × k = ATP the bridge hydrolysed = the
    membrane's atp_spent counter, and ATP + ADP of the membrane is unchanged."""
    run = Run(3)
    world = MembraneWorld(run, atp_c=60)
    run.drive(world, world.dt)
    bridge = ATPBridge(run, world)
    total = world.pool["atp_c"] + world.pool["adp_c"]
    s = ServingModel(run, CFG, rate=600.0, energy=bridge.energy, atp_per_token=3, atp_timeout=0.05)
    s.start(0.4)
    run.run_until(0.45)
    c = s.counts()
    assert c["dropped"] > 0 and c["done"] > 0
    assert c["atp_drawn"] == 3 * c["admitted"] == bridge.atp_spent == world.counters["atp_spent"]
    assert world.pool["atp_c"] + world.pool["adp_c"] == total


def test_same_seed_same_trace() -> None:
    """Two runs with one seed write identical traces; another seed does not."""
    frames = []
    for seed in (4, 4, 5):
        run = Run(seed)
        ServingModel(run, CFG, rate=500.0, burst=2).start(2.0)
        run.run_until(2.5)
        frames.append(run.trace.to_frame())
    pd.testing.assert_frame_equal(frames[0], frames[1])
    assert not frames[0].equals(frames[2])


def test_flops_and_theory_formulas() -> None:
    """FLOPs follow the documented count; the wait formula reduces to P–K for b = 1 and diverges at ρ = 1."""
    c = ModelConfig(vocab=8, n_ctx=32, d_model=32, n_layers=2, n_heads=2, mlp=True)
    f = layer_flops(c)
    per = 8 * 32 * 2 * 16 + 4 * 2 * 16 * 32 + 4 * 32 * 128
    assert f.tolist() == [per, per + 2 * 32 * 8]
    assert mean_wait_theory(500.0, 1e-3) == pytest.approx(0.5 * 1e-3 / (2 * 0.5))
    assert math.isinf(mean_wait_theory(1000.0, 1e-3))


def test_bad_arguments_are_rejected() -> None:
    """Rates, capacities, bursts and ATP costs outside their ranges raise ValueError naming the value."""
    run = Run(0)
    for kw, msg in [
        ({"rate": 0.0}, r"rate\(=0.0\)"),
        ({"rate": 1.0, "capacity": 0}, r"capacity\(=0\)"),
        ({"rate": 1.0, "burst": 0}, r"burst\(=0\)"),
        ({"rate": 1.0, "atp_per_token": 1.5}, r"atp_per_token\(=1.5\)"),
    ]:
        with pytest.raises(ValueError, match=msg):
            ServingModel(run, CFG, **kw)


def test_batching_raises_capacity_only_when_service_is_shared() -> None:
    """Overloaded (ρ = 2 of the unbatched capacity), batches of up to 4 with a shared half of the service serve
    c·B / (s·(w + (1 − w)·B)) = 1.6× the unbatched capacity; with nothing shared (w = 0) batching leaves the
    capacity at c / s; at ρ = 0.005 (this seed) no token finds another waiting, every batch is a single token and
    latency equals the unbatched answer."""
    for w, factor in ((0.5, 1.6), (0.0, 1.0)):
        s = _serve(0, 2.0, n=6000, batch_max=4, batch_shared=w)
        end = np.sort(s.records()["end"])
        mid = end[len(end) // 10 : -len(end) // 10]
        rate = (len(mid) - 1) / (mid[-1] - mid[0])
        assert s.max_throughput == pytest.approx(factor / float(s.service.max()))
        assert rate == pytest.approx(s.max_throughput, rel=0.01)
        assert max(b for _, _, b in s.batches[0]) == 4
    low = _serve(0, 0.005, n=2000, batch_max=4, batch_shared=0.5)
    plain = _serve(0, 0.005, n=2000)
    assert {b for _, _, b in low.batches[0]} == {1}
    lat = [np.mean(x.records()["end"] - x.records()["arrive"]) for x in (low, plain)]
    assert lat[0] == pytest.approx(lat[1], rel=1e-9)
