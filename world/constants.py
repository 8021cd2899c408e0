"""Physical constants (CODATA 2018 exact values) and derived helpers used by both worlds.

Key names: `F`, `R`, `K_B`, `E_CHARGE`, `N_A`, `T_DEFAULT`, `LN2`, `rt_over_f_mV`, `nernst_mV_per_pH`,
`landauer_J_per_bit`. Figures and sources are in the bioenergetics reference of the design notes.
"""

import math

F: float = 96485.33212
"""Faraday constant, C/mol."""
R: float = 8.314462618
"""Molar gas constant, J/(mol·K)."""
K_B: float = 1.380649e-23
"""Boltzmann constant, J/K."""
E_CHARGE: float = 1.602176634e-19
"""Elementary charge, C."""
N_A: float = 6.02214076e23
"""Avogadro constant, 1/mol."""
T_DEFAULT: float = 310.15
"""Default temperature, K (37 °C)."""
LN2: float = math.log(2.0)
LN10: float = math.log(10.0)


def rt_over_f_mV(T: float = T_DEFAULT) -> float:
    """RT/F in millivolts (26.73 mV at 310.15 K)."""
    return 1e3 * R * T / F


def nernst_mV_per_pH(T: float = T_DEFAULT) -> float:
    """2.303·RT/F in millivolts per pH unit (61.54 mV at 310.15 K)."""
    return LN10 * rt_over_f_mV(T)


def landauer_J_per_bit(T: float = T_DEFAULT) -> float:
    """Landauer's minimum energy to erase one bit, k_B·T·ln 2, in joules."""
    return K_B * T * LN2
