"""One token of the attention world's inference stream, as a SimPy process.

A token arrives (``token_start``), optionally draws energy from the world's container, then passes the layers
in order: at each layer it requests a slot on every head of that layer (one ``simpy.Resource`` per
(layer, head)), attends over its window through the KV cache, writes its attention edges into the world's
graph (``attend`` events, one per head), holds the slots for the layer's service time and releases them.
After the last layer it turns its residual stream into logits → softmax → next-token entropy and surprisal
and ends (``token_end``). Everything it reads or changes belongs to its world.

Key names: `Token` (``life()`` is the process generator).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

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
        "head_mask",
        "id",
        "input_symbol",
        "next_symbol",
        "out_temperature",
        "symbol",
        "t_start",
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

    def life(self):  # type: ignore[no-untyped-def]
        """The token's process: start, (energy), layer by layer attention, prediction, end.

        Every head slot is taken with ``request()`` and given back with ``release()``, in the same fixed order for
        every token (no deadlock, FIFO kept); the time spent waiting for slots accumulates in ``wait``.
        """
        w = self.world
        env = w.env
        self.t_start = env.now
        w.on_token_start(self)
        if w.energy is not None and w.cost_per_token > 0:
            get = w.energy.get(w.cost_per_token)
            if not get.triggered:
                yield get
        h = w.model.embed_one(self.input_symbol, self.window_pos)
        layer_time = w.layer_time
        for layer, res in enumerate(w.layers):
            req = res.request()
            if not req.triggered:  # a free slot is granted at once: no need to wait for the event
                t_req = env.now
                yield req
                self.wait += env.now - t_req
            h = self.attend(layer, h)
            if layer_time > 0:
                yield env.timeout(layer_time)
            res.release(req)
        self.finish(h)

    def run_sync(self) -> None:
        """The same work as `life` without SimPy (no resources, no waiting): the plain-loop reference."""
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
