"""Scenario `mito_stress_test`: the Seahorse XF Cell Mito Stress Test on the membrane world.

Basal respiration with a steady ATP demand, then oligomycin (synthase blocked), then FCCP (uncoupler), then
rotenone + antimycin A. OCR and Δψ are averaged over a window at the end of each phase; the six derived
numbers follow the Seahorse definitions: basal, ATP-linked (basal − oligomycin), proton leak
(oligomycin − non-mitochondrial), maximal (FCCP − non-mitochondrial), spare capacity (maximal − basal) and
non-mitochondrial (after rotenone + antimycin A). The model has no oxidases outside the chain, so its
non-mitochondrial OCR is what the inhibited chain still does (≈ 0).

Defaults measure steady states (`analysis.steady`): 30 s before the basal window ends, the oligomycin phase
`oligomycin_phase` = 260 s measured over its last `oligomycin_window` = 250 s, because leak respiration is
quiet (≈ 4 O₂/s per default patch) and needs that long for ≈ 1 000 O₂ events (relative standard error ≈ 3 %,
and enough events for the steadiness check to pass a steady window), then 35 s FCCP and rotenone + antimycin A
phases with 25 s windows, long enough that the FCCP maximum is the rate the NADH supply sustains, not the
transient of draining the NADH pool (1.2 s phases gave a transient maximum under the earlier defaults). Under
oligomycin the cytosolic ATP keeps falling: the demand goes on while the blocked synthases make none, and the
model has no glycolysis to make up for it. That pool cannot feed back on respiration while the synthases are
blocked, so the oligomycin window's steadiness check reads the NADH pool only (its ATP change is still in the
summary's steadiness entry).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.report_membrane import report_mito_stress_test, tables_mito_stress_test
from analysis.steady import steady_summary
from scenarios.params import MEMBRANE_PATCH, MEMBRANE_WORLD_PARAMS, Param, require
from scenarios.registry import scenario
from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.params import scaled, world_overrides
from world.membrane.protocol import Protocol

TAKEN = frozenset({"atp_demand"})
"""World parameters mito_stress_test sets itself."""


def _check(p: Mapping[str, Any]) -> None:
    """Each measurement window fits inside its phase and inside the warm-up; `world_params` are world
    parameters the scenario does not set."""
    world_overrides(p["world_params"], TAKEN, p["dt"])
    require(
        p["window"] < min(p["phase"], p["warmup"]),
        f"window(={p['window']}) must be shorter than phase(={p['phase']}) and warmup(={p['warmup']})",
    )
    require(
        p["oligomycin_window"] < p["oligomycin_phase"],
        f"oligomycin_window(={p['oligomycin_window']}) must be shorter than oligomycin_phase(={p['oligomycin_phase']})",
    )


@scenario(
    name="mito_stress_test",
    description="Membrane: Seahorse sequence basal -> oligomycin -> FCCP -> rotenone+antimycin A; six OCR numbers.",
    params={
        "atp_demand": Param(300.0, float, bounds=(0, 1e5), help="basal ATP demand (ATP/s)"),
        "fccp_uM": Param(2.0, float, bounds=(0, 100), help="FCCP (uncoupler) added (µM)"),
        "phase": Param(35.0, float, bounds=(0.3, 1e4), help="length of the FCCP and rotenone + antimycin phases (s)"),
        "oligomycin_phase": Param(260.0, float, bounds=(0.3, 1e4), help="length of the oligomycin phase (s)"),
        "warmup": Param(30.0, float, bounds=(0.5, 1e4), help="time before the basal window ends (s)"),
        "window": Param(
            25.0, float, bounds=(0.05, 1e4), help="window at the end of the basal, FCCP and R+AA phases (s)"
        ),
        "oligomycin_window": Param(250.0, float, bounds=(0.05, 1e4), help="window at the end of oligomycin (s)"),
        "dt": Param(1e-3, float, bounds=(1e-6, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.05, float, bounds=(1e-4, 10), help="metric sampling interval (s)"),
        "patch": MEMBRANE_PATCH,
        "world_params": MEMBRANE_WORLD_PARAMS,
    },
    duration=lambda p: p["warmup"] + p["oligomycin_phase"] + 2 * p["phase"],
    report=report_mito_stress_test,
    tables=tables_mito_stress_test,
    smoke={"warmup": 0.5, "phase": 0.3, "window": 0.1, "oligomycin_phase": 0.3, "oligomycin_window": 0.1},
    check=_check,
)
def run_mito_stress_test(
    run: Run,
    *,
    atp_demand: float,
    fccp_uM: float,
    phase: float,
    oligomycin_phase: float,
    warmup: float,
    window: float,
    oligomycin_window: float,
    dt: float,
    sample_dt: float,
    patch: int,
    world_params: tuple[str, ...],
) -> dict:
    """Inject oligomycin, FCCP and rotenone + antimycin A in turn; derive the six Seahorse numbers."""
    _check(
        {
            "window": window,
            "phase": phase,
            "warmup": warmup,
            "oligomycin_phase": oligomycin_phase,
            "oligomycin_window": oligomycin_window,
            "world_params": world_params,
            "dt": dt,
        }
    )
    world = MembraneWorld(
        run, dt=dt, **scaled(patch, atp_demand=atp_demand, **world_overrides(world_params, TAKEN, dt))
    )
    proto = Protocol(run, world, sample_dt)
    t_oligo = warmup
    t_fccp = t_oligo + oligomycin_phase
    t_rot = t_fccp + phase
    t_end = t_rot + phase
    basal = proto.measure(t_oligo - window, t_oligo)
    proto.at(t_oligo, world.add_inhibitor, "oligomycin")
    oligo = proto.measure(t_fccp - oligomycin_window, t_fccp, steady_pools=("nadh",))
    proto.at(t_fccp, world.add_uncoupler, fccp_uM)
    fccp = proto.measure(t_rot - window, t_rot)
    proto.at(t_rot, world.add_inhibitor, "rotenone")
    proto.at(t_rot, world.add_inhibitor, "antimycin_a")
    rot_aa = proto.measure(t_end - window, t_end)
    run.run_until(t_end)
    non_mito = rot_aa["ocr"]
    maximal = fccp["ocr"] - non_mito
    ocr = {
        "basal": basal["ocr"] - non_mito,
        "atp_linked": basal["ocr"] - oligo["ocr"],
        "proton_leak": oligo["ocr"] - non_mito,
        "maximal": maximal,
        "spare_capacity": maximal - (basal["ocr"] - non_mito),
        "non_mitochondrial": non_mito,
    }
    return {
        **{f"ocr_{k}": v for k, v in ocr.items()},
        "ocr": ocr,
        "ocr_raw": {
            "basal": basal["ocr"],
            "oligomycin": oligo["ocr"],
            "fccp": fccp["ocr"],
            "rotenone_antimycin": rot_aa["ocr"],
        },
        "delta_psi_mV": {
            "basal": basal["delta_psi_mV"],
            "oligomycin": oligo["delta_psi_mV"],
            "fccp": fccp["delta_psi_mV"],
            "rotenone_antimycin": rot_aa["delta_psi_mV"],
        },
        "pmf_mV": {
            "basal": basal["pmf_mV"],
            "oligomycin": oligo["pmf_mV"],
            "fccp": fccp["pmf_mV"],
            "rotenone_antimycin": rot_aa["pmf_mV"],
        },
        "atp_rate": {"basal": basal["atp_rate"], "oligomycin": oligo["atp_rate"], "fccp": fccp["atp_rate"]},
        "leak_share_of_basal": (oligo["ocr"] - non_mito) / (basal["ocr"] - non_mito)
        if basal["ocr"] > non_mito
        else None,
        "steadiness": steady_summary({"basal": basal, "oligomycin": oligo, "fccp": fccp, "rotenone_antimycin": rot_aa}),
    }


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("mito_stress_test")
