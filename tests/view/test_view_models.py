"""The live view's models: frame clock, Reset, queued perturbations at frame boundaries, bounded memory."""

from __future__ import annotations

import math
import threading
import tracemalloc

import pytest

from scenarios.view.attention_model import AttentionView
from scenarios.view.coupled_model import CoupledView
from scenarios.view.membrane_model import MembraneView
from world.membrane.params import SMALL_WORLD
from world.trace import NullMetricsRecorder, NullTraceRecorder

SMALL = dict(SMALL_WORLD)
TINY_LM = {"n_ctx": 8, "d_model": 8, "n_heads": 2}


def membrane(**kw):
    return MembraneView(world_params=SMALL, **kw)


def attention(**kw):
    return AttentionView(**{**TINY_LM, "train_steps": 20, "train_time": 0.2, **kw})


def coupled(**kw):
    return CoupledView(**{"world_params": SMALL, "train_steps": 10, "train_time": 0.1, **kw})


def assert_ledger(world) -> None:
    """The membrane world's conservation laws hold now (as in tests/membrane)."""
    g = world.ledger()
    assert g["h_total"] == g["h_expected"]
    assert g["electrons_donated"] + g["electrons_initial"] == g["electrons_on_carriers"] + 4 * g["o2_reduced"]
    assert g["atp_plus_adp"] == g["atp_plus_adp_expected"]
    assert g["atp_plus_pi"] == g["atp_plus_pi_expected"]
    assert g["charge_e"] == g["charge_initial_e"] + g["charges_moved"] + g["other_charge_e"]
    scale = max(abs(g["redox_released_J"]), abs(g["heat_J"]), 1e-25)
    lhs = g["redox_released_J"] + g["external_J"]
    rhs = g["stored_pmf_J"] + g["stored_atp_J"] + g["heat_J"]
    assert math.isclose(lhs, rhs, rel_tol=1e-9, abs_tol=1e-12 * scale)


@pytest.mark.parametrize("make", [membrane, attention, coupled], ids=["membrane", "attention", "coupled"])
def test_step_advances_the_clock_by_one_frame(make) -> None:
    """Each step() moves the run's SimPy clock, and model.time, by exactly frame_dt simulated seconds."""
    m = make()
    assert m.run.now == 0.0 and m.time == 0.0
    for k in range(1, 6):
        m.step()
        assert math.isclose(m.run.now, k * m.frame_dt, rel_tol=0, abs_tol=1e-12)
        assert m.time == m.run.now and m.frames == k == m.steps


def test_membrane_world_steps_within_the_frame() -> None:
    """A membrane frame of frame_steps steps runs the world's own step frame_steps times (its clock follows)."""
    m = membrane(frame_steps=4)
    m.step()
    m.step()
    assert m.world.t == pytest.approx(2 * 4 * m.world.dt)
    assert m.world.counters["turnovers_4"] != 0 or m.world.counters["h_pumped"] != 0


@pytest.mark.parametrize("make", [membrane, attention, coupled], ids=["membrane", "attention", "coupled"])
def test_same_seed_same_state_after_reset(make) -> None:
    """Rebuilding from the same keyword arguments (SolaraViz's Reset) gives the same state frame by frame;
    another seed does not."""
    a, b, other = make(seed=3), make(seed=3), make(seed=4)
    assert a.state_digest() == b.state_digest()
    for _ in range(6):
        a.step()
        b.step()
        other.step()
    assert a.state_digest() == b.state_digest()
    assert a.state_digest() != other.state_digest()
    reset = make(seed=3)
    assert reset.time == 0.0 and reset.state_digest() == make(seed=3).state_digest() != a.state_digest()


def test_perturbation_waits_for_the_frame_boundary() -> None:
    """An inhibitor queued between frames is not applied until step(); it is applied at the boundary (before the
    clock moves), then ATP synthesis stops, and every conservation law still holds."""
    m = membrane()
    for _ in range(30):
        m.step()
    boundary = m.run.now
    m.enqueue("inhibitor", "oligomycin")
    assert m.pending == 1 and "oligomycin" not in m.world.inhibitors
    m.step()
    assert m.applied[-1] == (boundary, "oligomycin added")
    assert m.pending == 0 and "oligomycin" in m.world.inhibitors
    made = m.world.counters["atp_made"]
    for _ in range(10):
        m.step()
        assert_ledger(m.world)
    assert m.world.counters["atp_made"] == made


def test_queued_settings_apply_in_order_and_keep_the_ledger() -> None:
    """Demand, uncoupler, ADP pulse and substrate switch queued together apply in order at one boundary; the
    ADP pulse enters the adenine ledger, which still balances."""
    m = membrane()
    m.step()
    adp0 = m.world.counters["adp_added"]
    for action, value in (("atp_demand", 900.0), ("uncoupler", 2.0), ("adp_pulse", 500), ("substrate", "succinate")):
        m.enqueue(action, value)
    assert m.world.demand.rate == 300.0
    m.step()
    assert [what for _, what in m.applied][-4:] == [
        "ATP demand set to 900 ATP/s",
        "uncoupler set to 2 µM",
        "ADP pulse of 500 molecules",
        "substrate switched to succinate",
    ]
    assert m.world.demand.rate == 900.0 and m.world.uncoupler.concentration == 2.0
    assert m.world.counters["adp_added"] == adp0 + 500 and m.world.nadh_supply == 0.0
    for _ in range(5):
        m.step()
    assert_ledger(m.world)


def test_enqueue_from_another_thread_during_play() -> None:
    """Widget callbacks run on other threads than the play loop: perturbations queued while frames run are all
    applied, each at a frame boundary (a multiple of frame_dt), none lost."""
    m = membrane()
    done = threading.Event()

    def clicks() -> None:
        for i in range(20):
            m.enqueue("atp_demand", float(100 * i))
        done.set()

    th = threading.Thread(target=clicks)
    th.start()
    while not done.is_set() or m.pending:
        m.step()
    th.join()
    times = [t for t, what in m.applied if what.startswith("ATP demand")]
    assert len([w for _, w in m.applied]) == len(m.applied) and m.world.demand.rate == 1900.0
    assert all(math.isclose(t / m.frame_dt, round(t / m.frame_dt), abs_tol=1e-9) for t in times)
    assert_ledger(m.world)


def test_bad_perturbation_is_refused_when_queued() -> None:
    """A bad value is refused by enqueue (ValueError naming it), so it can never fail inside the play loop."""
    m = membrane()
    with pytest.raises(ValueError, match="inhibitor"):
        m.enqueue("inhibitor", "arsenic")
    with pytest.raises(ValueError, match="atp_demand"):
        m.enqueue("atp_demand", -1.0)
    with pytest.raises(ValueError, match="action"):
        m.enqueue("ablate", 1)
    assert m.pending == 0


def test_attention_controls_change_the_stream() -> None:
    """Temperature and head ablation reach the tokens that arrive after the boundary: their records carry them."""
    m = attention()
    for _ in range(3):
        m.step()
    m.enqueue("temperature", 3.0)
    m.enqueue("head", 0, 1, True)
    m.step()
    boundary = m.applied[-1][0]
    m.step()
    late = [r for r in m.parts.stream.records if r[1] > boundary + m.parts.slot]
    assert late and all(r[5] == 3.0 and r[6] == 1 for r in late)
    assert m.parts.ablated() == {(0, 1)}


def test_memory_is_bounded_over_ten_thousand_frames() -> None:
    """10⁴ frames (2 000 tokens): the series hold `history` frames, the token records at most `keep_tokens`,
    the graph one window, the recorders nothing, and the traced Python memory grows by less than 256 KiB
    between frame 2 000 and frame 10 000 (a page left open does not grow)."""
    m = AttentionView(**TINY_LM, train_steps=0, frame_dt=0.002, history=200)
    for _ in range(2_000):
        m.step()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(8_000):
        m.step()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    stream = m.parts.stream
    assert m.frames == 10_000 and stream.tokens_done >= 1_999
    assert len(m.series) == 200 and len(stream.records) <= m.parts.keep_tokens
    assert stream.graph.number_of_nodes() <= 2 * (m.parts.lm.config.n_layers + 1) * m.parts.lm.config.n_ctx
    assert m.run.trace.seq > 5_000 and isinstance(m.run.trace, NullTraceRecorder)
    assert grown < 256 * 1024, f"grew {grown} bytes"


def test_membrane_recorders_store_nothing() -> None:
    """2 000 membrane frames emit thousands of trace events, and the run stores none of them; the series and
    the rate window stay at their lengths."""
    m = MembraneView(world_params=SMALL, frame_steps=1, history=100)
    for _ in range(2_000):
        m.step()
    assert isinstance(m.run.trace, NullTraceRecorder) and isinstance(m.run.metrics, NullMetricsRecorder)
    assert m.run.trace.seq > 2_000
    assert len(m.run.trace.to_frame()) == 0 and len(m.run.metrics.to_frame()) == 0
    assert len(m.series) == 100 and len(m.snaps) == m.snaps.maxlen


def test_trim_is_what_bounds_the_token_records() -> None:
    """Without the per-frame trim, the stream's records grow with every token (the mechanism matters)."""
    m = AttentionView(**TINY_LM, train_steps=0, frame_dt=0.05)
    m.parts.trim = lambda: None
    for _ in range(100):
        m.step()
    assert len(m.parts.stream.records) > m.parts.keep_tokens


def test_stalled_coupled_stream_turns_arrivals_away() -> None:
    """Under oligomycin the cytosolic ATP runs out and tokens wait; at most max_waiting wait, the rest are
    turned away; with a limit above the arrivals, the queue simply grows (the bound is what holds memory)."""
    drained = {**SMALL, "atp_m": 20}  # little matrix ATP left to export once the synthases stop
    bounded = coupled(atp_cytosol=40, max_waiting=30, world_params=drained)
    free = coupled(atp_cytosol=40, max_waiting=10**9, world_params=drained)
    for m in (bounded, free):
        m.enqueue("inhibitor", "oligomycin")
        for _ in range(80):
            m.step()
        assert_ledger(m.world)
    assert bounded.bridge.waiting <= 30 and bounded.parts.turned_away > 0
    assert free.bridge.waiting > 30 and free.parts.turned_away == 0
