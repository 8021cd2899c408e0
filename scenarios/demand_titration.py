"""Scenario `demand_titration`: steady states of the membrane world over a range of ATP demand.

One world respires on NADH; the cytosolic ATP demand is stepped through `levels`, and each level is held
for `hold` seconds, measured over the last `window` of it. Per level: OCR, Δψ, Δp, ATP synthesis rate,
ATP/O (ATP made per O atom) and the redox states (reduced fractions of NAD, the quinone pool and cytochrome c;
``redox_change`` = last level minus first), and whether each window was shown steady (`steadiness`).
Respiratory control shows as OCR rising and Δψ falling with demand, with no rule other than the
detailed-balance rates.

Defaults measure steady states (`analysis.steady`): a level with demand is held `hold` = 50 s and measured over
its last `window` = 40 s, so the quietest of them (135 ATP/s, ≈ 27 O₂/s) holds ≈ 1 000 O₂ events; state 4
(demand 0, ≈ 4 O₂/s per default patch) is held `state4_hold` = 260 s and measured over its last
`state4_window` = 250 s for the same count (OCR's relative standard error ≈ 3 %, under the 5 % asked of
state-4 windows; with ≈ 500 events the steadiness check's 90 % interval alone is ±15 % of its ±20 %, so a
steady window fails about every second time). The levels stop at 405 ATP/s, ≈ 85–90 % of the ADP-saturated
synthesis rate of the default world (450–500 ATP/s): a demand above it is never met, ADP piles up and the
window is a transient.
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
    world_overrides(
        p["world_params"], TAKEN, p["dt"], fixed={"site_events": p["site_events"], "transport": p["transport"]}
    )
    require(p["window"] < p["hold"], f"window(={p['window']}) must be shorter than hold(={p['hold']})")
    require(
        p["state4_window"] < p["state4_hold"],
        f"state4_window(={p['state4_window']}) must be shorter than state4_hold(={p['state4_hold']})",
    )


def _spans(warmup: float, levels: tuple[float, ...], hold: float, state4_hold: float) -> list[tuple[float, float]]:
    """(start, end) of each level: `state4_hold` for a level without demand (state 4), `hold` for the others;
    the last end is the end of the run."""
    spans, t = [], warmup
    for level in levels:
        end = t + (state4_hold if level == 0 else hold)
        spans.append((t, end))
        t = end
    return spans


@scenario(
    name="demand_titration",
    description="Membrane: steady states over a range of ATP demand; OCR, Δψ and ATP/O per level.",
    params={
        "levels": Param((0.0, 135.0, 270.0, 405.0), float, many=True, bounds=(0, 1e5), help="ATP demand (ATP/s)"),
        "warmup": Param(1.5, float, bounds=(0.1, 1e4), help="time on NADH before the first level (s)"),
        "supply": Param(400.0, float, bounds=(0, 1e5), help="NADH supply (molecules/s)"),
        "supply_law": Param("reversible", str, choices=("reversible", "saturating"), help="NADH supply law"),
        "kinetics": Param("mass_action", str, choices=("mass_action", "fermi"), help="rate law of complexes I-IV"),
        "site_events": Param(
            "poisson", str, choices=("poisson", "batch", "one"), help="moves per membrane site and step"
        ),
        "transport": Param(
            "ant_pic", str, choices=("ant_pic", "lumped"), help="translocase + phosphate carrier, or one exchanger"
        ),
        "hold": Param(50.0, float, bounds=(0.2, 1e4), help="time at each level with demand (s)"),
        "window": Param(40.0, float, bounds=(0.05, 1e4), help="window at the end of each level with demand (s)"),
        "state4_hold": Param(260.0, float, bounds=(0.2, 1e4), help="time at a level without demand (s)"),
        "state4_window": Param(250.0, float, bounds=(0.05, 1e4), help="window at the end of that level (s)"),
        "dt": Param(1e-3, float, bounds=(1e-6, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.05, float, bounds=(1e-4, 10), help="metric sampling interval (s)"),
        "patch": MEMBRANE_PATCH,
        "world_params": MEMBRANE_WORLD_PARAMS,
    },
    report=report_demand_titration,
    tables=tables_demand_titration,
    duration=lambda p: _spans(p["warmup"], p["levels"], p["hold"], p["state4_hold"])[-1][1],
    check=_check,
    smoke={
        "levels": (0.0, 300.0, 600.0),
        "warmup": 0.2,
        "hold": 0.2,
        "window": 0.1,
        "state4_hold": 0.2,
        "state4_window": 0.1,
    },
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
    state4_hold: float,
    state4_window: float,
    dt: float,
    sample_dt: float,
    patch: int,
    world_params: tuple[str, ...],
) -> dict:
    """Hold each demand level in turn and measure the steady state at its end."""
    _check(
        {
            "window": window,
            "hold": hold,
            "state4_window": state4_window,
            "state4_hold": state4_hold,
            "world_params": world_params,
            "dt": dt,
            "site_events": site_events,
            "transport": transport,
        }
    )
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
    spans = _spans(warmup, levels, hold, state4_hold)
    for level, (start, end) in zip(levels, spans, strict=True):
        proto.at(start, world.set_atp_demand, float(level) * patch)
        windows.append(proto.measure(end - (state4_window if level == 0 else window), end))
    run.run_until(spans[-1][1])
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
