"""A layer's head slots: a FIFO resource that grants a free slot without an event.

Key names: `LayerSlots` (``request``, ``release``, ``count``, ``queue``, ``capacity``).

It grants exactly when a ``simpy.Resource`` of the same capacity grants, in the same order, and a waiting
token resumes at the same point of the event queue, but a token that finds a slot free takes it by a counter
(no request event, no release event): on a stream where nothing waits, which is the usual case, holding a
layer costs nothing in the event queue. When tokens do wait, the events are SimPy's: a waiting request is a
``simpy.Event`` that succeeds when the slot is granted, and a release with tokens waiting grants them one event
later, as `simpy.Resource.release` does (its ``Release`` event), so same-instant ordering against other
processes on the clock is unchanged.
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
        """Take a slot: None if granted now, else an event that succeeds when the slot is granted."""
        if not self.queue and self.count < self.capacity:
            self.count += 1
            return None
        event = simpy.Event(self.env)
        self.queue.append(event)
        self._grant()
        return None if event.triggered else event

    def release(self) -> None:
        """Give a slot back; tokens waiting are granted one event later (as `simpy.Resource.release` does)."""
        self.count -= 1
        if self.queue:
            hop = simpy.Event(self.env)
            hop.callbacks.append(self._grant)
            hop.succeed()

    def _grant(self, _event: simpy.Event | None = None) -> None:
        queue = self.queue
        while queue and self.count < self.capacity:
            self.count += 1
            queue.popleft().succeed()
