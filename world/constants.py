"""Physical constants (CODATA 2018 exact values) and derived helpers used by both worlds.

Key names: `F`, `R`, `K_B`, `E_CHARGE`, `N_A`, `T_DEFAULT`, `LN2`, `LN10`, `rt_over_f_mV`, `nernst_mV_per_pH`,
`landauer_J_per_bit`; electron-transport stoichiometry `ETC_H_RELEASED_P`, `ETC_H_TAKEN_N`, `ETC_CHARGES`,
`ETC_ELECTRONS`, `ATP_PER_TURN`, `C_RING_RANGE`. Figures and sources are in the bioenergetics reference of
the design notes.
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


# --- membrane world: electron-transport-chain stoichiometry per 2 electrons (reference table;
# Biochem Mol Biol Educ 2002 doi:10.1002/bmb.2002.494030060133; Beard-lab n_C1/n_C3/n_C4 = 4/2/4).
# Keys are the complex numbers I..IV. `analysis` reads these to rebuild counters from the trace.
ETC_H_RELEASED_P: dict[int, int] = {1: 4, 2: 0, 3: 4, 4: 2}
"""H⁺ released on the P side per 2 e⁻ by complex I, II, III, IV."""
ETC_H_TAKEN_N: dict[int, int] = {1: 6, 2: 2, 3: 2, 4: 4}
"""H⁺ taken from the N side per 2 e⁻ (I: 4 pumped + 2 into QH₂, one of which NADH itself supplied)."""
ETC_CHARGES: dict[int, int] = {1: 4, 2: 0, 3: 2, 4: 4}
"""Elementary charges moved N → P across the membrane per 2 e⁻."""
ETC_ELECTRONS: int = 2
"""Electrons per turnover of any complex (one 'redox' trace row)."""
ATP_PER_TURN: int = 3
"""ATP per full turn of the F₁ rotor (three catalytic β sites)."""
C_RING_RANGE: tuple[int, int] = (8, 15)
"""Allowed c-ring sizes (n H⁺ per full turn): bovine 8 … reported maximum 15."""
