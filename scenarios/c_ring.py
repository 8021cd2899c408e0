"""Scenario `c_ring`: ATP synthases with c-rings of 8, 10 and 14 subunits side by side.

Three membrane worlds (identical but for the c-ring) run on one clock under the same ATP demand. Per
world: protons through the rotor per ATP (n/3 at the enzyme), protons per ATP including the exchanger's
transport proton (n/3 + 1), P/O (ATP per O atom) and its mechanistic maximum 10/(n/3 + 1) for NADH, OCR,
Δψ and Δp. A larger ring needs less Δp per proton step to make ATP, so it turns at lower Δp and spends more
protons — and oxygen — per ATP.

Defaults measure steady states (`analysis.steady`): 300 ATP/s, 15 s to settle, a 20 s window (seed 0: all three
windows shown steady, OCR relative standard error ≤ 3.0 %). 300 ATP/s is ≈ 70 % of the c14 world's ADP-saturated
synthesis (≈ 430 ATP/s; c8 and c10 make ≈ 500–600) in the recalibrated world, whose chain settles in ≈ 10 s
after a demand change and whose c8 world respires only ≈ 58 O₂/s at this demand: the earlier 4 s + 8 s (≈ 460
O₂ reductions in c8's window) were too short for the flux item's ≈ 1 000 reductions. A demand of 600 ATP/s, the
default before that, is more than the c14 world makes, so its cytosolic ATP drains through the window.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.report_membrane_steady import report_c_ring, tables_c_ring
from analysis.steady import steady_summary
from scenarios.params import MEMBRANE_PATCH, MEMBRANE_WORLD_PARAMS, Param
from scenarios.registry import scenario
from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.params import scaled, world_overrides
from world.membrane.protocol import Protocol

TAKEN = frozenset({"c_ring", "atp_demand"})
"""World parameters c_ring sets itself."""


def _check(p: Mapping[str, Any]) -> None:
    """`world_params` are world parameters the scenario does not set."""
    world_overrides(p["world_params"], TAKEN, p["dt"])


@scenario(
    name="c_ring",
    description="Membrane: c-ring n = 8, 10, 14 side by side; H+/ATP and P/O.",
    params={
        "rings": Param((8, 10, 14), int, many=True, bounds=(8, 15), help="c-ring sizes"),
        "atp_demand": Param(300.0, float, bounds=(0, 1e5), help="ATP demand in every world (ATP/s)"),
        "warmup": Param(15.0, float, bounds=(0.1, 1e4), help="time before the window (s)"),
        "window": Param(20.0, float, bounds=(0.05, 1e4), help="measurement window (s)"),
        "dt": Param(1e-3, float, bounds=(1e-6, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.1, float, bounds=(1e-4, 10), help="metric sampling interval (s)"),
        "patch": MEMBRANE_PATCH,
        "world_params": MEMBRANE_WORLD_PARAMS,
    },
    duration=lambda p: p["warmup"] + p["window"],
    report=report_c_ring,
    tables=tables_c_ring,
    smoke={"atp_demand": 600.0, "warmup": 0.2, "window": 0.1},
    check=_check,
)
def run_c_ring(
    run: Run,
    *,
    rings: tuple[int, ...],
    atp_demand: float,
    warmup: float,
    window: float,
    dt: float,
    sample_dt: float,
    patch: int,
    world_params: tuple[str, ...],
) -> dict:
    """Run one world per c-ring size on the same clock and compare H+/ATP and P/O."""
    extra = world_overrides(world_params, TAKEN, dt)
    measures = []
    for n in rings:
        world = MembraneWorld(run, dt=dt, **scaled(patch, c_ring=int(n), atp_demand=atp_demand, **extra))
        measures.append((int(n), Protocol(run, world, sample_dt).measure(warmup, warmup + window)))
    run.run_until(warmup + window)
    out = {}
    for n, m in measures:
        atp = m["atp_made"]
        out[f"c{n}"] = {
            "h_per_atp_rotor": m["rotor_steps"] / atp if atp else None,
            "h_per_atp_with_transport": (m["rotor_steps"] + m["transport_h"]) / atp if atp else None,
            "h_per_atp_expected": n / 3,
            "p_o": atp / (2 * m["o2_consumed"]) if m["o2_consumed"] else None,
            "p_o_mechanistic_max": 10 / (n / 3 + 1),
            "ocr": m["ocr"],
            "atp_rate": m["atp_rate"],
            "delta_psi_mV": m["delta_psi_mV"],
            "pmf_mV": m["pmf_mV"],
        }
    flat = {f"{k}_c{n}": out[f"c{n}"][k] for n, _ in measures for k in ("p_o", "h_per_atp_rotor")}
    return {**flat, **out, "steadiness": steady_summary({f"c{n}": m for n, m in measures})}


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("c_ring")
