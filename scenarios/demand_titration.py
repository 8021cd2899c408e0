"""Scenario `demand_titration`: steady states of the membrane world over a range of ATP demand.

One world respires on NADH; the cytosolic ATP demand is stepped through `levels`, and each level is held
for `hold` seconds, measured over the last `window` of it. Per level: OCR, Δψ, Δp, ATP synthesis rate and
ATP/O (ATP made per O atom). Respiratory control shows as OCR rising and Δψ falling with demand, with no
rule other than the detailed-balance rates.
"""

from __future__ import annotations

from itertools import pairwise

from scenarios.params import Param
from scenarios.registry import scenario
from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.protocol import Protocol


@scenario(
    name="demand_titration",
    description="Membrane: steady states over a range of ATP demand; OCR, Δψ and ATP/O per level.",
    params={
        "levels": Param((0.0, 150.0, 300.0, 600.0), float, many=True, bounds=(0, 1e5), help="ATP demand (ATP/s)"),
        "warmup": Param(1.5, float, bounds=(0.1, 1e4), help="time on NADH before the first level (s)"),
        "hold": Param(1.2, float, bounds=(0.2, 1e4), help="time at each level (s)"),
        "window": Param(0.8, float, bounds=(0.05, 1e4), help="measurement window at the end of each level (s)"),
        "dt": Param(1e-3, float, bounds=(1e-6, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.05, float, bounds=(1e-4, 10), help="metric sampling interval (s)"),
    },
    duration=lambda p: p["warmup"] + len(p["levels"]) * p["hold"],
    smoke={"levels": (0.0, 300.0, 600.0), "warmup": 0.2, "hold": 0.2, "window": 0.1},
)
def run_demand_titration(
    run: Run, *, levels: tuple[float, ...], warmup: float, hold: float, window: float, dt: float, sample_dt: float
) -> dict:
    """Hold each demand level in turn and measure the steady state at its end."""
    if not window < hold:
        raise ValueError(f"window(={window}) must be shorter than hold(={hold})")
    world = MembraneWorld(run, dt=dt)
    proto = Protocol(run, world, sample_dt)
    windows = []
    for i, level in enumerate(levels):
        t0 = warmup + i * hold
        proto.at(t0, world.set_atp_demand, float(level))
        windows.append(proto.measure(t0 + hold - window, t0 + hold))
    run.run_until(warmup + len(levels) * hold)
    rows = []
    for level, m in zip(levels, windows, strict=True):
        rows.append(
            {
                "demand": float(level),
                "ocr": m["ocr"],
                "delta_psi_mV": m["delta_psi_mV"],
                "pmf_mV": m["pmf_mV"],
                "atp_rate": m["atp_rate"],
                "atp_per_o": m["atp_made"] / (2 * m["o2_consumed"]) if m["o2_consumed"] else None,
            }
        )
    ocrs = [r["ocr"] for r in rows]
    psis = [r["delta_psi_mV"] for r in rows]
    return {
        "levels": rows,
        "ocr_rises_with_demand": all(b >= a for a, b in pairwise(ocrs)),
        "psi_falls_with_demand": all(b <= a for a, b in pairwise(psis)),
        "ocr_range": [min(ocrs), max(ocrs)],
        "psi_range_mV": [min(psis), max(psis)],
    }


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("demand_titration")
