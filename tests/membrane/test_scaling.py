"""A larger patch of the same membrane (`world.membrane.params.scaled`): what must stay, what does not.

Stated before measuring: with every extensive quantity ×f (depth, so area, capacitance and band volumes; every
site, carrier, molecule and proton count; pool volumes; supply and demand per patch) the steady Δψ, the redox
fractions and the OCR per default patch stay what they were, and Δψ's standard deviation falls as 1/√f.
Measured (docs/membrane.md, "Patch size"): under mass action (the calibration candidate) the intensive state
holds at f = 1, 2 within its errors; under the Fermi law it does not — the default patch is too small for its
cytochrome c pool (test below) — and the fluctuations shrink less than 1/√f under both laws, so only their
direction is asserted.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.params import EXTENSIVE, MembraneParams, scaled
from world.testing import CANDIDATE, FERMI_STACK

INTENSIVE = {
    "width", "n_rows", "p_rows", "cell_nm", "length_nm", "n_band_nm", "p_band_nm", "crista_length_nm",
    "crista_lumen_nm", "capacitance_uF_cm2",
    "initial_delta_psi_mV", "temperature_K", "d_proton_um2_s", "proton_access", "reach_nm", "surface_barrier_kT",
    "d_quinone_um2_s", "d_cytc_um2_s", "carrier_reach_nm", "ph_n0", "ph_p0", "buffer_n_mM_per_pH",
    "buffer_p_mM_per_pH", "c_ring", "k_complex1", "k_complex2", "k_complex3", "k_complex4", "k_rotor",
    "k_exchanger", "k_ant", "k_pi_carrier", "k_leak", "kinetics", "site_events", "km_nad", "km_succ", "km_q",
    "km_cytc", "nadh_fraction", "succ_fraction", "o2_uM", "supply_km_fraction", "supply_law", "dh_ratio",
    "transport", "ant_km_adp_uM", "ant_km_atp_uM", "pic_km_uM", "atp_standard", "atp_ph_m", "atp_ph_c", "mg_free_mM",
    "k_free_mM", "o2_standard",
}  # fmt: skip
"""Fields that must not grow with the patch (every field is one or the other; a new field needs a decision)."""


def test_every_field_is_declared_extensive_or_intensive() -> None:
    names = {f.name for f in fields(MembraneParams)}
    assert set(EXTENSIVE) | INTENSIVE == names
    assert not set(EXTENSIVE) & INTENSIVE


def test_scaled_multiplies_the_extensive_fields_only() -> None:
    kw = scaled(3, n_complex1=5, k_rotor=700.0, kinetics="mass_action")
    p, d = MembraneParams(**kw), MembraneParams()
    assert p.n_complex1 == 15 and p.k_rotor == 700.0 and p.kinetics == "mass_action"
    assert p.n_synthase == 3 * d.n_synthase and p.depth_nm == 3 * d.depth_nm and p.width == d.width
    assert p.capacitance_F == pytest.approx(3 * d.capacitance_F, rel=1e-12)
    assert p.buffer_n == pytest.approx(3 * d.buffer_n, rel=1e-12)
    assert scaled(1) == dict.fromkeys(EXTENSIVE) | {k: getattr(d, k) for k in EXTENSIVE}
    for bad in (0, 1.5, True, -2):
        with pytest.raises(ValueError, match=r"^f\(="):
            scaled(bad)
    with pytest.raises(ValueError, match="unknown"):
        scaled(2, n_complexes=3)


def _window(f: int, seed: int, world: dict, dt: float, demand: float, t: tuple[float, float]) -> dict[str, float]:
    """Window means of one world `f` default patches large at an ATP demand per default patch: Δψ (and its
    standard deviation over time), reduced cytochrome c and NADH fractions, OCR per default patch."""
    run = Run(seed)
    w = MembraneWorld(run, dt=dt, **scaled(f, atp_demand=demand, **world))
    run.drive(w, w.dt)
    run.run_until(t[0])
    pool = w.pool
    rows: list[tuple[float, float, float]] = []

    def sample() -> None:
        rows.append(
            (w.delta_psi_mV, pool["cred"] / (pool["cred"] + pool["cox"]), pool["nadh"] / (pool["nadh"] + pool["nad"]))
        )

    run.every(0.025, sample, start=t[0])
    o0 = w.counters["o2_consumed"]
    run.run_until(t[1])
    a = np.array(rows)
    n_o2 = w.counters["o2_consumed"] - o0
    return {"psi": a[:, 0].mean(), "psi_sd": a[:, 0].std(), "cytc": a[:, 1].mean(), "nadh": a[:, 2].mean(),
            "ocr": n_o2 / (t[1] - t[0]) / f, "ocr_se": np.sqrt(n_o2) / (t[1] - t[0]) / f}  # fmt: skip


def _means(f: int, seeds: range, **kw) -> dict[str, tuple[float, float]]:
    """Mean over seeds and its standard error, per observable (OCR's error from the Poisson counts)."""
    ws = [_window(f, s, **kw) for s in seeds]
    out = {k: (float(np.mean([w[k] for w in ws])), float(np.std([w[k] for w in ws], ddof=1) / np.sqrt(len(ws))))
           for k in ("psi", "psi_sd", "cytc", "nadh")}  # fmt: skip
    out["ocr"] = (float(np.mean([w["ocr"] for w in ws])), float(np.hypot.reduce([w["ocr_se"] for w in ws]) / len(ws)))
    return out


def _close(a: tuple[float, float], b: tuple[float, float], z: float = 3.0) -> bool:
    return abs(a[0] - b[0]) <= z * np.hypot(a[1], b[1])


def test_under_mass_action_a_larger_patch_keeps_the_intensive_state() -> None:
    """The limit where size must not matter: the calibration candidate at 1 and 2 default patches (demand 150
    ATP/s per default patch, 3 seeds each, 4 s after 4 s): Δψ, reduced cytochrome c, NADH and OCR per default
    patch agree within 3 standard errors, and Δψ fluctuates less in the larger patch."""
    kw = {"world": CANDIDATE, "dt": 4e-4, "demand": 150.0, "t": (4.0, 8.0)}
    one, two = _means(1, range(1, 4), **kw), _means(2, range(1, 4), **kw)
    for key in ("psi", "cytc", "nadh", "ocr"):
        assert _close(one[key], two[key]), (key, one[key], two[key])
    assert two["psi_sd"][0] < one["psi_sd"][0], (one["psi_sd"], two["psi_sd"])


def test_under_the_fermi_law_the_default_patch_is_too_small() -> None:
    """Where size matters (measured first, then traced to its cause): under the Fermi law complexes III and IV
    drain the carriers, so the default patch holds on average ≈ 0.2 QH₂ and ≈ 1 reduced cytochrome c, and a
    move's rate follows the exact count form of its ΔG, which for a nearly empty pool is not the large-pool
    limit. A 4× patch runs ≈ 3 mV higher in Δψ (demand 300 ATP/s per default patch, 3 seeds, 3 s after 4 s);
    four times the quinones alone, in the default patch, make most of that difference (measured +2.5 mV, cyt c
    ×4 alone +1 mV). Asserted: both rises beyond 3 standard errors; NADH and OCR per default patch unchanged.
    The worlds are the pre-recalibration defaults this was measured on (`FERMI_STACK`: the Fermi law, one move
    per step, the lumped exchanger and the first constants), named explicitly now that the defaults are mass
    action."""
    kw = {"dt": 1e-3, "demand": 300.0, "t": (4.0, 7.0)}
    seeds = range(1, 4)
    one, four = _means(1, seeds, world=FERMI_STACK, **kw), _means(4, seeds, world=FERMI_STACK, **kw)
    quinones = _means(1, seeds, world={**FERMI_STACK, "n_quinone": 160}, **kw)
    for bigger in (four, quinones):
        rise = bigger["psi"][0] - one["psi"][0]
        assert rise > 3 * np.hypot(one["psi"][1], bigger["psi"][1]), (one["psi"], bigger["psi"])
    assert _close(one["nadh"], four["nadh"]) and _close(one["ocr"], four["ocr"]), (one, four)


SHORT = {
    "respiratory_control": {"adp_pulse": 1200, "state3_delay": 0.2, "state4_window": 0.5, "t_end": 3.0,
                            "t_pulse": 1.5, "window": 0.5},
    "demand_titration": {"levels": (600.0,), "warmup": 0.5, "hold": 1.0, "window": 0.8},
    "mito_stress_test": {"warmup": 0.8, "phase": 0.3, "window": 0.2, "oligomycin_phase": 0.3,
                         "oligomycin_window": 0.2},
    "c_ring": {"rings": (8, 12), "warmup": 0.5, "window": 0.5},
    "inhibitors": {"warmup": 0.5, "after": 0.2, "window": 0.2, "oligomycin_window": 0.2},
    "localized_coupling": {"barriers": (0.0,), "settle": 0.4, "state4_window": 0.4, "warmup": 0.4, "window": 0.4},
    "control_analysis": {"levels": (600.0,), "replicates": 2, "settle": 0.3, "steps": ("leak", "demand"),
                         "warmup": 0.2, "window": 0.3},
}  # fmt: skip
"""Short protocols of every scenario that takes `patch`; the first three build one world (metrics per world)."""


@pytest.mark.parametrize("name", sorted(SHORT))
def test_patch_scales_the_world_and_the_protocols_amounts(tmp_path, name: str) -> None:
    """``patch=2`` builds every world from `scaled` and gives the protocol's amounts per default patch: the run
    reduces about twice the O₂ (``o2_reduced`` trace rows, within 25 %: short windows); for the one-world
    scenarios the adenine pool (ATP + ADP, conserved; with respiratory_control's ADP pulse) is exactly twice as
    large and Δψ, intensive, stays within 6 mV (mean of the last ten samples)."""
    from scenarios.runner import execute

    res = {}
    for patch in (1, 2):
        out = tmp_path / f"p{patch}"
        r = execute(name, out, seed=3, overrides={**SHORT[name], "patch": patch})
        assert r["params"]["patch"] == patch
        trace = pd.read_parquet(out / "trace.parquet", columns=["kind", "value"])
        res[patch] = {"o2": trace.loc[trace["kind"] == "o2_reduced", "value"].sum()}
        if name in ("respiratory_control", "demand_titration", "mito_stress_test"):
            m = pd.read_parquet(out / "metrics.parquet")
            wide = m.pivot_table(index="t", columns="metric", values="value", observed=True)
            res[patch]["psi"] = wide["delta_psi_mV"].iloc[-10:].mean()
            res[patch]["adenine"] = wide["atp"].iloc[-1] + wide["adp"].iloc[-1]
    assert 1.5 < res[2]["o2"] / res[1]["o2"] < 2.5, res
    if "adenine" in res[1]:
        assert res[2]["adenine"] == 2 * res[1]["adenine"], res
        assert abs(res[2]["psi"] - res[1]["psi"]) < 6.0, res
