"""`MembraneView`: the membrane world as a SolaraViz model, one frame of simulated time per ``step()``.

Key names: `MembraneView`, `MEMBRANE_SERIES`, `INHIBITOR_NAMES`.

The world is `world.membrane.MembraneWorld` on the view's own run, stepped every ``dt`` by ``run.drive``; a
frame is ``frame_steps`` of those steps. Perturbations (queued, applied at the frame boundary):
``atp_demand`` (ATP/s), ``uncoupler`` (µM, set), ``inhibitor`` (name), ``adp_pulse`` (molecules),
``substrate`` (``"nadh"`` or ``"succinate"``, exclusive, at ``supply`` molecules/s). The c-ring size, the
seed and the starting substrate take effect on Reset (constructor arguments).

Series per frame: Δψ and Δp (mV), cytosolic ATP (molecules), OCR (O₂/s) and ATP synthesis (ATP/s) averaged
over the last ``rate_window`` seconds (one frame holds only a handful of O₂ events), and the reduced fractions
of the NAD, Q and cytochrome c pools.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from scenarios.view.frames import FrameModel, FrameSeries, state_digest
from world.membrane import INHIBITORS, SUBSTRATES, MembraneWorld

INHIBITOR_NAMES = tuple(INHIBITORS)
MEMBRANE_SERIES = (
    "delta_psi_mV",
    "pmf_mV",
    "atp_cytosol",
    "ocr",
    "atp_rate",
    "nadh_fraction",
    "qh2_fraction",
    "cytc_reduced_fraction",
)


MEMBRANE_ACTIONS = ("atp_demand", "uncoupler", "inhibitor", "adp_pulse", "substrate")


def check_membrane(action: str, value: Any) -> None:
    """Validate a membrane perturbation before it is queued (ValueError names the value)."""
    if action not in MEMBRANE_ACTIONS:
        raise ValueError(f"action(={action!r}) must be one of: {', '.join(MEMBRANE_ACTIONS)}")
    if action in ("atp_demand", "uncoupler") and not (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    ):
        raise ValueError(f"{action}(={value!r}) must be a finite number >= 0")
    if action == "inhibitor" and value not in INHIBITOR_NAMES:
        raise ValueError(f"inhibitor(={value!r}) must be one of: {', '.join(INHIBITOR_NAMES)}")
    if action == "adp_pulse" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"adp_pulse(={value!r}) must be a non-negative integer")
    if action == "substrate" and value not in SUBSTRATES:
        raise ValueError(f"substrate(={value!r}) must be one of: {', '.join(SUBSTRATES)}")


def apply_membrane(world: MembraneWorld, action: str, value: Any, supply: float) -> str:
    """Apply one perturbation to `world` now; return a one-line description."""
    if action == "atp_demand":
        world.set_atp_demand(float(value))
        return f"ATP demand set to {value:g} ATP/s"
    if action == "uncoupler":
        world.set_uncoupler(float(value))
        return f"uncoupler set to {value:g} µM"
    if action == "inhibitor":
        world.add_inhibitor(value)
        return f"{value} added"
    if action == "adp_pulse":
        world.add_adp(int(value))
        return f"ADP pulse of {value} molecules"
    world.set_substrate(value, supply)
    return f"substrate switched to {value}"


def membrane_row(world: MembraneWorld, snaps: deque[dict[str, float]]) -> dict[str, float]:
    """Readouts now; OCR and ATP synthesis averaged between the oldest and the newest snapshot."""
    pool = world.pool
    first, last = snaps[0], snaps[-1]
    rates = world.window(first, last) if last["t"] > first["t"] else {"ocr": math.nan, "atp_rate": math.nan}
    return {
        "delta_psi_mV": world.delta_psi_mV,
        "pmf_mV": world.pmf_mV,
        "atp_cytosol": float(pool["atp_c"]),
        "ocr": rates["ocr"],
        "atp_rate": rates["atp_rate"],
        "nadh_fraction": pool["nadh"] / max(1, pool["nad"] + pool["nadh"]),
        "qh2_fraction": pool["qh2"] / max(1, pool["q"] + pool["qh2"]),
        "cytc_reduced_fraction": pool["cred"] / max(1, pool["cox"] + pool["cred"]),
    }


def membrane_digest(world: MembraneWorld, now: float) -> str:
    """A hash of a membrane world's state: positions, compartments, pools, counters, charge, clock."""
    lat = world.lattice
    pools = np.array(list(world.pool.values()))
    counters = np.array(list(world.counters.values()))
    return state_digest([lat.x, lat.y, lat.comp, pools, counters, world.charge, now])


class MembraneView(FrameModel):
    """The membrane world for a live page.

    Args:
        seed: seed of the view's run.
        c_ring: c-ring size of every synthase (8..15).
        substrate: starting substrate, ``"nadh"`` or ``"succinate"``.
        atp_demand: starting cytosolic ATP demand (ATP/s).
        supply: supply rate of the current substrate (molecules/s); a switch moves it to the other one.
        dt: membrane step (s).
        frame_steps: membrane steps per frame (a frame is ``frame_steps · dt`` simulated seconds).
        rate_window: window of the OCR and ATP-synthesis averages (s).
        history: frames kept in the series.
        world_params: further `MembraneParams` fields (tests use a small lattice).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        c_ring: int = 8,
        substrate: str = "nadh",
        atp_demand: float = 300.0,
        supply: float = 400.0,
        dt: float = 1e-3,
        frame_steps: int = 10,
        rate_window: float = 0.1,
        history: int = 400,
        world_params: dict[str, Any] | None = None,
    ) -> None:
        if isinstance(frame_steps, bool) or not isinstance(frame_steps, int) or frame_steps < 1:
            raise ValueError(f"frame_steps(={frame_steps!r}) must be an integer >= 1")
        if substrate not in SUBSTRATES:
            raise ValueError(f"substrate(={substrate!r}) must be one of: {', '.join(SUBSTRATES)}")
        super().__init__(seed=seed, frame_dt=frame_steps * dt, label="membrane")
        self.world = MembraneWorld(self.run, dt=dt, c_ring=c_ring, atp_demand=atp_demand, **(world_params or {}))
        self.supply = float(supply)
        self.world.set_substrate(substrate, self.supply)
        self.substrate = substrate
        self.run.drive(self.world, self.world.dt)
        self.series = FrameSeries(MEMBRANE_SERIES, history)
        n_window = max(1, round(rate_window / self.frame_dt))
        self.snaps: deque[dict[str, float]] = deque([self.world.snapshot()], maxlen=n_window + 1)
        self.readout = membrane_row(self.world, self.snaps)
        self.series.append(0.0, self.readout)

    def actions(self) -> tuple[str, ...]:
        """Perturbations: atp_demand, uncoupler, inhibitor, adp_pulse, substrate."""
        return MEMBRANE_ACTIONS

    def check(self, action: str, *args: Any) -> None:
        """Validate a perturbation before it is queued (ValueError names the value)."""
        super().check(action, *args)
        check_membrane(action, *args)

    def apply(self, action: str, *args: Any) -> str:
        """Apply one queued perturbation to the world now."""
        if action == "substrate":
            self.substrate = args[0]
        return apply_membrane(self.world, action, args[0], self.supply)

    def after_frame(self) -> None:
        """Record this frame's readouts into the series."""
        self.snaps.append(self.world.snapshot())
        self.readout = membrane_row(self.world, self.snaps)
        self.series.append(self.run.now, self.readout)

    @property
    def atp_demand(self) -> float:
        """Current ATP demand (ATP/s)."""
        return float(self.world.demand.rate)

    @property
    def uncoupler_uM(self) -> float:
        """Current protonophore concentration (µM)."""
        return float(self.world.uncoupler.concentration)

    def state_digest(self) -> str:
        """A hash of the world's state (see `membrane_digest`)."""
        return membrane_digest(self.world, self.run.now)
