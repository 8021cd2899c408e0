"""`AttentionView`: the attention world's token stream as a SolaraViz model, one frame per ``step()``.

Key names: `AttentionView`, `StreamParts`, `ATTENTION_SERIES`.

Time is simulated seconds, as in the coupled scenarios: one token slot lasts ``1 / token_rate`` s and a token
holds a layer's heads for a quarter of a slot. The model trains on the same clock while the stream runs
(``train_steps`` optimiser steps spread over ``train_time`` s, a `world.attention.training.Trainer`), so the
page shows the cross-entropy of the live stream falling towards the source's entropy rate, the floor no model
can beat. Tokens are scheduled a frame at a time (regular arrivals at ``i / token_rate``), so the stream
never ends and never allocates ahead.

Perturbations (queued, applied at the frame boundary, for tokens arriving afterwards): ``temperature``
(output softmax temperature, the uncoupler's analogue) and ``head`` (layer, head, ablated: bool).

Series per frame: cross-entropy (mean surprisal of the last ``ce_tokens`` completed tokens, nats), the
entropy rate (nats), next-token entropy (same tokens, nats), training loss (nats, while training).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from analysis.attention_graph import head_matrices
from scenarios.view.frames import FrameModel, FrameSeries, state_digest
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model
from world.clock import Run

ATTENTION_SERIES = ("cross_entropy_nats", "entropy_rate_nats", "next_token_entropy_nats", "train_loss_nats")


class StreamParts:
    """Source, model, trainer and token stream of one attention world on a run, fed a frame at a time.

    Args:
        run: the run.
        token_rate: token arrivals per second.
        train_steps: optimiser steps (0: the model stays untrained).
        train_time: seconds over which they are spread.
        keep_tokens: completed-token records kept (older ones are dropped; bounds memory).
        ce_tokens: tokens in the rolling cross-entropy.
        energy, cost_per_token: optional energy container each token pays from (the coupled page).
        max_waiting: with an energy container, arrivals are turned away (not created) while this many tokens
            wait for energy, so a stalled stream does not grow without bound; counted in ``turned_away``.
        model_kwargs: sizes for `build_source_and_model` (V, order, n_ctx, d_model, n_layers, n_heads, mlp).
    """

    def __init__(
        self,
        run: Run,
        *,
        token_rate: float,
        train_steps: int,
        train_time: float,
        keep_tokens: int = 256,
        ce_tokens: int = 64,
        energy: Any = None,
        cost_per_token: float = 0.0,
        max_waiting: int = 200,
        **model_kwargs: Any,
    ) -> None:
        if not (math.isfinite(token_rate) and token_rate > 0):
            raise ValueError(f"token_rate(={token_rate!r}) must be a finite number > 0 (tokens/s)")
        if not (math.isfinite(train_time) and train_time > 0):
            raise ValueError(f"train_time(={train_time!r}) must be a finite number > 0 (s)")
        self.run = run
        self.source, self.lm = build_source_and_model(run, **model_kwargs)
        self.trainer = None
        if train_steps:
            self.trainer = Trainer(run, self.lm, self.source, steps=train_steps, dt=train_time / train_steps)
            self.trainer.start()
        self.slot = 1.0 / token_rate
        cfg = self.lm.config
        self.stream = AttentionWorld(
            run,
            self.lm,
            self.source,
            token_interval=self.slot,
            layer_time=0.25 * self.slot / cfg.n_layers,
            energy=energy,
            cost_per_token=cost_per_token,
        )
        self.keep_tokens = max(keep_tokens, ce_tokens)
        self.ce_tokens = ce_tokens
        self._next_arrival = 0
        self.energy = energy
        self.max_waiting = max_waiting
        self.turned_away = 0

    def schedule_until(self, t_end: float) -> None:
        """Start the tokens whose arrival time ``i · slot`` falls before `t_end` and that are not started yet."""
        last = math.ceil(t_end / self.slot - 1e-9)  # arrivals i < last have i·slot < t_end
        k = last - self._next_arrival
        if self.energy is not None and len(self.energy.get_queue) >= self.max_waiting:
            self.turned_away += max(k, 0)
            self._next_arrival = max(last, self._next_arrival)
            return
        if k > 0:
            self.stream.start(k, at=max(self.run.now, self._next_arrival * self.slot))
            self._next_arrival = last

    def trim(self) -> None:
        """Drop completed-token records beyond ``keep_tokens`` (a live page must not grow)."""
        recs = self.stream.records
        if len(recs) > self.keep_tokens:
            del recs[: len(recs) - self.keep_tokens]

    def apply(self, action: str, *args: Any) -> str:
        """``temperature`` (value) or ``head`` (layer, head, ablated)."""
        if action == "temperature":
            (value,) = args
            self.stream.set_temperature(out_temperature=float(value))
            return f"output temperature set to {value:g}"
        layer, head, ablated = args
        mask = self.stream.head_mask.copy()
        mask[layer, head] = 0.0 if ablated else 1.0
        self.stream.ablate_heads(mask)
        return f"head L{layer}H{head} {'ablated' if ablated else 'restored'}"

    def check(self, action: str, *args: Any) -> None:
        """Validate a stream perturbation (ValueError names the value)."""
        if action == "temperature":
            (value,) = args
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"temperature(={value!r}) must be a finite number > 0")
            return
        layer, head, _ = args
        L, H = self.stream.head_mask.shape
        if not (0 <= layer < L and 0 <= head < H):
            raise ValueError(f"head (layer={layer}, head={head}) is outside {L} layers × {H} heads")

    def row(self) -> dict[str, float]:
        """Readouts now: rolling cross-entropy and next-token entropy, the floor, the last training loss."""
        recs = self.stream.records[-self.ce_tokens :]
        ce = float(np.mean([r[2] for r in recs])) if recs else math.nan
        ent = float(np.mean([r[3] for r in recs])) if recs else math.nan
        training = self.trainer is not None and self.trainer.steps_done < self.trainer.steps
        loss = self.trainer.losses[-1] if self.trainer is not None and self.trainer.losses and training else math.nan
        return {
            "cross_entropy_nats": ce,
            "entropy_rate_nats": self.source.entropy_rate_nats,
            "next_token_entropy_nats": ent,
            "train_loss_nats": loss,
        }

    def window(self) -> tuple[list[int], list[int], list[np.ndarray]]:
        """The newest completed token's window: positions, input symbols, per-layer (H, n, n) attention."""
        g = self.stream.graph
        L = self.lm.config.n_layers
        recs = self.stream.records
        if not recs or (L, recs[-1][0]) not in g:
            return [], [], []
        pos, mats = head_matrices(g, (L, recs[-1][0]))
        return pos, [g.nodes[(0, p)]["token"] for p in pos], mats

    def ablated(self) -> set[tuple[int, int]]:
        """(layer, head) pairs ablated for arriving tokens."""
        return {(int(a), int(b)) for a, b in zip(*np.nonzero(self.stream.head_mask == 0), strict=True)}


class AttentionView(FrameModel):
    """The attention world for a live page.

    Args:
        seed: seed of the view's run.
        V, order, n_ctx, d_model, n_layers, n_heads, mlp: source and model sizes.
        token_rate: token arrivals per second.
        train_steps, train_time: live training (steps over seconds; 0 steps = untrained).
        frame_dt: simulated seconds per frame.
        history: frames kept in the series.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        V: int = 8,
        order: int = 1,
        n_ctx: int = 32,
        d_model: int = 32,
        n_layers: int = 1,
        n_heads: int = 2,
        mlp: bool = False,
        token_rate: float = 100.0,
        train_steps: int = 300,
        train_time: float = 3.0,
        frame_dt: float = 0.05,
        history: int = 400,
    ) -> None:
        super().__init__(seed=seed, frame_dt=frame_dt, label="attention")
        self.parts = StreamParts(
            self.run,
            token_rate=token_rate,
            train_steps=train_steps,
            train_time=train_time,
            V=V,
            order=order,
            n_ctx=n_ctx,
            d_model=d_model,
            n_layers=n_layers,
            n_heads=n_heads,
            mlp=mlp,
        )
        self.series = FrameSeries(ATTENTION_SERIES, history)
        self.readout = self.parts.row()
        self.series.append(0.0, self.readout)

    def actions(self) -> tuple[str, ...]:
        """Perturbations: temperature, head."""
        return ("temperature", "head")

    def check(self, action: str, *args: Any) -> None:
        """Validate before queueing."""
        super().check(action, *args)
        self.parts.check(action, *args)

    def apply(self, action: str, *args: Any) -> str:
        """Apply one queued perturbation to the stream now."""
        return self.parts.apply(action, *args)

    def before_frame(self, t_end: float) -> None:
        """Schedule the tokens arriving during the frame."""
        self.parts.schedule_until(t_end)

    def after_frame(self) -> None:
        """Trim the records, record the readouts."""
        self.parts.trim()
        self.readout = self.parts.row()
        self.series.append(self.run.now, self.readout)

    def state_digest(self) -> str:
        """A hash of the model weights, the completed tokens' numbers and the clock."""
        p = self.parts
        recs = np.array(p.stream.records, dtype=np.float64).ravel()
        return state_digest([*(p.lm.params[k] for k in sorted(p.lm.params)), recs, self.run.now])
