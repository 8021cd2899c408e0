"""Efficiency of both engines, side by side with units.

Key names: `membrane_efficiency`, `atp_free_energy_J`, `redox_free_energy_J`, `attention_flops`,
`bits_per_flop`, `landauer_J`.

Membrane: free energy stored in ATP over the redox free energy spent (dimensionless, ≤ 1 by the second law).
Attention: bits of next-token uncertainty removed per floating-point operation spent, and the Landauer bound
k_B·T·ln 2 per bit at the run's temperature, which is the least heat any physical computer must dissipate to
erase that many bits.
"""

from __future__ import annotations

from analysis.order import E_NADH_V, E_O2_V
from world.constants import K_B, LN2, N_A, T_DEFAULT, F


def atp_free_energy_J(atp_made: float, dG_atp_kJ_per_mol: float) -> float:
    """Free energy stored in `atp_made` molecules at ΔG_ATP (kJ/mol), in joules."""
    return atp_made * dG_atp_kJ_per_mol * 1e3 / N_A


def redox_free_energy_J(electrons: float, delta_E_V: float = E_O2_V - E_NADH_V) -> float:
    """Free energy released by `electrons` falling through ΔE volts (NADH → O₂ by default), in joules."""
    return electrons * delta_E_V * F / N_A


def membrane_efficiency(atp_made: float, dG_atp_kJ_per_mol: float, electrons_to_o2: float,
                        delta_E_V: float = E_O2_V - E_NADH_V) -> float:  # fmt: skip
    """Thermodynamic efficiency ΔG stored in ATP / ΔG released by electron transport (NaN with no electrons)."""
    spent = redox_free_energy_J(electrons_to_o2, delta_E_V)
    return atp_free_energy_J(atp_made, dG_atp_kJ_per_mol) / spent if spent > 0 else float("nan")


def attention_flops(vocab: int, d_model: int, layers: int, context: int, mlp_hidden: int = 0) -> dict[str, float]:
    """Multiply-adds ×2 of one token's forward pass with a KV cache, and of one training token (≈ 3× forward).

    Counts the matrix products only: QKV and output projections (4·d² per layer), scores and weighted sum over
    `context` positions (2·context·d per layer), the MLP (2·d·hidden per layer) and the unembedding (d·V).
    """
    per_layer = 4 * d_model * d_model + 2 * context * d_model + 2 * d_model * mlp_hidden
    forward = 2.0 * (layers * per_layer + d_model * vocab)
    return {"forward_per_token": forward, "train_per_token": 3.0 * forward}


def bits_per_flop(bits_saved: float, flops: float) -> float:
    """Bits of uncertainty removed per floating-point operation."""
    return bits_saved / flops if flops > 0 else float("nan")


def landauer_J(bits: float, T: float = T_DEFAULT) -> float:
    """Least heat to erase `bits` at temperature T: bits·k_B·T·ln 2, in joules."""
    if T <= 0:
        raise ValueError(f"T(={T}) must be > 0")
    return bits * K_B * T * LN2
