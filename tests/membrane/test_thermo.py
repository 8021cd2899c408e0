"""Thermodynamics: detailed balance of the rate laws, exact state functions, and the synthase stall."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.clock import Run
from world.constants import E_CHARGE, K_B, N_A, T_DEFAULT, F
from world.membrane import MembraneWorld
from world.membrane.thermo import (
    barrier_rates,
    count_dG_J,
    delta_psi_mV,
    elec_dG_J,
    event_probabilities,
    fermi_rates,
    saturable_rates,
    shifted_rates,
)

KT = K_B * T_DEFAULT


@settings(deadline=None)
@given(dg=st.floats(-40, 40), k=st.floats(1e-3, 1e4), law=st.sampled_from([fermi_rates, barrier_rates]))
def test_rate_laws_obey_local_detailed_balance(dg: float, k: float, law) -> None:
    """For a move with ΔG and its reverse with −ΔG, k₊/k₋ = exp(−ΔG/kT) for both rate laws."""
    kf, _ = law(k, dg * KT, None, KT)
    _, kb = law(k, None, -dg * KT, KT)
    assert math.isclose(kf / kb, math.exp(-dg), rel_tol=1e-9)


@settings(max_examples=200)
@given(
    dg=st.floats(-30, 30),
    shifts=st.lists(st.floats(-10, 10), min_size=1, max_size=6),
    k=st.floats(1e-2, 1e3),
    law=st.sampled_from(["fermi", "barrier", "saturable"]),
    counts=st.tuples(st.integers(2, 400), st.integers(0, 400)),
)
def test_shifted_rates_are_the_scalar_laws_site_by_site(dg, shifts, k, law, counts) -> None:
    """The array form used for per-site (local) rates gives, at every site, exactly what the scalar law gives for
    that site's shifted ΔG (forward ΔG + shift, backward −ΔG − shift), so each site keeps k₊/k₋ = exp(−ΔG_site/kT);
    with a zero shift that is the class's own rate pair."""
    kT = K_B * T_DEFAULT
    couples = ((counts[0], counts[1], 1, 40.0),) if law == "saturable" else None
    shift = np.array(shifts) * kT
    kf, kb = shifted_rates("barrier" if law == "barrier" else "fermi", k, dg * kT, -dg * kT, shift, kT, couples)
    for i, s_J in enumerate(shift.tolist()):
        f, b = dg * kT + s_J, -dg * kT - s_J
        if couples is not None:
            want = saturable_rates(k, f, b, kT, couples)
        else:
            want = (barrier_rates if law == "barrier" else fermi_rates)(k, f, b, kT)
        assert kf[i] == pytest.approx(want[0], rel=1e-12, abs=1e-300)
        assert kb[i] == pytest.approx(want[1], rel=1e-12, abs=1e-300)
    none_f, none_b = shifted_rates("fermi", k, None, -dg * kT, shift, kT)
    assert not none_f.any() and none_b.all()


@given(kf=st.floats(1e-3, 1e4), kb=st.floats(1e-3, 1e4), dt=st.floats(1e-6, 1e-2))
def test_step_probabilities_keep_the_rate_ratio(kf: float, kb: float, dt: float) -> None:
    """Per-step forward and backward probabilities keep the exact ratio k₊/k₋ at any dt."""
    p, pf = event_probabilities(kf, kb, dt)
    assert 0 < p <= 1
    assert math.isclose((p * pf) / (p * (1 - pf)), kf / kb, rel_tol=1e-9)


@given(n=st.integers(0, 10_000), dn=st.integers(-50, 50))
def test_count_free_energy_is_exactly_antisymmetric(n: int, dn: int) -> None:
    """Adding dn molecules and removing them again changes the free energy by exactly opposite amounts."""
    if n + dn < 0:
        return
    fwd = count_dG_J(n, dn, 1e-20, KT, 18.0)
    back = count_dG_J(n + dn, -dn, 1e-20, KT, 18.0)
    assert math.isclose(fwd, -back, rel_tol=1e-12, abs_tol=1e-30)


def test_capacitor_energy_is_the_integral_of_the_potential() -> None:
    """Moving q charges one by one costs Σ e·Δψ at mid-step, equal to the exact capacitor energy change."""
    c = 1.8e-15
    total = sum(elec_dG_J(q, 1, c) for q in range(2000))
    mid = sum(E_CHARGE * 1e-3 * delta_psi_mV(q + 0.5, c) for q in range(2000))
    assert math.isclose(total, mid, rel_tol=1e-12)


def test_capacitance_gives_about_62_charges_per_mV_per_um2() -> None:
    """At 1 µF/cm², 1 mV takes ≈ 62 elementary charges per µm² of membrane (the reference figure)."""
    world = MembraneWorld(Run(0))
    per_mv_um2 = 1e-3 * world.params.capacitance_F / E_CHARGE / (world.params.area_m2 * 1e12)
    assert per_mv_um2 == pytest.approx(62.4, abs=0.2)


def _stall_run(pmf_mV: float, n: int, seed: int) -> int:
    """Net ATP made in 0.6 s by synthases alone at a fixed Δψ (huge capacitance) and near-fixed pools."""
    run = Run(seed)
    world = MembraneWorld(
        run,
        c_ring=n,
        n_complex1=0,
        n_complex2=0,
        n_complex3=0,
        n_complex4=0,
        n_leak=0,
        n_exchanger=0,
        n_synthase=6,
        capacitance_uF_cm2=1e5,
        initial_delta_psi_mV=pmf_mV,
        buffer_n_mM_per_pH=1e5,
        buffer_p_mM_per_pH=1e5,
        matrix_volume_aL=300.0,
        atp_m=300_000,
        adp_m=100_000,
        pi_m=1_800_000,
    )
    run.drive(world, world.dt)
    run.run_until(0.6)
    return int(world.counters["atp_made"])


@pytest.mark.parametrize("n", [8, 14])
def test_synthase_reverses_where_n_over_3_F_dp_equals_dG_atp(n: int) -> None:
    """With pumps off and pools held, net synthesis changes sign at (n/3)·F·Δp = ΔG_ATP (±15 mV)."""
    probe = MembraneWorld(Run(0), matrix_volume_aL=300.0, atp_m=300_000, adp_m=100_000, pi_m=1_800_000)
    dg_atp = probe.dg_atp_kJ_per_mol("matrix") * 1e3
    stall_mV = 1e3 * 3 * dg_atp / (n * F)
    assert _stall_run(stall_mV - 15.0, n, 1) < 0
    assert _stall_run(stall_mV + 15.0, n, 2) > 0
    assert dg_atp / N_A > 0
