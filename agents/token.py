"""One token of the attention world's inference stream, driven by SimPy events on the run's clock.

A token arrives (``token_start``), optionally draws energy from the world's container, then passes the layers
in order: at each layer it takes a slot of that layer's heads (`world.attention.slots.LayerSlots`; a token
takes all H heads of a layer together), attends over its window through the KV cache, reports its attention
to the world (``attend`` events, one per head; kept for the graph), holds the slot for the layer's service time
and releases it. After the last layer it turns its residual stream into logits → softmax → next-token entropy
and surprisal and ends (``token_end``). Everything it reads or changes belongs to its world.

The token is not a ``simpy.Process``: it advances by callbacks on the SimPy events it has to wait for (its
start, an energy get that cannot be granted at once, a slot grant, a layer hold), so that a token that never
waits costs, per layer, one hold timeout (and a grant hop after its release where the layer has more than one
slot or another token waits, `world.attention.slots`); it starts inside its arrival (where its start event
would have been the next one processed), except a stream's first and last token, which take a start event.
The order of everything it does against other processes on the clock is the one a process-per-token design
gives (start at process-start priority, grants one event after a release).

Key names: `Token` (``begin`` is scheduled at its arrival; ``run_sync`` is the same work without SimPy).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import simpy

from world.errors import SimulationError

if TYPE_CHECKING:
    from world.attention.stream import AttentionWorld

__all__ = ["Token"]


class Token:
    """A token in flight.

    Args:
        world: the attention world it belongs to.
        token_id: stream position (0-based, also the trace ``entity_id`` and graph ``pos``).
        symbol: the true symbol at this position.
        input_symbol: what the model sees (differs from ``symbol`` when the context is corrupted).
        next_symbol: the true next symbol, scored by the token's prediction.
        window_pos: position inside the current context window (0 starts a new window).
        temperature, out_temperature, head_mask: the world's settings when the token arrived.
    """

    __slots__ = (
        "h",
        "head_mask",
        "id",
        "input_symbol",
        "layer",
        "next_symbol",
        "out_temperature",
        "symbol",
        "t_start",
        "t_wait",
        "temperature",
        "wait",
        "window_pos",
        "world",
    )

    def __init__(
        self,
        world: AttentionWorld,
        token_id: int,
        symbol: int,
        input_symbol: int,
        next_symbol: int,
        window_pos: int,
        temperature: float,
        out_temperature: float,
        head_mask: np.ndarray,
    ) -> None:
        self.world = world
        self.id = token_id
        self.symbol = symbol
        self.input_symbol = input_symbol
        self.next_symbol = next_symbol
        self.window_pos = window_pos
        self.temperature = temperature
        self.out_temperature = out_temperature
        self.head_mask = head_mask
        self.t_start = 0.0
        self.wait = 0.0
        self.t_wait = 0.0
        self.layer = 0
        self.h: np.ndarray | None = None

    def begin(self, _event: simpy.Event | None = None) -> None:
        """Arrive (``token_start``), then draw energy if the world asks for it and pass the layers.

        Called at the arrival time with the priority of a SimPy process start (by the arrival itself, or by a
        start event; `AttentionWorld._begin`). The token then advances by callbacks on SimPy
        events: the energy get when it has to wait for it, a slot grant when it has to wait for one
        (`LayerSlots`), the hold of each layer (one timeout per layer when ``layer_time`` > 0). A free slot and
        available energy are taken without an event. The time spent waiting for slots accumulates in ``wait``.
        """
        w = self.world
        self.t_start = w.env.now
        w.on_token_start(self)
        if w.energy is not None and w.cost_per_token > 0:
            get = w.energy.get(w.cost_per_token)
            if not get.triggered:
                get.callbacks.append(self._powered)
                return
        self._powered()

    def _powered(self, _event: simpy.Event | None = None) -> None:
        self.h = self.world.model.embed_one(self.input_symbol, self.window_pos)
        self.layer = 0
        self._enter()

    def _enter(self) -> None:
        grant = self.world.layers[self.layer].request()
        if grant is None:
            self._attend()
        else:
            self.t_wait = self.world.env.now
            grant.callbacks.append(self._granted)

    def _granted(self, _event: simpy.Event) -> None:
        self.wait += self.world.env.now - self.t_wait
        self._attend()

    def _attend(self) -> None:
        w = self.world
        self.h = self.attend(self.layer, self.h)
        if w.layer_time > 0:
            w.env.timeout(w.layer_time).callbacks.append(self._leave)
        else:
            self._leave()

    def _leave(self, _event: simpy.Event | None = None) -> None:
        w = self.world
        w.layers[self.layer].release()
        self.layer += 1
        if self.layer < len(w.layers):
            self._enter()
        else:
            h, self.h = self.h, None
            self.finish(h)

    def run_sync(self) -> None:
        """The same work as `begin` without SimPy (no slots, no waiting): the plain-loop reference."""
        w = self.world
        self.t_start = w.env.now
        w.on_token_start(self)
        h = w.model.embed_one(self.input_symbol, self.window_pos)
        for layer in range(w.model.config.n_layers):
            h = self.attend(layer, h)
        self.finish(h)

    def attend(self, layer: int, h: np.ndarray) -> np.ndarray:
        """Pass layer ``layer`` through the KV cache and report the attention to the world; returns the residual."""
        w = self.world
        cache = w.cache
        if self.window_pos == 0:
            cache.reset_layer(layer)
        elif cache.length[layer] != self.window_pos:
            raise SimulationError(
                f"token {self.id} reached layer {layer} out of order "
                f"(cache holds {cache.length[layer]} positions, token is at {self.window_pos})"
            )
        h, A = w.model.layer_one(layer, h, cache, temperature=self.temperature, head_mask=self.head_mask[layer])
        w.on_attend(self, layer, A)
        return h

    def finish(self, h: np.ndarray) -> None:
        """Logits → softmax → next-token entropy and surprisal of the true next symbol; report the end."""
        logits = self.world.model.logits_one(h, self.out_temperature)
        z = logits - logits.max()
        e = np.exp(z)
        total = float(e.sum())
        logq = z - math.log(total)
        entropy = float(-(e @ logq) / total)
        surprisal = float(-logq[self.next_symbol])
        self.world.on_token_end(self, entropy, surprisal)
