"""A layer's head slots: a FIFO resource that grants a free slot without an event.

Key names: `LayerSlots` (``request``, ``release``, ``count``, ``queue``, ``capacity``).

It grants exactly when a ``simpy.Resource`` of the same capacity grants, in the same order, and a waiting
token resumes at the same point of the event queue (tested against `simpy.Resource` with coinciding instants
and other processes on the clock), but a token that finds a slot free takes it by a counter, without the
request event `simpy.Resource` schedules (an event whose processing changes nothing). A release frees the slot
at once and, as ``simpy.Resource.release`` does with its ``Release`` event, grants the oldest waiting request
one event later; a waiting request is a ``simpy.Event`` that succeeds when granted. With one slot, a release that
finds nobody waiting schedules no grant event: such an event could not grant anything (`release`), so a token
that never waits costs its layer holds and nothing else.
"""

from __future__ import annotations

from collections import deque

import simpy

__all__ = ["LayerSlots"]


class LayerSlots:
    """``capacity`` interchangeable slots, granted first come, first served.

    Args:
        env: the run's SimPy environment.
        capacity: number of slots (≥ 1).
    """

    __slots__ = ("capacity", "count", "env", "queue")

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity(={capacity!r}) must be an integer ≥ 1")
        self.env = env
        self.capacity = capacity
        self.count = 0
        """Slots held now."""
        self.queue: deque[simpy.Event] = deque()
        """Requests waiting for a slot, oldest first."""

    def request(self) -> simpy.Event | None:
        """Take a slot: None if granted now, else an event that succeeds when the slot is granted.

        As in `simpy.Resource`, a request joins the end of the queue and then the queue's head is granted if a
        slot is free (one grant per request, so a free slot goes to the oldest waiting request first).
        """
        if not self.queue and self.count < self.capacity:
            self.count += 1
            return None
        event = simpy.Event(self.env)
        self.queue.append(event)
        self._grant()
        return None if event.triggered else event

    def release(self) -> None:
        """Give a slot back now; the queue's head is granted one event later (`simpy.Resource`'s ``Release``).

        With one slot and nobody waiting, the hop is left out: it could only grant a request that queues before
        it is processed, and with one slot such a request finds the slot taken again (by a request that came
        before it, or it would not queue) and still taken when the hop would run, unless that holder released
        it at this same instant — which a holder that got the slot without waiting does by a synchronous
        release that again finds nobody waiting (the module docstring; tested against `simpy.Resource`).
        """
        self.count -= 1
        if self.capacity == 1 and not self.queue:
            return
        hop = simpy.Event(self.env)
        hop.callbacks.append(self._grant)
        hop.succeed()

    def _grant(self, _event: simpy.Event | None = None) -> None:
        """Grant the oldest waiting request if a slot is free (at most one, as `simpy.Resource` does)."""
        if self.queue and self.count < self.capacity:
            self.count += 1
            self.queue.popleft().succeed()
