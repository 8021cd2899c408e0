"""`CoupledView`: the membrane and the attention stream on one clock, inference paid with the membrane's ATP.

Key names: `CoupledView`, `COUPLED_SERIES`.

The wiring of the ``coupled_budget`` scenario (docs/coupled.md), a frame at a time: the membrane respires on
NADH with a small cytosolic ATP pool (``atp_cytosol`` molecules) and no ATP demand of its own; every token of
the attention stream must take ``k_atp`` ATP from that pool (`world.coupling.ATPBridge`, which hydrolyses real
ATP, so the membrane's ledger still balances) before it is processed. Cut the supply (oligomycin, an
uncoupler) and the stream stalls; wash the uncoupler out and it resumes.

Perturbations (queued, applied at the frame boundary): every membrane one (`membrane_model`) and every
stream one (`attention_model`). Series per frame: the membrane's, the stream's, and the budget:
``tokens_per_s`` (completed in the last ``rate_window`` s), ``tokens_waiting_atp``, ``atp_spent_per_s``,
``tokens_turned_away`` (arrivals refused while ``max_waiting`` tokens already wait: a stalled page must not
grow without bound).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from scenarios.view.attention_model import ATTENTION_SERIES, StreamParts
from scenarios.view.frames import FrameModel, FrameSeries, state_digest
from scenarios.view.membrane_model import (
    MEMBRANE_ACTIONS,
    MEMBRANE_SERIES,
    apply_membrane,
    check_membrane,
    membrane_digest,
    membrane_row,
)
from world.coupling import ATPBridge
from world.membrane import MembraneWorld

COUPLED_SERIES = (
    *MEMBRANE_SERIES,
    *ATTENTION_SERIES,
    "tokens_per_s",
    "tokens_waiting_atp",
    "atp_spent_per_s",
    "tokens_turned_away",
)
_STREAM_ACTIONS = ("temperature", "head")


class CoupledView(FrameModel):
    """Both worlds on one clock for a live page.

    Args:
        seed: seed of the view's run.
        k_atp: ATP per token.
        token_rate: token arrivals per second.
        atp_cytosol: initial cytosolic ATP (molecules).
        c_ring: c-ring size.
        train_steps, train_time: live training of the model (steps over seconds).
        dt: membrane step (s).
        frame_steps: membrane steps per frame.
        rate_window: window of the rate readouts (s).
        history: frames kept in the series.
        max_waiting: tokens allowed to wait for ATP; arrivals beyond are turned away (bounds memory).
        world_params: further `MembraneParams` fields (tests use a small lattice).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        k_atp: int = 4,
        token_rate: float = 100.0,
        atp_cytosol: int = 800,
        c_ring: int = 8,
        train_steps: int = 300,
        train_time: float = 1.5,
        dt: float = 1e-3,
        frame_steps: int = 10,
        rate_window: float = 0.1,
        history: int = 400,
        max_waiting: int = 200,
        world_params: dict[str, Any] | None = None,
    ) -> None:
        if isinstance(frame_steps, bool) or not isinstance(frame_steps, int) or frame_steps < 1:
            raise ValueError(f"frame_steps(={frame_steps!r}) must be an integer >= 1")
        super().__init__(seed=seed, frame_dt=frame_steps * dt, label="coupled")
        self.world = MembraneWorld(self.run, dt=dt, c_ring=c_ring, atp_c=atp_cytosol, **(world_params or {}))
        self.supply = float(self.world.params.nadh_supply)
        self.run.drive(self.world, self.world.dt)
        self.bridge = ATPBridge(self.run, self.world, consumer="attention")
        self.parts = StreamParts(
            self.run,
            token_rate=token_rate,
            train_steps=train_steps,
            train_time=train_time,
            energy=self.bridge.energy,
            cost_per_token=float(k_atp),
            max_waiting=max_waiting,
        )
        self.k_atp = k_atp
        n_window = max(1, round(rate_window / self.frame_dt))
        self.snaps: deque[dict[str, float]] = deque([self._snapshot()], maxlen=n_window + 1)
        self.series = FrameSeries(COUPLED_SERIES, history)
        self.readout = self._row()
        self.series.append(0.0, self.readout)

    def actions(self) -> tuple[str, ...]:
        """Perturbations: the membrane's and the stream's."""
        return (*MEMBRANE_ACTIONS, *_STREAM_ACTIONS)

    def check(self, action: str, *args: Any) -> None:
        """Validate before queueing."""
        super().check(action, *args)
        if action in _STREAM_ACTIONS:
            self.parts.check(action, *args)
        else:
            check_membrane(action, *args)

    def apply(self, action: str, *args: Any) -> str:
        """Apply one queued perturbation now."""
        if action in _STREAM_ACTIONS:
            return self.parts.apply(action, *args)
        return apply_membrane(self.world, action, args[0], self.supply)

    def before_frame(self, t_end: float) -> None:
        """Schedule the tokens arriving during the frame."""
        self.parts.schedule_until(t_end)

    def after_frame(self) -> None:
        """Trim, snapshot, record the readouts."""
        self.parts.trim()
        self.snaps.append(self._snapshot())
        self.readout = self._row()
        self.series.append(self.run.now, self.readout)

    def _snapshot(self) -> dict[str, float]:
        snap = self.world.snapshot()
        snap["tokens_done"] = float(self.parts.stream.tokens_done)
        snap["atp_spent_tokens"] = float(self.bridge.atp_spent)
        return snap

    def _row(self) -> dict[str, float]:
        first, last = self.snaps[0], self.snaps[-1]
        span = last["t"] - first["t"]
        rate = (lambda k: (last[k] - first[k]) / span) if span > 0 else (lambda k: float("nan"))
        return {
            **membrane_row(self.world, self.snaps),
            **self.parts.row(),
            "tokens_per_s": rate("tokens_done"),
            "tokens_waiting_atp": float(self.bridge.waiting),
            "atp_spent_per_s": rate("atp_spent_tokens"),
            "tokens_turned_away": float(self.parts.turned_away),
        }

    @property
    def uncoupler_uM(self) -> float:
        """Current protonophore concentration (µM)."""
        return float(self.world.uncoupler.concentration)

    def state_digest(self) -> str:
        """A hash of both worlds' state and the clock."""
        recs = np.array(self.parts.stream.records, dtype=np.float64).ravel()
        return membrane_digest(self.world, self.run.now) + state_digest([recs, self.bridge.atp_spent])
