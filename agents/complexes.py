"""Membrane sites and the respiratory complexes I–IV: each class declares its stoichiometry once.

Key names: `Stoich`, `MembraneSite`, `SiteGroup`, `ComplexI`, `ComplexII`, `ComplexIII`, `ComplexIV`,
`COMPLEX_CLASSES`.

A site class is a Mesa `FixedAgent` placed in a membrane cell of the world's grid; its state (position along the
membrane in nm, per-site memory such as a rotor's angle) lives in the numpy arrays of its `SiteGroup` (structure of
arrays), so the world moves every site of a class in one vectorised pass (`world.membrane.moves`). Everything the
pass needs comes from the class's one declaration, `stoich` — the forward move per event (the backward move is its
negative): elementary charges moved N → P, free protons gained by each side, molecules changed, half O₂ reduced.
From it follow the free energy of the move, the protons each direction must find at its mouths (those a side
loses), the carriers it must find within reach (oxidised / reduced Q and cytochrome c it consumes) and the pools it
draws on. One turnover of a complex moves 2 electrons. Forward, per the reference table (H⁺ released on P / taken
from N / charges):

* I:   NADH + Q → NAD⁺ + QH₂; NADH's own proton is produced into N, then 4 N → P (pumped) and 2 N → QH₂. 4/6/4.
* II:  succinate + Q → fumarate + QH₂; 2 protons produced into N, 2 N → QH₂. 0/2/0.
* III: QH₂ + 2 c³⁺ → Q + 2 c²⁺; QH₂'s 2 protons → P and 2 N → P (Q cycle). 4/2/2.
* IV (half of ½O₂ reduction per turnover): 2 c²⁺ → 2 c³⁺; 2 N → P (pumped), 2 N → bound in the O₂
  intermediate; every second turnover the 4 bound protons and O₂ become water (``o2_reduced``). 2/4/4.

Rates: ``k = k_max / (1 + exp(ΔG/kT))`` per direction (`world.thermo.fermi_rates`), ΔG being the free-energy change
of the whole move with the protons at the site's mouths (see docs/membrane.md), so k₊/k₋ = exp(−ΔG/kT).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from mesa.discrete_space import FixedAgent

if TYPE_CHECKING:
    from world.membrane.model import MembraneWorld

CARRIER_STATES = ("q", "qh2", "cox", "cred")
"""Pool species that are carrier molecules with positions (a move must find them within reach)."""


@dataclass(frozen=True)
class Stoich:
    """One forward move of a site class (per event); the backward move is its negative.

    Attributes:
        dq: elementary charges moved N → P.
        dn_n, dn_p: free protons gained by the N and the P side.
        mols: ``((species, change), ...)`` of the world's pools.
        o2_halves: half O₂ molecules reduced to water.
    """

    dq: int
    dn_n: int
    dn_p: int
    mols: tuple[tuple[str, int], ...] = ()
    o2_halves: int = 0

    def take(self, direction: int) -> tuple[int, int]:
        """Free protons a move in `direction` must take from the (N, P) mouths."""
        return max(0, -direction * self.dn_n), max(0, -direction * self.dn_p)

    def give(self, direction: int) -> tuple[int, int]:
        """Free protons a move in `direction` releases at the (N, P) mouths."""
        return max(0, direction * self.dn_n), max(0, direction * self.dn_p)

    def consumes(self, direction: int) -> tuple[tuple[str, int], ...]:
        """Species (and how many) a move in `direction` uses up."""
        return tuple((m, -direction * d) for m, d in self.mols if direction * d < 0)

    def signed(self, direction: int) -> tuple[int, int, int, tuple[tuple[str, int], ...], int]:
        """(dq, dn_n, dn_p, mols, o2_halves) of a move in `direction`."""
        s = direction
        return s * self.dq, s * self.dn_n, s * self.dn_p, tuple((m, s * d) for m, d in self.mols), s * self.o2_halves


class SiteGroup:
    """All sites of one class: positions and per-site state as arrays, plus their agents (handles).

    Attributes:
        cls: the site class.
        x_nm: position of every site along the membrane (nm).
        agents: the Mesa agents, in the order of `x_nm`.
        state: per-site arrays the class needs (``"position"``, ``"steps"``, ``"atp"`` for synthases, ``"half"``
            and ``"held"`` for complex IV).
    """

    def __init__(self, cls: type[MembraneSite], x_nm: np.ndarray) -> None:
        self.cls = cls
        self.x_nm = np.asarray(x_nm, dtype=np.float64)
        self.agents: list[MembraneSite] = []
        self.state: dict[str, np.ndarray] = cls.initial_state(self.x_nm.size)

    @property
    def size(self) -> int:
        """Number of sites."""
        return int(self.x_nm.size)

    @property
    def uid(self) -> np.ndarray:
        """Mesa ``unique_id`` of every site."""
        return np.array([a.unique_id for a in self.agents], dtype=np.int64)


class MembraneSite(FixedAgent):
    """A site in a membrane cell that makes reversible transitions (a handle into its `SiteGroup`).

    Subclasses declare `stoich`, `k_param` (name of the rate parameter), `rate_law` (``"fermi"`` or
    ``"barrier"``), `number` (the trace's ``layer`` for complexes) and `kind` (trace kind of their proton rows).
    """

    stoich: ClassVar[Stoich]
    k_param: ClassVar[str] = ""
    rate_law: ClassVar[str] = "fermi"
    number: ClassVar[int] = 0

    def __init__(self, model: MembraneWorld, group: SiteGroup, index: int) -> None:
        super().__init__(model)
        self.group = group
        self.index = index

    @classmethod
    def initial_state(cls, n: int) -> dict[str, np.ndarray]:
        """Per-site state arrays of a group of `n` sites (none by default)."""
        return {}

    @classmethod
    def rate_dG(cls, world: MembraneWorld, direction: int) -> float | None:
        """Free-energy change (J) from the compartments' totals that sets the rate of a move in `direction`;
        None if the totals make it impossible."""
        dq, dn_n, dn_p, mols, o2 = cls.stoich.signed(direction)
        if not world.state.possible(dn_n, dn_p, mols):
            return None
        return sum(world.state.event_dG(dq, dn_n, dn_p, mols, o2))

    @property
    def x_nm(self) -> float:
        """Position along the membrane (nm)."""
        return float(self.group.x_nm[self.index])

    @property
    def x(self) -> int:
        """Lattice column of the site."""
        return int(self.x_nm // self.model.params.cell_nm)


class ComplexI(MembraneSite):
    """NADH:ubiquinone oxidoreductase (4 H⁺ pumped, 4 charges per 2 e⁻); blocked by rotenone."""

    stoich = Stoich(4, -5, 4, (("nadh", -1), ("nad", 1), ("q", -1), ("qh2", 1)))
    k_param = "k_complex1"
    number = 1


class ComplexII(MembraneSite):
    """Succinate dehydrogenase (no pumping, no charge): its 2 protons pass through N into QH₂."""

    stoich = Stoich(0, 0, 0, (("succ", -1), ("fum", 1), ("q", -1), ("qh2", 1)))
    k_param = "k_complex2"
    number = 2


class ComplexIII(MembraneSite):
    """Cytochrome bc₁ (Q cycle): 4 H⁺ released on P, 2 taken from N, 2 charges; blocked by antimycin A."""

    stoich = Stoich(2, -2, 4, (("qh2", -1), ("q", 1), ("cox", -2), ("cred", 2)))
    k_param = "k_complex3"
    number = 3


class ComplexIV(MembraneSite):
    """Cytochrome c oxidase, one turnover = 2 e⁻ = half an O₂; blocked by cyanide.

    Per site, ``half`` is True after an odd number of net turnovers (the site then holds 2 electrons and the 2
    proton equivalents ``held`` in its O₂ intermediate); the next turnover turns those and 2 more into water.
    """

    stoich = Stoich(4, -4, 2, (("cred", -2), ("cox", 2)), 1)
    k_param = "k_complex4"
    number = 4

    @classmethod
    def initial_state(cls, n: int) -> dict[str, np.ndarray]:
        """``half`` (bool) and ``held`` (2 proton indices, −1 if none) per site."""
        return {"half": np.zeros(n, dtype=bool), "held": np.full((n, 2), -1, dtype=np.int64)}

    @property
    def bound(self) -> np.ndarray:
        """Proton equivalents held in the O₂ intermediate (0 or 2)."""
        return self.group.state["held"][self.index][: 2 * int(self.group.state["half"][self.index])]


COMPLEX_CLASSES = (ComplexI, ComplexII, ComplexIII, ComplexIV)
