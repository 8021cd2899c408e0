"""Scenario `control_analysis`: who controls respiration? Flux control coefficients by metabolic control analysis.

For every step of the NADH-linked system (the NADH supply, complexes I, III and IV, the ATP synthase, the
nucleotide exchanger — the translocase, with the phosphate carrier a step of its own, under
``transport="ant_pic"`` —, the proton leak and the cytosolic ATP demand) two worlds run with that step's amount
scaled by `factor` and by 1/`factor`, all else equal; two more scale every amount at once (`TOGETHER`), and one
runs unperturbed, per replicate. After `settle` seconds each world goes through the ATP-demand `levels` in turn
(0 is state 4), holding each for `warmup` + `window` seconds and measuring respiration over the window. The flux
control coefficient of step i at a level is ``C_i = (ln J₊ − ln J₋)/(2 ln f)`` (`analysis.control`), per
replicate; the report gives each coefficient's mean and 95 % interval over `replicates` independent replicates,
the same for their sum, which the summation theorem says is 1, and the coefficient of all steps together, the
theorem's premise measured directly (scaling every amount only rescales time, so it must be 1).

An enzyme's amount enters only through its turnover: n sites at rate constant k are n·k of capacity, so the
amount is scaled through k (`k_complex1`, `k_rotor`, …; `nadh_supply` for the dehydrogenases, the demand's
maximal rate for the consumers), which changes it by any factor rather than by whole sites. Complex II is not a
step of its own: with no succinate supply it carries no steady flux (it is scaled with the others in
`TOGETHER`). A step absent at a level (the demand at 0; the phosphate carrier inside the lumped exchanger) has
coefficient exactly 0 there and is not run.

Choices the theorem forces, measured under the earlier defaults (Fermi kinetics, the lumped exchanger,
`world.testing.FERMI_STACK`; seed 5, demand 600 ATP/s, 4 replicates of 4 s windows, every amount ×1.25 and
÷1.25): with `site_events` "poisson" the all-together coefficient is 1.001 ± 0.012 at dt = 0.5 ms
but 0.93 ± 0.02 at dt = 1 ms, because the τ-leap updates rates once per step whatever the rates are; so `dt`
defaults to 0.5 ms. With "one" a site makes at most one move per step and its turnover saturates at
(1 − e^{−k·dt})/dt, so the coefficients need not sum to 1. The levels must be steady states too: the default
high level, 600 ATP/s, is ≈ 80 % of the ADP-saturated synthesis rate (≈ 775 ATP/s) and settles within ≈ 2 s;
a demand above that rate (e.g. 1 200, respiratory_control's state 3) drains the cytosolic ATP pool for tens of
seconds, so its window is a transient and its coefficients need not sum to 1. And the windows must hold enough
events to show that they are steady (`analysis.steady`): with one default patch a 2.5 s state-4 window holds
≈ 55 O₂ reductions and 102 of 108 windows were not shown steady, for lack of events. So the default world is
16 default patches (`patch`), whose windows hold 16× the events, stepped with batched moves
(``site_events="batch"``: the same Poisson law as "poisson", each class's moves made in one vectorised pass,
`world.membrane.batch`), which made the larger world affordable (≈ 70 CPU-minutes and a 2 GB trace; 105 of
its 108 windows were shown steady in seed 0, where one patch showed 6).

The defaults now (the recalibrated world: mass action, the translocase and phosphate carrier) measure one
level, 330 ATP/s (≈ 70 % of the ADP-saturated synthesis rate, 450–500 ATP/s, so that a world whose synthase,
translocase or phosphate carrier runs ÷1.25 still meets the demand), in one default patch: 5 s to settle, then
20 s at the demand before a 20 s window (≈ 1 300 O₂ reductions, enough for the steadiness check to pass a steady
window; the recalibrated world's pools take ≈ 10 s to settle after the demand is switched on). State 4 is not a
default level: it respires at ≈ 4 O₂/s per default patch, so a window that can be shown steady needs ≈ 250 s
(`--set levels=0,330 --set window=250`, ≈ 10× the CPU time). Measured at these defaults (seeds 0, 1 and 2; 63
worlds each, ≈ 90 min on one core): all 189 windows steady; Σ C over the 9 replicates pooled 0.997 [0.894, 1.100]
and all steps together 1.008 [0.963, 1.053] (docs/membrane.md, control_analysis).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.control import control_table
from analysis.report_control import report_control_analysis, tables_control_analysis
from analysis.steady import steady_summary
from scenarios.params import MEMBRANE_WORLD_PARAMS, Param, ParameterError, require
from scenarios.registry import scenario
from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.params import MembraneParams, scaled, world_overrides
from world.membrane.protocol import Protocol

STEPS: dict[str, str | None] = {
    "supply": "nadh_supply",
    "complex_I": "k_complex1",
    "complex_III": "k_complex3",
    "complex_IV": "k_complex4",
    "synthase": "k_rotor",
    "exchanger": "k_exchanger",
    "phosphate_carrier": "k_pi_carrier",
    "leak": "k_leak",
    "demand": None,
}
"""Each step of the NADH-linked system and the world parameter that is its amount (None: the ATP demand,
scaled at every level). Under ``transport="ant_pic"`` the exchanger is the nucleotide translocase (`k_ant`);
under ``"lumped"`` the phosphate carrier is part of the exchanger and absent as a step (`step_param`)."""
TOGETHER = "all steps together"
"""The pair of worlds with every amount scaled at once (and complex II's, which carries no steady flux): the
premise of the summation theorem, measured directly; its coefficient must be 1."""
_ALL_PARAMS = (*(p for p in STEPS.values() if p is not None), "k_ant", "k_complex2")


def step_param(step: str, transport: str) -> str | None:
    """The world parameter that is `step`'s amount under a `transport` law; None for the demand and for a step
    the law does not have (the phosphate carrier inside the lumped exchanger)."""
    if step == "phosphate_carrier" and transport == "lumped":
        return None
    if step == "exchanger" and transport == "ant_pic":
        return "k_ant"
    return STEPS[step]


def _absent(step: str, level: float, transport: str) -> bool:
    """True if `step` has nothing to scale at `level`: no consumers in state 4, no separate phosphate carrier
    in the lumped exchanger. Its coefficient is exactly 0 there and it is not run."""
    return (step == "demand" and level == 0) or (step == "phosphate_carrier" and transport == "lumped")


TAKEN = frozenset({"kinetics", "site_events", "transport", "atp_demand"})
"""World parameters control_analysis sets itself (`world_params` may set any other, and the steps scale from
those values)."""


def _check(p: Mapping[str, Any]) -> None:
    """Each step at most once; `world_params` are world parameters the scenario does not set; every scaled-up
    turnover still fits the world's step under its site_events (k·f·dt <= `MAX_RATE_DT`)."""
    steps = p["steps"]
    require(len(set(steps)) == len(steps), f"steps(={','.join(steps)}) must name each step at most once")
    transport = p.get("transport", "ant_pic")
    scheme = p.get("site_events", "batch")
    fixed = {"site_events": scheme, "transport": transport}
    extra = world_overrides(p.get("world_params", ()), TAKEN, p["dt"], fixed=fixed)
    base = MembraneParams(transport=transport, site_events=scheme, **extra)
    params = [step_param(name, transport) for name in steps]
    if len(steps) == len(STEPS):  # the all-together pair scales every amount
        params += list(_ALL_PARAMS)
    for param in params:
        if param is not None:
            try:
                up = {**extra, param: getattr(base, param) * p["factor"]}
                MembraneParams(transport=transport, site_events=scheme, **up).check_dt(p["dt"])
            except ValueError as e:
                raise ParameterError(f"factor(={p['factor']}) is too large for dt(={p['dt']}): {e}") from None


def _flux(m: Mapping[str, Any]) -> float:
    """Respiration over a window in O₂/s, from the electrons delivered to O₂ (4 per O₂): the same flux as the
    OCR, counted in steps of ¼ O₂ instead of whole O₂, so a short quiet window is less coarse."""
    return m["electron_rate"] / 4.0


def level_name(level: float) -> str:
    """A demand level's label: ``state 4`` at 0, else ``demand N ATP/s``."""
    return "state 4" if level == 0 else f"demand {level:g} ATP/s"


@scenario(
    name="control_analysis",
    description="Membrane: flux control coefficients of respiration over every step, state 4 and under load, with CIs.",
    params={
        "steps": Param(
            (
                "supply",
                "complex_I",
                "complex_III",
                "complex_IV",
                "synthase",
                "exchanger",
                "phosphate_carrier",
                "leak",
                "demand",
            ),
            str,
            choices=(
                "supply",
                "complex_I",
                "complex_III",
                "complex_IV",
                "synthase",
                "exchanger",
                "phosphate_carrier",
                "leak",
                "demand",
            ),
            many=True,
            help="steps to perturb (all: the sum is 1)",
        ),
        "levels": Param((330.0,), float, many=True, bounds=(0, 1e5), help="ATP demand per state (ATP/s)"),
        "factor": Param(1.25, float, bounds=(1.01, 3.0), help="each step's amount ×f and ÷f"),
        "replicates": Param(3, int, bounds=(2, 20), help="independent replicates per perturbation"),
        "kinetics": Param("mass_action", str, choices=("mass_action", "fermi"), help="rate law of complexes I-IV"),
        "site_events": Param(
            "batch", str, choices=("batch", "poisson", "one"), help="moves per membrane site and step"
        ),
        "transport": Param(
            "ant_pic", str, choices=("ant_pic", "lumped"), help="translocase + phosphate carrier, or one exchanger"
        ),
        "settle": Param(5.0, float, bounds=(0, 1e4), help="time from the initial state to the first level (s)"),
        "warmup": Param(20.0, float, bounds=(0.05, 1e4), help="settling time at each level (s)"),
        "window": Param(20.0, float, bounds=(0.05, 1e4), help="measurement window at each level (s)"),
        "dt": Param(5e-4, float, bounds=(1e-6, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.25, float, bounds=(1e-4, 10), help="metric sampling interval (s)"),
        "patch": Param(
            1,
            int,
            bounds=(1, 64),
            help="size in default patches: counts, volumes, rates ×patch (rates given per default patch)",
        ),
        "world_params": MEMBRANE_WORLD_PARAMS,
    },
    report=report_control_analysis,
    tables=tables_control_analysis,
    duration=lambda p: p["settle"] + len(p["levels"]) * (p["warmup"] + p["window"]),
    check=_check,
    smoke={
        "steps": ("complex_IV", "demand"),
        "levels": (0.0, 1200.0),
        "replicates": 2,
        "settle": 0.05,
        "warmup": 0.05,
        "window": 0.1,
        "patch": 1,
    },
)
def run_control_analysis(
    run: Run,
    *,
    steps: tuple[str, ...],
    levels: tuple[float, ...],
    factor: float,
    replicates: int,
    kinetics: str,
    site_events: str,
    transport: str,
    settle: float,
    warmup: float,
    window: float,
    dt: float,
    sample_dt: float,
    patch: int,
    world_params: tuple[str, ...],
) -> dict:
    """Run every perturbed world on one clock and compute the coefficients per level."""
    _check(
        {
            "steps": steps,
            "factor": factor,
            "dt": dt,
            "transport": transport,
            "site_events": site_events,
            "world_params": world_params,
        }
    )
    extra = world_overrides(world_params, TAKEN, dt)
    chosen = {name: step_param(name, transport) for name in STEPS if name in steps}
    hold = warmup + window
    world_kw = scaled(patch, kinetics=kinetics, site_events=site_events, transport=transport, **extra)
    base = MembraneParams(**world_kw)
    complete = len(chosen) == len(STEPS)
    worlds: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in range(replicates):
        for step in ["base", *chosen, *([TOGETHER] if complete else [])]:
            for sign in ("up", "down") if step != "base" else ("none",):
                scale = factor if sign == "up" else 1 / factor if sign == "down" else 1.0
                if step in chosen and all(_absent(step, lv, transport) for lv in levels):
                    continue
                names = _ALL_PARAMS if step == TOGETHER else (chosen[step],) if step in chosen else ()
                over = {name: getattr(base, name) * scale for name in names if name is not None}
                scales_demand = step in ("demand", TOGETHER)
                world = MembraneWorld(run, dt=dt, **{**world_kw, **over})
                proto = Protocol(run, world, sample_dt)
                windows = []
                for i, level in enumerate(levels):
                    demand = patch * (level * scale if scales_demand else level)
                    start = settle + i * hold
                    if start == 0:
                        world.set_atp_demand(demand)
                    else:
                        proto.at(start, world.set_atp_demand, demand)
                    absent = _absent(step, level, transport)  # nothing to scale: C is 0, not measured
                    windows.append(None if absent else proto.measure(start + warmup, start + hold))
                worlds[(step, sign, r)] = windows
    run.run_until(settle + len(levels) * hold)
    out: dict[str, Any] = {"factor": factor, "replicates": replicates, "all_steps": complete, "levels": []}
    steady_windows = {}
    for i, level in enumerate(levels):
        name = level_name(level)
        fluxes: dict[str, list[tuple[float, float]] | None] = {}
        for step in chosen:
            if _absent(step, level, transport):
                fluxes[step] = None
                continue
            fluxes[step] = [
                (_flux(worlds[(step, "up", r)][i]), _flux(worlds[(step, "down", r)][i])) for r in range(replicates)
            ]
        base_ocr = [_flux(worlds[("base", "none", r)][i]) for r in range(replicates)]
        base_psi = [worlds[("base", "none", r)][i]["delta_psi_mV"] for r in range(replicates)]
        base_atp = [worlds[("base", "none", r)][i]["atp_rate"] for r in range(replicates)]
        out["levels"].append(
            {
                "demand": float(level),
                "name": name,
                "ocr": sum(base_ocr) / replicates,
                "delta_psi_mV": sum(base_psi) / replicates,
                "atp_rate": sum(base_atp) / replicates,
                **control_table(fluxes, factor),
            }
        )
        if complete:
            pairs = [
                (_flux(worlds[(TOGETHER, "up", r)][i]), _flux(worlds[(TOGETHER, "down", r)][i]))
                for r in range(replicates)
            ]
            together = control_table({TOGETHER: pairs}, factor)["steps"][TOGETHER]
            out["levels"][-1]["together"] = {
                **together,
                "holds": None if together["lo"] is None else bool(together["lo"] <= 1.0 <= together["hi"]),
            }
        else:  # the theorem speaks of all steps; a partial sum is only a sum
            out["levels"][-1]["summation_holds"] = None
        for (step, sign, r), ws in worlds.items():
            if ws[i] is not None:
                steady_windows[f"{name}, {step} {sign}, replicate {r}"] = ws[i]
    return {**out, "steadiness": steady_summary(steady_windows)}


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("control_analysis")
