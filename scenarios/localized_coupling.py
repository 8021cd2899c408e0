"""Scenario `localized_coupling`: Mitchell's delocalized Δp against protons held at the membrane surface.

One membrane world per surface-to-bulk barrier (0 kT is Mitchell's delocalized chemiosmosis), identical
otherwise and on one clock: free protons take the exact walk at `d_proton` µm²/s and every transporter reads
the protons at its mouth (local access), the mouth rows being the membrane surfaces. Each world starts
de-energised and is measured in state 4 (no ATP demand) after `settle` seconds, then in state 3 (`atp_demand`)
`warmup` seconds after the demand step, each window checked for a steady state:

* how fast each world energises: Δψ from the start (every 0.1 s until the state-4 window), and the time it
  takes to reach 90 % of its state-4 mean (`energise_s`);
* ATP synthesis, OCR, P/O, Δψ and the bulk Δp (exact window means of the counters);
* the Δp the synthases see at their mouths and the Δp the pumps (complexes I, III, IV) see at theirs, from the
  local proton activities (`MembraneWorld.local_pmf_mV`, sampled every `sample_dt`), and the synthases' excess
  over the bulk Δp sampled at the same instants (`rotor_excess_mV`);
* pump-to-rotor transits (`MembraneWorld.track_transit`): how old a pumped proton is when a synthase takes it,
  by the lateral distance between pump and rotor, next to the lateral diffusion law's time d²/(2D)
  (`analysis.transit.transit_ages`);
* with a crista (``world_params`` ``crista_length_nm``, docs/membrane.md "Crista"), the synthases in the crista
  and on the boundary membrane apart: the Δp at their mouths and the transit ages of the protons they take.

Defaults: state 4 over 25–275 s, then 350 ATP/s (≈ 60–78 % of the recalibrated patch's ADP-saturated synthesis,
≈ 450–600 ATP/s; the earlier 600 ATP/s is above it, so cytosolic ATP would drain through the window), state 3
over 285–300 s (10 s to settle: the recalibrated world takes ≈ 10 s after a demand step; a 15 s window holds
≈ 1 000 O₂ reductions, what the flux item of `analysis.steady` needs). The state-4 window is 250 s because state 4
respires at ≈ 5 O₂/s: a 25 s window held ≈ 130 reductions and could not be shown steady, 250 s holds ≈ 1 270
(all ten windows steady, seed 0; the run takes about an hour on one core).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from analysis.relaxation import time_to_fraction
from analysis.report_space import report_localized_coupling, tables_localized_coupling
from analysis.steady import steady_summary
from analysis.transit import transit_ages
from scenarios.params import MEMBRANE_PATCH, MEMBRANE_WORLD_PARAMS, Param
from scenarios.registry import scenario
from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.params import scaled, world_overrides
from world.membrane.protocol import Protocol

PUMPS = ("ComplexI", "ComplexIII", "ComplexIV")


def _window_local(run: Run, world: MembraneWorld, t0: float, t1: float, sample_dt: float) -> dict[str, list]:
    """Samples of the bulk Δp and of the local Δp at the synthases and at the pumps, taken at the same instants
    between `t0` and `t1` (filled as the clock runs)."""
    out: dict[str, list] = {"bulk": [], "rotor": [], "pump": [], "rotor_crista": [], "rotor_boundary": []}
    crista = world.params.crista is not None

    def sample() -> None:
        if t0 < run.now <= t1:
            out["bulk"].append(world.pmf_mV)
            out["rotor"].append(world.local_pmf_mV("ATPSynthase"))
            out["pump"].append(float(np.mean([world.local_pmf_mV(name) for name in PUMPS])))
            if crista:
                out["rotor_crista"].append(world.local_pmf_mV("ATPSynthase", "crista"))
                out["rotor_boundary"].append(world.local_pmf_mV("ATPSynthase", "boundary"))

    run.every(sample_dt, sample)
    return out


COURSE_DT = 0.1
"""Interval (s) of the Δψ time course from the start to the state-4 window."""


def _psi_course(run: Run, world: MembraneWorld, until: float) -> dict[str, list[float]]:
    """Δψ every `COURSE_DT` from the start up to `until` (filled as the clock runs)."""
    out: dict[str, list[float]] = {"t": [], "delta_psi_mV": []}

    def sample() -> None:
        if run.now <= until + 1e-9:
            out["t"].append(round(float(run.now), 9))
            out["delta_psi_mV"].append(world.delta_psi_mV)

    run.every(COURSE_DT, sample)
    return out


def _state(m: dict[str, Any], local: dict[str, list]) -> dict[str, Any]:
    return {
        "ocr": m["ocr"],
        "atp_rate": m["atp_rate"],
        "p_o": m["atp_made"] / (2 * m["o2_consumed"]) if m["o2_consumed"] > 0 else None,
        "delta_psi_mV": m["delta_psi_mV"],
        "pmf_mV": m["pmf_mV"],
        "pmf_rotor_mV": float(np.mean(local["rotor"])) if local["rotor"] else None,
        "pmf_pump_mV": float(np.mean(local["pump"])) if local["pump"] else None,
        "rotor_excess_mV": float(np.mean(np.subtract(local["rotor"], local["bulk"]))) if local["rotor"] else None,
    }


def _crista(
    world: MembraneWorld, rec: dict[str, np.ndarray], windows: tuple, locals_: tuple, d: float
) -> dict[str, Any]:
    """The crista's synthases against the boundary's, per state: mean Δp at their mouths and the transit ages of
    the protons they take (rotor columns inside the crista or not)."""
    cols = world.params.crista[0]  # type: ignore[index]
    inside = rec["rotor_x"] < cols
    part = {name: {k: v[m] for k, v in rec.items()} for name, m in (("crista", inside), ("boundary", ~inside))}
    out: dict[str, Any] = {
        "length_nm": world.params.crista_length_nm,
        "lumen_nm": world.params.crista_lumen_nm,
        "columns": cols,
    }

    def mean(samples: list[float]) -> float | None:  # None: no samples, or no synthase in the region (NaN)
        finite = [v for v in samples if np.isfinite(v)]
        return float(np.mean(finite)) if finite else None

    for state, w, local in zip(("state4", "state3"), windows, locals_, strict=True):
        out[state] = {f"pmf_rotor_{name}_mV": mean(local[f"rotor_{name}"]) for name in ("crista", "boundary")} | {
            f"transit_{name}": transit_ages(part[name], *w, d) for name in ("crista", "boundary")
        }
    return out


TAKEN = frozenset({"d_proton_um2_s", "proton_access", "surface_barrier_kT", "atp_demand"})
"""World parameters localized_coupling sets itself."""


def _check(p: Mapping[str, Any]) -> None:
    """`world_params` are world parameters the scenario does not set."""
    world_overrides(p["world_params"], TAKEN, p["dt"], fixed={"proton_access": "local"})


@scenario(
    name="localized_coupling",
    description="Membrane: surface-to-bulk proton barrier 0 (Mitchell) vs held surface protons; local Δp at rotors.",
    params={
        "barriers": Param((0.0, 5.0, 10.0, 12.5, 15.0), float, many=True, bounds=(0, 40), help="surface barriers (kT)"),
        "d_proton": Param(9300.0, float, bounds=(1e-3, 1e5), help="free-proton diffusion coefficient (µm²/s)"),
        "atp_demand": Param(350.0, float, bounds=(0, 1e5), help="ATP demand in state 3 (ATP/s)"),
        "settle": Param(25.0, float, bounds=(0.05, 1e4), help="time from the de-energised start to state 4 (s)"),
        "state4_window": Param(250.0, float, bounds=(0.05, 1e4), help="state-4 measurement window (s)"),
        "warmup": Param(10.0, float, bounds=(0.05, 1e4), help="settling time after the demand step (s)"),
        "window": Param(15.0, float, bounds=(0.05, 1e4), help="state-3 measurement window (s)"),
        "dt": Param(1e-3, float, bounds=(1e-6, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.05, float, bounds=(1e-4, 10), help="metric and local-Δp sampling interval (s)"),
        "patch": MEMBRANE_PATCH,
        "world_params": MEMBRANE_WORLD_PARAMS,
    },
    duration=lambda p: p["settle"] + p["state4_window"] + p["warmup"] + p["window"],
    report=report_localized_coupling,
    tables=tables_localized_coupling,
    smoke={"settle": 0.6, "state4_window": 0.2, "warmup": 0.2, "window": 0.2, "barriers": (0.0, 15.0)},
    check=_check,
)
def run_localized_coupling(
    run: Run,
    *,
    barriers: tuple[float, ...],
    d_proton: float,
    atp_demand: float,
    settle: float,
    state4_window: float,
    warmup: float,
    window: float,
    dt: float,
    sample_dt: float,
    patch: int,
    world_params: tuple[str, ...],
) -> dict:
    """Run one world per barrier on one clock: state 4, then state 3 under `atp_demand`."""
    extra = world_overrides(world_params, TAKEN, dt)
    w4 = (settle, settle + state4_window)
    w3 = (w4[1] + warmup, w4[1] + warmup + window)
    worlds = []
    for barrier in barriers:
        world = MembraneWorld(
            run,
            dt=dt,
            **scaled(patch, d_proton_um2_s=d_proton, proton_access="local", surface_barrier_kT=float(barrier), **extra),
        )
        log = world.track_transit()
        proto = Protocol(run, world, sample_dt)
        m4, m3 = proto.measure(*w4), proto.measure(*w3)
        proto.at(w4[1], world.set_atp_demand, atp_demand * patch)
        local = (_window_local(run, world, *w4, sample_dt), _window_local(run, world, *w3, sample_dt))
        course = _psi_course(run, world, settle)
        worlds.append((float(barrier), m4, m3, local, log, world, course))
    run.run_until(w3[1])
    out: dict[str, Any] = {"d_proton_um2_s": d_proton, "barriers_kT": [b for b, *_ in worlds]}
    windows = {}
    for barrier, m4, m3, (l4, l3), log, world, course in worlds:
        rec = log.records()
        key = f"barrier_{barrier:g}"
        out[key] = {
            "barrier_kT": barrier,
            "state4": _state(m4, l4),
            "state3": _state(m3, l3),
            "transit_state4": transit_ages(rec, *w4, d_proton),
            "transit_state3": transit_ages(rec, *w3, d_proton),
            "psi_course": course,
            "energise_s": time_to_fraction(course["t"], course["delta_psi_mV"], m4["delta_psi_mV"]),
        }
        if world.params.crista is not None:
            out[key]["crista"] = _crista(world, rec, (w4, w3), (l4, l3), d_proton)
        windows[f"{key} state 4"] = m4
        windows[f"{key} state 3"] = m3
    return {**out, "steadiness": steady_summary(windows)}


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("localized_coupling")
