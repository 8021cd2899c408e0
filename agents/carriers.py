"""Electron carriers: ubiquinone in the membrane and cytochrome c on the P surface, plus substrate supply.

Key names: `CarrierPool`, `Quinone`, `CytochromeC`, `SubstrateSupply`.

Carriers are Mesa agents whose position and redox state live in the numpy arrays of a `CarrierPool` (structure of
arrays, like protons). Both move along the membrane (x in nm, periodic) by exact Brownian steps, N(0, 2·D·dt):
ubiquinone laterally in the inner membrane (`d_quinone_um2_s`), cytochrome c along the P surface, to which it
binds electrostatically (`d_cytc_um2_s`). A complex reacts only with carriers in its reach (the same stretch of
membrane, `carrier_reach_nm`), so which molecule carries an electron is tracked and carrier diffusion limits
encounter; the carriers' redox potentials (Nernst) use the pool counts. A reduced quinone (QH₂) holds the indices
of the two proton equivalents it carries (lattice compartment ``BOUND``).

NADH/NAD⁺ and succinate/fumarate are matrix pools of counts in the world's state; `SubstrateSupply` (the
citric-acid-cycle dehydrogenases) reduces them at ``supply · S_ox / (S_ox + K)`` with ``K = supply_km_fraction ·
pool total`` (Poisson events per step) — an irreversible source outside the chain. Each NADH supplied releases one
proton into the matrix. Trace: ``nadh_supplied`` / ``succinate_supplied`` (value = molecules) and one
``h_produced`` row per proton.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from world.membrane.model import MembraneWorld


class CarrierPool:
    """Positions (nm along the membrane) and redox states of one kind of carrier; all start oxidised.

    Args:
        n: number of molecules.
        length_nm: membrane length (periodic).
        rng: the run's generator.
        bound_protons: keep two proton indices per reduced molecule (quinones).
    """

    def __init__(self, n: int, length_nm: float, rng: np.random.Generator, bound_protons: bool = False) -> None:
        self.length_nm = length_nm
        self.rng = rng
        self.x_nm = rng.uniform(0.0, length_nm, size=n)
        self.red = np.zeros(n, dtype=bool)
        self.h = np.full((n, 2), -1, dtype=np.int64) if bound_protons else None

    def diffuse(self, d_um2_s: float, dt: float) -> None:
        """One exact Brownian step along the membrane for every molecule: N(0, 2·D·dt), periodic."""
        if self.x_nm.size and d_um2_s > 0:
            sigma = float(np.sqrt(2.0 * d_um2_s * dt)) * 1e3
            self.x_nm = np.mod(self.x_nm + self.rng.standard_normal(self.x_nm.size) * sigma, self.length_nm)

    def reshuffle(self, rng: np.random.Generator) -> None:
        """Put every molecule at a uniformly random place of the membrane, drawn from `rng`."""
        self.x_nm = rng.uniform(0.0, self.length_nm, size=self.x_nm.size)

    @property
    def n_red(self) -> int:
        """Number of reduced molecules."""
        return int(self.red.sum())


class Quinone(mesa.Agent):
    """Handle of one ubiquinone molecule (state and position in `world.quinones`)."""

    def __init__(self, model: MembraneWorld, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def reduced(self) -> bool:
        """True for QH₂."""
        return bool(self.model.quinones.red[self.index])

    @property
    def x_nm(self) -> float:
        """Position along the membrane (nm)."""
        return float(self.model.quinones.x_nm[self.index])


class CytochromeC(mesa.Agent):
    """Handle of one cytochrome c molecule (state and position in `world.cytc`)."""

    def __init__(self, model: MembraneWorld, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def reduced(self) -> bool:
        """True for c²⁺."""
        return bool(self.model.cytc.red[self.index])

    @property
    def x_nm(self) -> float:
        """Position along the membrane (nm)."""
        return float(self.model.cytc.x_nm[self.index])


class SubstrateSupply(mesa.Agent):
    """Citric-acid-cycle dehydrogenases (see the module docstring); `nadh` and `succinate` in molecules/s."""

    def __init__(self, model: MembraneWorld, nadh: float, succinate: float) -> None:
        super().__init__(model)
        self.nadh = nadh
        self.succinate = succinate
