"""Scenario `inhibitors`: each inhibitor under NADH-linked and under succinate respiration.

For every substrate (NADH, succinate) and inhibitor (oligomycin, rotenone, antimycin A, cyanide) one world
respires under a steady ATP demand; OCR, Δψ and ATP synthesis are measured in the steady state just before the
inhibitor is added and in the steady state the inhibited world reaches. Expected from the reference: rotenone
stops NADH-linked but not succinate respiration; antimycin A and cyanide stop both; oligomycin stops ATP
synthesis and drops OCR to the leak-driven rate while Δψ rises.

The demand keeps running after the inhibitor (there is no glycolysis in the model), so a blocked chain or
synthase leaves the cytosolic ATP to be spent: within ≈ 32 s at 300 ATP/s (≈ 50–65 % of the NADH-linked
ADP-saturated synthesis rate, ≈ 450–600 ATP/s) it is gone, with the synthases run backwards on it where the
chain is blocked. After that a blocked chain's Δψ decays through the leak, more and more slowly (seed 0: ≈ 60 mV
55 s after the inhibitor, ≈ 35 mV at 95 s, 10–15 mV at 290 s).

Defaults, sized so that every window is a steady state (all 16 shown steady, seed 0): the inhibitor at
`warmup` = 70 s, because on succinate reverse electron transport fills the NAD pool until ≈ 35 s (with the
inhibitor at 40 s the four succinate windows before it drifted by 26–30 mV); windows ending `after` = 290 s
after it, because the chain-block windows ending 95 s after it drifted 3–7 mV on the decay; and after oligomycin
an `oligomycin_window` of 250 s, because state 4o respires at ≈ 4.5 O₂/s (a 25 s window held 118 O₂ reductions,
too few for the flux item of `analysis.steady`), which starts 40 s after the inhibitor, once the cytosolic ATP
is gone (starting at 10 s, its ATP fraction still fell by 0.05–0.06 between the halves). Shorter settings
measure the transients on the way (initial rates), and the steadiness check says so. The run takes ≈ 50 minutes
on one core.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.report_membrane_steady import report_inhibitors, tables_inhibitors
from analysis.steady import steady_summary
from scenarios.params import MEMBRANE_PATCH, MEMBRANE_WORLD_PARAMS, Param, require
from scenarios.registry import scenario
from world.clock import Run
from world.membrane import INHIBITORS, MembraneWorld
from world.membrane.params import scaled, world_overrides
from world.membrane.protocol import Protocol

TAKEN = frozenset({"atp_demand", "nadh_fraction", "nadh_supply", "succinate_supply"})
"""World parameters inhibitors sets itself (the substrate's supply and, on succinate, an oxidised NAD pool)."""


def _check(p: Mapping[str, Any]) -> None:
    """The before- and after-windows fit inside the phases they measure; `world_params` are world parameters
    the scenario does not set."""
    world_overrides(p["world_params"], TAKEN, p["dt"])
    require(
        p["window"] <= min(p["warmup"], p["after"]),
        f"window(={p['window']}) must not exceed warmup(={p['warmup']}) or after(={p['after']})",
    )
    require(
        p["oligomycin_window"] <= p["after"],
        f"oligomycin_window(={p['oligomycin_window']}) must not exceed after(={p['after']})",
    )


@scenario(
    name="inhibitors",
    description="Membrane: oligomycin, rotenone, antimycin A, cyanide under NADH and under succinate.",
    params={
        "atp_demand": Param(300.0, float, bounds=(0, 1e5), help="ATP demand (ATP/s)"),
        "supply": Param(400.0, float, bounds=(0, 1e5), help="substrate supply (molecules/s)"),
        "warmup": Param(70.0, float, bounds=(0.2, 1e4), help="time before the inhibitor (s)"),
        "after": Param(290.0, float, bounds=(0.1, 1e4), help="time after the inhibitor (s)"),
        "window": Param(25.0, float, bounds=(0.05, 1e4), help="measurement windows, each ending at a phase's end (s)"),
        "oligomycin_window": Param(
            250.0, float, bounds=(0.05, 1e4), help="window after oligomycin, ending at the run's end (s)"
        ),
        "dt": Param(1e-3, float, bounds=(1e-6, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.1, float, bounds=(1e-4, 10), help="metric sampling interval (s)"),
        "patch": MEMBRANE_PATCH,
        "world_params": MEMBRANE_WORLD_PARAMS,
    },
    duration=lambda p: p["warmup"] + p["after"],
    report=report_inhibitors,
    tables=tables_inhibitors,
    smoke={"warmup": 0.2, "after": 0.1, "window": 0.05, "oligomycin_window": 0.05},
    check=_check,
)
def run_inhibitors(
    run: Run,
    *,
    atp_demand: float,
    supply: float,
    warmup: float,
    after: float,
    window: float,
    oligomycin_window: float,
    dt: float,
    sample_dt: float,
    patch: int,
    world_params: tuple[str, ...],
) -> dict:
    """One world per (substrate, inhibitor) on one clock; before/after windows around the inhibitor."""
    _check(
        {
            "window": window,
            "oligomycin_window": oligomycin_window,
            "warmup": warmup,
            "after": after,
            "world_params": world_params,
            "dt": dt,
        }
    )
    extra = world_overrides(world_params, TAKEN, dt)
    cases = []
    for substrate in ("nadh", "succinate"):
        for inhibitor in INHIBITORS:
            # on succinate the matrix starts with its NAD pool oxidised, so complex I has no leftover NADH
            nadh0 = {"nadh_fraction": 0.0} if substrate == "succinate" else {}
            world = MembraneWorld(run, dt=dt, **scaled(patch, atp_demand=atp_demand, **nadh0, **extra))
            world.set_substrate(substrate, supply * patch)
            proto = Protocol(run, world, sample_dt)
            before = proto.measure(warmup - window, warmup)
            proto.at(warmup, world.add_inhibitor, inhibitor)
            span = oligomycin_window if inhibitor == "oligomycin" else window
            cases.append((substrate, inhibitor, before, proto.measure(warmup + after - span, warmup + after)))
    run.run_until(warmup + after)
    out: dict[str, dict] = {"nadh": {}, "succinate": {}}
    for substrate, inhibitor, b, a in cases:
        out[substrate][inhibitor] = {
            "ocr_before": b["ocr"],
            "ocr_after": a["ocr"],
            "ocr_ratio": a["ocr"] / b["ocr"] if b["ocr"] else None,
            "delta_psi_before_mV": b["delta_psi_mV"],
            "delta_psi_after_mV": a["delta_psi_mV"],
            "atp_rate_before": b["atp_rate"],
            "atp_rate_after": a["atp_rate"],
        }
    flat = {f"ocr_ratio_{s}_{i}": v["ocr_ratio"] for s, d in out.items() for i, v in d.items()}
    windows = {f"{s}_{i}_{when}": m for s, i, b, a in cases for when, m in (("before", b), ("after", a))}
    return {**flat, **out, "steadiness": steady_summary(windows)}


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("inhibitors")
