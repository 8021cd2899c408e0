"""Scenario `demand_titration`: steady states of the membrane world over a range of ATP demand.

One world respires on NADH; the cytosolic ATP demand is stepped through `levels`, and each level is held
for `hold` seconds, measured over the last `window` of it. Per level: OCR, Δψ, Δp, ATP synthesis rate,
ATP/O (ATP made per O atom) and the redox states (reduced fractions of NAD, the quinone pool and cytochrome c;
``redox_change`` = last level minus first), and whether each window was shown steady (`steadiness`).
Respiratory control shows as OCR rising and Δψ falling with demand, with no rule other than the
detailed-balance rates.

Defaults measure steady states (`analysis.steady`): each level is held 29 s and measured over its last 25 s,
so state 4 (≈ 20 O₂/s) holds ≈ 500 O₂ events (relative standard error ≈ 4.5 %, under the 5 % the issue of
steady defaults asks for) and the 600 ATP/s level has settled (with 1.2 s holds its synthesis was 449 ATP/s
against 600 consumed, ADP still accumulating).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from analysis.report_membrane_steady import report_demand_titration, tables_demand_titration
from analysis.steady import steady_summary
from scenarios.params import MEMBRANE_PATCH, MEMBRANE_WORLD_PARAMS, Param, require
from scenarios.registry import scenario
from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.observe import REDOX_FRACTIONS
from world.membrane.params import scaled, world_overrides
from world.membrane.protocol import Protocol

TAKEN = frozenset({"kinetics", "supply_law", "nadh_supply", "site_events", "transport", "atp_demand"})
"""World parameters demand_titration sets itself."""


def _check(p: Mapping[str, Any]) -> None:
    """Each level's measurement window fits inside its hold; `world_params` are world parameters the scenario
    does not set."""
    world_overrides(p["world_params"], TAKEN, p["dt"], fixed={"site_events": p["site_events"]})
    require(p["window"] < p["hold"], f"window(={p['window']}) must be shorter than hold(={p['hold']})")


def _ends(warmup: float, hold: float, n: int) -> list[float]:
    """The end of each level; the last one is the end of the run (one expression for both, so the last window
    closes exactly when the clock stops: ``warmup + n·hold`` can round below ``warmup + (n−1)·hold + hold``)."""
    return [(warmup + i * hold) + hold for i in range(n)]


@scenario(
    name="demand_titration",
    description="Membrane: steady states over a range of ATP demand; OCR, Δψ and ATP/O per level.",
    params={
        "levels": Param((0.0, 150.0, 300.0, 600.0), float, many=True, bounds=(0, 1e5), help="ATP demand (ATP/s)"),
        "warmup": Param(1.5, float, bounds=(0.1, 1e4), help="time on NADH before the first level (s)"),
        "supply": Param(400.0, float, bounds=(0, 1e5), help="NADH supply (molecules/s)"),
        "supply_law": Param("saturating", str, choices=("saturating", "reversible"), help="NADH supply law"),
        "kinetics": Param("fermi", str, choices=("fermi", "mass_action"), help="rate law of complexes I-IV"),
        "site_events": Param("one", str, choices=("one", "poisson", "batch"), help="moves per membrane site and step"),
        "transport": Param(
            "lumped", str, choices=("lumped", "ant_pic"), help="one exchanger, or translocase + phosphate carrier"
        ),
        "hold": Param(29.0, float, bounds=(0.2, 1e4), help="time at each level (s)"),
        "window": Param(25.0, float, bounds=(0.05, 1e4), help="measurement window at the end of each level (s)"),
        "dt": Param(1e-3, float, bounds=(1e-6, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.05, float, bounds=(1e-4, 10), help="metric sampling interval (s)"),
        "patch": MEMBRANE_PATCH,
        "world_params": MEMBRANE_WORLD_PARAMS,
    },
    report=report_demand_titration,
    tables=tables_demand_titration,
    duration=lambda p: _ends(p["warmup"], p["hold"], len(p["levels"]))[-1],
    check=_check,
    smoke={"levels": (0.0, 300.0, 600.0), "warmup": 0.2, "hold": 0.2, "window": 0.1},
)
def run_demand_titration(
    run: Run,
    *,
    levels: tuple[float, ...],
    kinetics: str,
    site_events: str,
    transport: str,
    supply: float,
    supply_law: str,
    warmup: float,
    hold: float,
    window: float,
    dt: float,
    sample_dt: float,
    patch: int,
    world_params: tuple[str, ...],
) -> dict:
    """Hold each demand level in turn and measure the steady state at its end."""
    _check({"window": window, "hold": hold, "world_params": world_params, "dt": dt, "site_events": site_events})
    world = MembraneWorld(
        run,
        dt=dt,
        **scaled(
            patch,
            kinetics=kinetics,
            supply_law=supply_law,
            nadh_supply=supply,
            site_events=site_events,
            transport=transport,
            **world_overrides(world_params, TAKEN, dt),
        ),
    )
    proto = Protocol(run, world, sample_dt)
    windows = []
    ends = _ends(warmup, hold, len(levels))
    for i, level in enumerate(levels):
        proto.at(warmup + i * hold, world.set_atp_demand, float(level) * patch)
        windows.append(proto.measure(ends[i] - window, ends[i]))
    run.run_until(ends[-1])
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
                **{k: m[k] for k in REDOX_FRACTIONS},
                "move_dG_kJ_per_mol": m["move_dG_kJ_per_mol"],
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
        "redox_change": {k: rows[-1][k] - rows[0][k] for k in REDOX_FRACTIONS},
        "steadiness": steady_summary(
            {f"level_{i}_demand_{level:g}": m for i, (level, m) in enumerate(zip(levels, windows, strict=True))}
        ),
    }


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("demand_titration")
