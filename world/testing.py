"""Small worlds and law checkers for your own tests (property tests with hypothesis, scenario checks).

Key names: `SMALL_WORLD`, `SMALL_ATTENTION`, `CANDIDATE`, `FERMI_STACK`, `small_membrane_world`,
`small_attention_world`, `membrane_law_violations`, `assert_membrane_laws`, `randomise_space`, `states_4_and_3`.

The project's own membrane property tests use the same small patch (`SMALL_WORLD`, a few ms per 100 steps)
and the same laws (docs/membrane.md, "Conservation laws")::

    from hypothesis import given, strategies as st
    from world.testing import assert_membrane_laws, small_membrane_world

    @given(seed=st.integers(0, 2**32 - 1), adp=st.integers(0, 500))
    def test_my_perturbation_keeps_the_laws(seed, adp):
        run, world = small_membrane_world(seed)
        world.add_adp(adp)
        for _ in range(50):
            world.step()
            assert_membrane_laws(world)

Every world is built on a fresh `world.clock.Run` with in-memory recorders unless you pass one, so the trace
(``run.trace.to_frame()``) and metrics are there to inspect.
"""

from __future__ import annotations

import math
from typing import Any

from world.clock import Run
from world.membrane.params import SMALL_WORLD

__all__ = [
    "CANDIDATE",
    "FERMI_STACK",
    "SMALL_ATTENTION",
    "SMALL_WORLD",
    "assert_membrane_laws",
    "membrane_law_violations",
    "randomise_space",
    "small_attention_world",
    "small_membrane_world",
    "states_4_and_3",
]

SMALL_ATTENTION: dict[str, int] = {"vocab": 5, "n_ctx": 8, "d_model": 8, "n_layers": 1, "n_heads": 2}
"""A model small enough for property tests: `world.attention.model.ModelConfig(**SMALL_ATTENTION)`."""


def small_membrane_world(seed: int = 0, run: Run | None = None, **overrides: Any) -> tuple[Run, Any]:
    """A `MembraneWorld` of `SMALL_WORLD`'s size (overridden by `overrides`) on `run` or a fresh ``Run(seed)``."""
    from world.membrane import MembraneWorld

    run = run if run is not None else Run(seed)
    return run, MembraneWorld(run, **{**SMALL_WORLD, **overrides})


def randomise_space(world: Any, rng: Any, *, carriers: bool = False) -> None:
    """Control for "does space matter": after every diffusion step of `world`, put each free proton at a
    uniformly random cell of its band (with `carriers`, also every quinone at a random membrane column and every
    cytochrome c at a random cell of the P band; with a crista, at a random open cell of the P band), drawn from
    `rng` (a generator of its own, so the run's draws are those of the unshuffled world). Positions then carry
    no memory, the well-mixed limit of any diffusion."""
    import numpy as np

    lat = world.lattice
    diffuse = lat.diffuse

    def diffuse_then_shuffle() -> None:
        diffuse()
        free = np.flatnonzero(lat.comp <= 1)
        lat.x[free] = rng.integers(0, lat.width, size=free.size)
        n_side = lat.comp[free] == 0
        lat.y[free] = np.where(
            n_side,
            rng.integers(0, lat.n_rows, size=free.size),
            rng.integers(lat.n_rows + 1, lat.height, size=free.size),
        )
        if lat.crista is not None:
            p = free[~n_side]
            lat.x[p], row = lat.crista.uniform(rng, p.size)
            lat.y[p] = lat.n_rows + 1 + row
        lat.positions_changed()
        if carriers:
            q, c = world.quinones, world.cytc
            q.x = rng.integers(0, q.width, size=q.x.size).astype(np.int32)
            if c.domain is None:
                c.x = rng.integers(0, c.width, size=c.x.size).astype(np.int32)
                c.y = rng.integers(c.y_lo, c.y_hi + 1, size=c.y.size).astype(np.int32)
            else:
                c.x, row = c.domain.uniform(rng, c.x.size)
                c.y = (c.y_lo + row).astype(np.int32)

    lat.diffuse = diffuse_then_shuffle


ONLY_SYNTHASES = {
    "n_complex1": 0,
    "n_complex2": 0,
    "n_complex3": 0,
    "n_complex4": 0,
    "n_exchanger": 0,
    "n_leak": 0,
    "n_synthase": 6,
    "nadh_supply": 0.0,
    "protons_p": 20_000,
    "adp_m": 100_000,
    "pi_m": 100_000,
    "capacitance_uF_cm2": 1e4,
    "initial_delta_psi_mV": 350.0,
}
"""Six synthases under a voltage clamp (a huge capacitance charged to 350 mV) with plentiful ADP, Pi and P-side
protons: each runs near k_rotor for the whole second, whatever it makes."""


CANDIDATE: dict[str, Any] = {
    "kinetics": "mass_action",
    "supply_law": "reversible",
    "site_events": "poisson",
    "transport": "ant_pic",
    "k_rotor": 1040.0,
    "k_leak": 0.3,
    "k_complex1": 300.0,
    "nadh_supply": 500.0,
}
"""The first calibration candidate of docs/membrane.md (Acceptance) as world keyword arguments: mass action, the
reversible NADH supply, the translocase and phosphate carrier, Poisson site events, Yasuda's rotor turnover. On
today's defaults only its NADH supply (500/s) differs; the world it was measured on is
``{**FERMI_STACK, **CANDIDATE}`` (the earlier counts, pools and standard states)."""


FERMI_STACK: dict[str, Any] = {
    "kinetics": "fermi",
    "supply_law": "saturating",
    "site_events": "one",
    "transport": "lumped",
    "atp_standard": "uniform",
    "o2_standard": "fixed",
    "k_rotor": 400.0,
    "k_leak": 1.0,
    "k_complex1": 150.0,
    "n_synthase": 6,
    "n_ant": 18,
    "n_pi_carrier": 12,
    "pi_c": 5400,
}
"""The membrane world's defaults before the recalibration (docs/membrane.md, Acceptance) as world keyword
arguments: Fermi kinetics, the saturating supply, the lumped exchanger, one move per site and step, the uniform
ATP and fixed O₂ standards and the first constants. Tests of those laws build their worlds with it."""


def states_4_and_3(
    run: Run, world: Any, state4: tuple[float, float], state3: tuple[float, float], demand: float = 1200.0
) -> tuple[dict, dict]:
    """Schedule a state-4 window, an ATP demand of `demand` at its end and a state-3 window on `world`; the two
    `world.membrane.protocol.Protocol.measure` dicts fill when ``run.run_until`` passes each window."""
    from world.membrane.protocol import Protocol

    proto = Protocol(run, world, None)
    s4 = proto.measure(*state4)
    proto.at(state4[1], world.set_atp_demand, demand)
    return s4, proto.measure(*state3)


def scheme_states(
    dt: float,
    site_events: str,
    seed: int = 1,
    windows: tuple[tuple[float, float], tuple[float, float]] = ((1.0, 3.0), (3.5, 5.5)),
    demand: float = 1200.0,
    **params: Any,
) -> tuple[dict, dict]:
    """States 4 and 3 of the membrane world (the defaults, or `params`) under a `site_events` scheme and step
    `dt`: by default 2 s windows at 1–3 s and, after an ATP demand of 1 200/s, at 3.5–5.5 s (`states_4_and_3`)."""
    from world.clock import Run
    from world.membrane import MembraneWorld

    run = Run(seed)
    world = MembraneWorld(run, dt=dt, **{**params, "site_events": site_events})
    s4, s3 = states_4_and_3(run, world, windows[0], windows[1], demand)
    run.run_until(windows[1][1])
    return s4, s3


def states_agree(a: dict, b: dict) -> list[str]:
    """What differs between two measurements of one state beyond the dt-convergence tolerances (empty when they
    agree): Δψ by 2 mV or more; OCR or ATP rate by 2.5 combined Poisson standard errors or more (a 1-SE bound
    would fail a third of unbiased pairs by chance)."""
    out = []
    if abs(a["delta_psi_mV"] - b["delta_psi_mV"]) >= 2.0:
        out.append(f"delta_psi_mV {a['delta_psi_mV']:.2f} vs {b['delta_psi_mV']:.2f}")
    for key in ("ocr", "atp_rate"):
        se = math.sqrt((max(a[key], 1.0) + max(b[key], 1.0)) / 2.0)
        if abs(a[key] - b[key]) >= 2.5 * se:
            out.append(f"{key} {a[key]:.1f} vs {b[key]:.1f} (SE {se:.1f})")
    return out


def small_attention_world(seed: int = 0, run: Run | None = None, **overrides: Any) -> tuple[Run, Any]:
    """An untrained `AttentionWorld` on a random order-1 Markov source, of `SMALL_ATTENTION`'s size."""
    from world.attention.markov import MarkovSource
    from world.attention.model import AttentionModel, ModelConfig
    from world.attention.stream import AttentionWorld

    run = run if run is not None else Run(seed)
    config = ModelConfig(**{**SMALL_ATTENTION, **overrides})
    source = MarkovSource.random(run.rng, V=config.vocab, order=1, alpha=0.5)
    return run, AttentionWorld(run, AttentionModel.init(config, run.rng), source)


def membrane_law_violations(world: Any) -> list[str]:
    """The conservation laws (docs/membrane.md) that `world` breaks now; empty when all hold.

    Exact where the model is exact (counts of protons, electrons, nucleotides, charge; 3 ATP per n protons
    through each rotor), to 1e-9 relative for the energy ledger and Δψ·C_m/e against the charge.
    """
    g = world.ledger()
    out = []
    if g["h_total"] != g["h_expected"]:
        out.append("H+: free N + free P + bound = initial + produced − consumed")
    if g["h_bound"] != g["h_bound_expected"]:
        out.append("bound H+ = 2 per QH2 + those in complex IV")
    if g["electrons_donated"] + g["electrons_initial"] != g["electrons_on_carriers"] + 4 * g["o2_reduced"]:
        out.append("electrons donated + initial = on carriers + 4 × O2 reduced")
    if g["atp_plus_adp"] != g["atp_plus_adp_expected"]:
        out.append("ATP + ADP constant (plus ADP added)")
    if g["atp_plus_pi"] != g["atp_plus_pi_expected"]:
        out.append("ATP + Pi constant")
    if g["charge_e"] != g["charge_initial_e"] + g["charges_moved"] + g["other_charge_e"]:
        out.append("charge = initial + charges moved by the complexes − charges returned")
    if not math.isclose(g["psi_times_C_over_e"], g["charge_e"], rel_tol=1e-12, abs_tol=1e-9):
        out.append("Δψ·C_m/e = charge")
    for syn in world.groups_by_name()["ATPSynthase"]:
        if syn.atp != (3 * syn.steps) // world.params.c_ring:
            out.append(f"synthase {syn.unique_id}: 3 ATP per n protons through the rotor")
    scale = max(abs(g["redox_released_J"]), abs(g["heat_J"]), 1e-25)
    lhs = g["redox_released_J"] + g["external_J"]
    rhs = g["stored_pmf_J"] + g["stored_atp_J"] + g["heat_J"]
    if not math.isclose(lhs, rhs, rel_tol=1e-9, abs_tol=1e-12 * scale):
        out.append("redox released + external = stored in Δp + stored in ATP + heat")
    if not math.isclose(g["stored_pmf_J"], g["stored_pmf_state_J"], rel_tol=1e-9, abs_tol=1e-12 * scale):
        out.append("energy stored in Δp equals the state function")
    return out


def assert_membrane_laws(world: Any) -> None:
    """Raise AssertionError naming every conservation law `world` breaks now."""
    broken = membrane_law_violations(world)
    assert not broken, "conservation laws broken: " + "; ".join(broken)
