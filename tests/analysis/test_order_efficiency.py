"""Order parameters and efficiencies against their definitions and known figures."""

import numpy as np
import pytest

from analysis.efficiency import attention_flops, landauer_J, membrane_efficiency, redox_free_energy_J
from analysis.order import phi_attention, phi_membrane, pmf_kJ_per_mol, pmf_max_mV


def test_pmf_free_energy_matches_reference() -> None:
    """F·Δp is 14.5 / 17.4 / 19.3 / 21.2 kJ/mol at 150 / 180 / 200 / 220 mV."""
    np.testing.assert_allclose(pmf_kJ_per_mol(np.array([150, 180, 200, 220])), [14.5, 17.4, 19.3, 21.2], atol=0.05)


def test_nadh_redox_energy_and_stall() -> None:
    """NADH → O₂ releases ≈ 219 kJ/mol per 2 e⁻; spread over 10 charges that is a ≈ 227 mV stall."""
    assert redox_free_energy_J(2 * 6.02214076e23) / 1e3 == pytest.approx(219.2, abs=0.5)
    assert pmf_max_mV() == pytest.approx(227.2, abs=0.1)


def test_phi_bounds() -> None:
    """φ is 0 at equilibrium, 1 at the maximum, clipped outside."""
    assert phi_membrane(np.array([0.0, pmf_max_mV(), 1e4])).tolist() == [0.0, 1.0, 1.0]
    h, v = 1.2, 8
    np.testing.assert_allclose(phi_attention(np.array([np.log(v) - h, 0.0]), v, h), [0.0, 1.0])


def test_efficiency_at_most_one_when_stoichiometric() -> None:
    """2.5 ATP at 45 kJ/mol per NADH (2 e⁻) stores ≈ 51 % of 219 kJ/mol."""
    assert membrane_efficiency(2.5, 45.0, 2.0) == pytest.approx(2.5 * 45 / 219.2, rel=1e-2)


def test_landauer_and_flops() -> None:
    """k_B·T·ln 2 at 310.15 K is 2.97e-21 J; the FLOP count grows linearly with context."""
    assert landauer_J(1.0) == pytest.approx(2.968e-21, rel=1e-3)
    a, b = attention_flops(8, 32, 1, 10), attention_flops(8, 32, 1, 20)
    assert b["forward_per_token"] - a["forward_per_token"] == pytest.approx(2 * 2 * 10 * 32)
