"""Gradients and order: each world's gradient in its own units and a normalised order parameter φ ∈ [0, 1].

Key names: `pmf_kJ_per_mol`, `pmf_max_mV`, `phi_membrane`, `phi_attention`.

φ is 0 at the world's equilibrium and 1 at its maximum:
- membrane: φ = Δp / Δp_max. Equilibrium is Δp = 0 (no gradient). Δp_max is the stall potential of the
  fully coupled chain: the redox free energy of one turnover spread over the charges it moves,
  Δp_max = ΔG_redox / (n_charges · F); NADH → O₂ (2·F·1.136 V ≈ 219 kJ/mol, 10 charges) gives ≈ 227 mV.
- attention: φ = 1 − excess / excess₀, where excess = cross-entropy − entropy rate and excess₀ = ln V − h is
  the excess of the untrained, uniform predictor (maximum entropy: the attention world's equilibrium).
  φ = 1 when the model predicts at the entropy-rate floor; it is the fraction of learnable bits learnt.
Values are clipped to [0, 1] (a noisy sample can fall slightly outside).
"""

from __future__ import annotations

import numpy as np

from world.constants import F

E_NADH_V = -0.320
E_O2_V = 0.816


def pmf_kJ_per_mol(pmf_mV: np.ndarray | float) -> np.ndarray | float:
    """F·Δp: the free energy of moving one mole of H⁺ down the gradient, kJ/mol."""
    return F * np.asarray(pmf_mV, dtype=np.float64) / 1e6


def pmf_max_mV(delta_E_V: float = E_O2_V - E_NADH_V, electrons: int = 2, charges: int = 10) -> float:
    """Stall potential of a fully coupled chain: n_e·ΔE / n_charges, in mV (≈ 227 mV for NADH → O₂)."""
    if charges <= 0 or electrons <= 0:
        raise ValueError("electrons and charges must be > 0")
    return 1e3 * electrons * delta_E_V / charges


def phi_membrane(pmf_mV: np.ndarray, pmf_max: float | None = None) -> np.ndarray:
    """Order parameter of the membrane: Δp / Δp_max, clipped to [0, 1]."""
    top = pmf_max_mV() if pmf_max is None else pmf_max
    return np.clip(np.asarray(pmf_mV, np.float64) / top, 0.0, 1.0)


def phi_attention(excess_loss_nats: np.ndarray, vocab: int, entropy_rate_nats: float) -> np.ndarray:
    """Order parameter of the attention world: 1 − excess / (ln V − h), clipped to [0, 1]."""
    excess0 = np.log(vocab) - entropy_rate_nats
    if excess0 <= 0:
        raise ValueError(f"entropy rate {entropy_rate_nats} leaves nothing to learn for V={vocab}")
    return np.clip(1.0 - np.asarray(excess_loss_nats, np.float64) / excess0, 0.0, 1.0)
