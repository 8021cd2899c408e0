"""Layer slots grant exactly as `simpy.Resource` does, in time and in same-instant order against other processes."""

from __future__ import annotations

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from world.attention.slots import LayerSlots


def _resource_log(capacity: int, jobs: list[tuple[float, float, float]], probes: list[float]) -> list[tuple]:
    """Reference: one process per job through two `simpy.Resource` stages (as a token passes two layers)."""
    env = simpy.Environment()
    stages = [simpy.Resource(env, capacity=capacity) for _ in range(2)]
    log: list[tuple] = []

    def job(i: int, arrive: float, holds: tuple[float, float]):  # type: ignore[no-untyped-def]
        yield env.timeout(arrive)
        for s, res in enumerate(stages):
            req = res.request()
            if not req.triggered:
                yield req
            log.append((env.now, "in", i, s))
            if holds[s] > 0:
                yield env.timeout(holds[s])
            res.release(req)
        log.append((env.now, "out", i))

    for i, (arrive, h0, h1) in enumerate(jobs):
        env.process(job(i, arrive, (h0, h1)))
    _probes(env, probes, log)
    env.run()
    return log


def _slots_log(
    capacity: int, jobs: list[tuple[float, float, float]], probes: list[float], slots_cls: type = LayerSlots
) -> list[tuple]:
    """The same jobs advanced by callbacks on `LayerSlots`, as `agents.token.Token` does."""
    env = simpy.Environment()
    stages = [slots_cls(env, capacity) for _ in range(2)]
    log: list[tuple] = []

    class Job:
        def __init__(self, i: int, holds: tuple[float, float]) -> None:
            self.i, self.holds, self.s = i, holds, 0

        def enter(self, _event: object = None) -> None:
            grant = stages[self.s].request()
            if grant is None:
                self.attend()
            else:
                grant.callbacks.append(lambda _e: self.attend())

        def attend(self) -> None:
            log.append((env.now, "in", self.i, self.s))
            if self.holds[self.s] > 0:
                env.timeout(self.holds[self.s]).callbacks.append(self.leave)
            else:
                self.leave()

        def leave(self, _event: object = None) -> None:
            stages[self.s].release()
            self.s += 1
            if self.s < len(stages):
                self.enter()
            else:
                log.append((env.now, "out", self.i))

    def start(i: int, arrive: float, holds: tuple[float, float]):  # type: ignore[no-untyped-def]
        yield env.timeout(arrive)
        Job(i, holds).enter()

    for i, (arrive, h0, h1) in enumerate(jobs):
        env.process(start(i, arrive, (h0, h1)))
    _probes(env, probes, log)
    env.run()
    return log


def _probes(env: simpy.Environment, probes: list[float], log: list[tuple]) -> None:
    """Other processes on the clock: each wakes half-way, then logs at its time and once more one zero-delay
    event later (waking half-way puts its event behind the jobs' events scheduled before then)."""

    def probe(k: int, at: float):  # type: ignore[no-untyped-def]
        yield env.timeout(at / 2)
        yield env.timeout(at - env.now)
        log.append((env.now, "probe", k))
        yield env.timeout(0)
        log.append((env.now, "probe again", k))

    for k, at in enumerate(probes):
        env.process(probe(k, at))


class _GrantAtOnce(LayerSlots):
    """Variant without the release hop: a waiting request is granted inside `release`."""

    def release(self) -> None:
        self.count -= 1
        self._grant()


class _GrantAll(LayerSlots):
    """Variant that grants every waiting request a free slot allows at each trigger, not only the oldest."""

    def _grant(self, _event: object = None) -> None:
        while self.queue and self.count < self.capacity:
            self.count += 1
            self.queue.popleft().succeed()


halves = st.integers(0, 8).map(lambda k: k / 2)  # times on a half-unit grid, so that instants coincide


@settings(max_examples=150, deadline=None)
@given(
    capacity=st.integers(1, 3),
    jobs=st.lists(st.tuples(halves, halves, halves), min_size=1, max_size=12),
    probes=st.lists(halves, max_size=4),
)
def test_layer_slots_log_equals_simpy_resource_log(
    capacity: int, jobs: list[tuple[float, float, float]], probes: list[float]
) -> None:
    """Jobs through two stages of ``capacity`` slots, with coinciding instants and other processes on the clock:
    every grant, release and probe happens at the same time and in the same order as with `simpy.Resource`."""
    assert _slots_log(capacity, jobs, probes) == _resource_log(capacity, jobs, probes)


def test_release_hop_and_single_grant_decide_same_instant_order() -> None:
    """Without the one-event hop between a release and the grant to a waiting job, a job that waited resumes
    before a process that was due at that instant; granting all free slots at once lets a later job overtake;
    the hop and the one-grant rule are what keep the order of `simpy.Resource`."""
    jobs, probes = [(0.0, 1.0, 0.0), (0.5, 0.0, 0.0)], [1.0]
    reference = _resource_log(1, jobs, probes)
    assert _slots_log(1, jobs, probes) == reference
    assert _slots_log(1, jobs, probes, slots_cls=_GrantAtOnce) != reference
    # one grant per trigger, as simpy.Resource: granting every free slot at once reorders a shared instant
    jobs = [(0.0, 0.0, 0.5), (0.0, 0.0, 0.5), (0.0, 0.0, 0.0), (0.0, 0.5, 0.0)]
    assert _slots_log(2, jobs, []) == _resource_log(2, jobs, [])
    assert _slots_log(2, jobs, [], slots_cls=_GrantAll) != _resource_log(2, jobs, [])
    # where no instant is shared, the hop changes nothing
    jobs, probes = [(0.0, 1.0, 0.0), (0.5, 0.0, 0.0)], [1.25]
    assert _slots_log(1, jobs, probes, slots_cls=_GrantAtOnce) == _resource_log(1, jobs, probes)


def test_capacity_is_validated() -> None:
    """A capacity below 1 or not an integer raises ValueError naming the value."""
    import pytest

    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match=r"capacity\(="):
            LayerSlots(simpy.Environment(), bad)  # type: ignore[arg-type]


def test_one_slot_with_nobody_waiting_releases_without_an_event() -> None:
    """The grant hop is scheduled only where it can grant something: a one-slot release with an empty queue
    leaves the event queue empty; with a waiting request, or with two slots, the hop is scheduled (and the
    hypothesis test above shows the grants equal those of `simpy.Resource` either way)."""
    env = simpy.Environment()
    one = LayerSlots(env, 1)
    assert one.request() is None
    one.release()
    assert env.peek() == float("inf") and one.count == 0
    assert one.request() is None
    waiting = one.request()
    assert waiting is not None
    one.release()
    assert env.peek() == 0.0  # the hop that grants the waiting request
    env.step()
    assert waiting.triggered and one.count == 1
    two = LayerSlots(simpy.Environment(), 2)
    assert two.request() is None
    two.release()
    assert two.env.peek() == 0.0
