"""Scenario `respiratory_control`: state 4 → ADP pulse (state 3) → back to state 4.

The classic Chance & Williams experiment on the membrane world: respiring on NADH (or succinate) with no
ADP the chain idles against Δp (state 4); an ADP pulse lets the synthases run, Δp dips and respiration speeds
up (state 3) until the ADP is phosphorylated and the world returns to state 4. Nothing is scripted: the
speed-up emerges from the detailed-balance rates. Results: Δψ, ΔpH, Δp and OCR per state, the respiratory
control ratio (OCR state 3 / state 4) and P/O (ATP made per O atom in state 3) next to its mechanistic
maximum 10/(n/3 + 1) (NADH) or 6/(n/3 + 1) (succinate).

Windows (defaults; every window is checked for a steady state, `analysis.steady`):
* state 4 before the pulse and again at the end: `state4_window` = 250 s each. State 4 respires at ≈ 4 O₂/s
  per default patch, so a window holds ≈ 1 000 O₂ reductions: OCR's relative standard error is ≈ 3 % (< 5 %),
  and the flux item of the steadiness check (the two halves agree within ±20 % at 90 % confidence) has the
  events to pass when the flux is steady — with 500 (120 s) the 90 % interval alone is ±15 %, so a steady
  window fails whenever the halves differ by 5 % by chance, about every second time;
* state 3: `window` = 6 s starting `state3_delay` = 2 s after the pulse. State 3 ends when the ADP is
  phosphorylated — it is transient by definition, as in an oxygraph trace — so the pulse (12 000 ADP, ≈ 25 s of
  phosphorylation) is sized to outlast the window, and the window is checked for a steady flux and Δψ and
  for a steady NADH fraction but not for ATP/(ATP + ADP), which rises by design while ADP is phosphorylated.
  The pulse brings as much phosphate (`pi_pulse`): in an oxygraph the medium's Pi (5–10 mM in millilitres) far
  exceeds an ADP pulse, but the model's 3 aL cytosol holds 9 000 Pi, so an ADP pulse alone would consume the
  Pi it is phosphorylated with, and state 3 would slow as Pi falls (measured, seed 1, 1 s bins after 8 000 ADP:
  without Pi, Δψ falls ≈ 1 mV/s and OCR ≈ 3 %/s; with 8 000 Pi added, Δψ stays within ±3 mV for 12 s and OCR
  falls ≈ 1 %/s);
* the final state-4 window ends at t_end = 560 s, ≈ 270 s after state 3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.report_membrane import report_respiratory_control, tables_respiratory_control
from analysis.steady import steady_summary
from scenarios.params import MEMBRANE_PATCH, MEMBRANE_WORLD_PARAMS, Param, require
from scenarios.registry import scenario
from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.observe import REDOX_FRACTIONS
from world.membrane.params import scaled, world_overrides
from world.membrane.protocol import Protocol


def _state(m: dict[str, Any]) -> dict[str, Any]:
    keys = ("delta_psi_mV", "delta_pH", "pmf_mV", "ocr", "atp_rate", "leak_rate", *REDOX_FRACTIONS)
    out: dict[str, Any] = {k: round(m[k], 4) for k in keys}
    out["move_dG_kJ_per_mol"] = {k: round(v, 3) for k, v in m["move_dG_kJ_per_mol"].items()}
    return out


TAKEN = frozenset(
    {"c_ring", "kinetics", "supply_law", "site_events", "transport", "k_leak", "nadh_supply", "succinate_supply"}
    | {"atp_demand"}
)
"""World parameters respiratory_control sets itself (no ATP demand: state 4 is its absence)."""


def _check(p: Mapping[str, Any]) -> None:
    """A state-4 window before the pulse, state 3 from `state3_delay` after it, and a final state-4 window;
    `world_params` are world parameters the scenario does not set."""
    world_overrides(
        p["world_params"], TAKEN, p["dt"], fixed={"site_events": p["site_events"], "transport": p["transport"]}
    )
    t_pulse, window, t_end = p["t_pulse"], p["window"], p["t_end"]
    w4, delay = p["state4_window"], p["state3_delay"]
    require(w4 <= t_pulse, f"state4_window(={w4}) must not exceed t_pulse(={t_pulse}): state 4 is measured before it")
    require(
        t_pulse + delay + window <= t_end - w4,
        f"t_end(={t_end}) must leave room for state 3 and a final state-4 window after t_pulse(={t_pulse}): "
        f"t_pulse + state3_delay(={delay}) + window(={window}) + state4_window(={w4}) <= t_end",
    )


@scenario(
    name="respiratory_control",
    description="Membrane: state 4 -> ADP pulse (state 3) -> state 4; Δp and OCR per state, RCR, P/O.",
    params={
        "substrate": Param("nadh", str, choices=("nadh", "succinate"), help="electron donor"),
        "supply": Param(400.0, float, bounds=(0, 1e5), help="substrate supply (molecules/s)"),
        "c_ring": Param(8, int, bounds=(8, 15), help="c-subunits per rotor"),
        "supply_law": Param("reversible", str, choices=("reversible", "saturating"), help="NADH supply law"),
        "kinetics": Param("mass_action", str, choices=("mass_action", "fermi"), help="rate law of complexes I-IV"),
        "site_events": Param(
            "poisson", str, choices=("poisson", "batch", "one"), help="moves per membrane site and step"
        ),
        "transport": Param(
            "ant_pic", str, choices=("ant_pic", "lumped"), help="translocase + phosphate carrier, or one exchanger"
        ),
        "k_leak": Param(0.3, float, bounds=(0, 1e4), help="leak rate constant per leak site (1/s); 0: no leak"),
        "adp_pulse": Param(12000, int, bounds=(1, 10_000_000), help="ADP added (molecules)"),
        "pi_pulse": Param(12000, int, bounds=(0, 10_000_000), help="phosphate added with the ADP (molecules)"),
        "t_pulse": Param(260.0, float, bounds=(0.5, 1e4), help="time of the ADP pulse (s)"),
        "state4_window": Param(250.0, float, bounds=(0.05, 1e4), help="length of each state-4 window (s)"),
        "state3_delay": Param(2.0, float, bounds=(0.0, 1e3), help="start of the state-3 window after the pulse (s)"),
        "window": Param(6.0, float, bounds=(0.05, 1e4), help="length of the state-3 window (s)"),
        "t_end": Param(560.0, float, bounds=(1.0, 1e5), help="end of the run (s)"),
        "dt": Param(1e-3, float, bounds=(1e-6, 1e-3), help="membrane step (s)"),
        "sample_dt": Param(0.05, float, bounds=(1e-4, 10), help="metric sampling interval (s)"),
        "patch": MEMBRANE_PATCH,
        "world_params": MEMBRANE_WORLD_PARAMS,
    },
    duration=lambda p: p["t_end"],
    report=report_respiratory_control,
    tables=tables_respiratory_control,
    smoke={
        "t_pulse": 0.5,
        "window": 0.1,
        "state4_window": 0.1,
        "state3_delay": 0.2,
        "adp_pulse": 1200,
        "pi_pulse": 1200,
        "t_end": 1.0,
    },
    check=_check,
)
def run_respiratory_control(
    run: Run,
    *,
    substrate: str,
    supply: float,
    c_ring: int,
    kinetics: str,
    site_events: str,
    transport: str,
    supply_law: str,
    k_leak: float,
    adp_pulse: int,
    pi_pulse: int,
    t_pulse: float,
    state4_window: float,
    state3_delay: float,
    window: float,
    t_end: float,
    dt: float,
    sample_dt: float,
    patch: int,
    world_params: tuple[str, ...],
) -> dict:
    """State 4 before the pulse, state 3 just after it, state 4 again at the end."""
    _check(
        {
            "t_pulse": t_pulse,
            "window": window,
            "t_end": t_end,
            "state4_window": state4_window,
            "state3_delay": state3_delay,
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
            c_ring=c_ring,
            kinetics=kinetics,
            supply_law=supply_law,
            site_events=site_events,
            transport=transport,
            k_leak=k_leak,
            **world_overrides(world_params, TAKEN, dt),
        ),
    )
    world.set_substrate(substrate, supply * patch)
    proto = Protocol(run, world, sample_dt)
    state4 = proto.measure(t_pulse - state4_window, t_pulse)
    proto.at(t_pulse, world.add_adp, adp_pulse * patch)
    proto.at(t_pulse, world.add_pi, pi_pulse * patch)
    # ATP/(ATP + ADP) rises by design in state 3 (module docstring): the window checks flux, Δψ and NADH
    state3 = proto.measure(t_pulse + state3_delay, t_pulse + state3_delay + window, steady_pools=("nadh",))
    state4b = proto.measure(t_end - state4_window, t_end)
    run.run_until(t_end)
    n_h = 10 if substrate == "nadh" else 6
    rcr = state3["ocr"] / state4["ocr"] if state4["ocr"] > 0 else None
    p_o = state3["atp_made"] / (2 * state3["o2_consumed"]) if state3["o2_consumed"] > 0 else None
    return {
        "substrate": substrate,
        "c_ring": c_ring,
        "state4": _state(state4),
        "state3": _state(state3),
        "state4_after": _state(state4b),
        "rcr": rcr,
        "p_o": p_o,
        "p_o_mechanistic_max": n_h / (c_ring / 3 + 1),
        "h_per_atp_rotor": state3["rotor_steps"] / state3["atp_made"] if state3["atp_made"] else None,
        "delta_pH_share_of_pmf": -61.54 * state4["delta_pH"] / state4["pmf_mV"] if state4["pmf_mV"] else None,
        "steadiness": steady_summary({"state4": state4, "state3": state3, "state4_after": state4b}),
        "final": {
            "atp": world.pool["atp_m"] + world.pool["atp_c"],
            "adp": world.pool["adp_m"] + world.pool["adp_c"],
            "heat_J": world.counters["heat_J"],
            "o2_consumed": world.counters["o2_consumed"],
        },
    }


if __name__ == "__main__":
    from scenarios.cli import main_for

    main_for("respiratory_control")
