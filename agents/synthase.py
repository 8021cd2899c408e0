"""ATP synthase: an Fo c-ring rotor of n subunits coupled to three catalytic sites, reversible.

Key names: `ATPSynthase`, `atp_at_step`.

The elementary move is one c-subunit step (360/n degrees): one proton P → N (one charge). The rotor position
``s ∈ {0 … n−1}`` counts subunits; the γ shaft meets a catalytic β site every 120°, so the step s → s+1 makes
one ATP in the matrix exactly when ``⌊3(s+1)/n⌋ > ⌊3s/n⌋`` — three ATP and n protons per full turn for
any n (for n = 8 the ATP come after 3, 3 and 2 protons). Backward steps pass a proton N → P and, at the same
boundaries, hydrolyse ATP: the motor pumps when ATP's free energy exceeds (n/3)·F·Δp.

Rates (`world.membrane.thermo.fermi_rates`, k_max = `k_rotor` steps/s): the elastic γ shaft spreads the chemical work
over the steps, so each step's rate uses ``ΔG_step = ΔG(1 H⁺ across) + (3/n)·ΔG_ATP``. Over any full turn the
product of k₊/k₋ is exactly ``exp(−(n·ΔG_H⁺ + 3·ΔG_ATP)/kT)``: net synthesis stops where
(n/3)·F·Δp = ΔG_ATP and reverses beyond. The heat of each step is recorded with the step's actual free-energy
change (ATP appears on boundary steps), so it fluctuates in sign step by step but not over a turn.

Trace: ``rotor_step`` per proton (entity = proton id, value ±1, energy_J = heat, pos = column) and
``atp_made`` / ``atp_hydrolysed`` (entity = synthase id, value 1) on boundary steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from agents.complexes import MembraneSite, run_pass
from world.constants import ATP_PER_TURN
from world.membrane import kernels
from world.membrane.geometry import N_SIDE, P_SIDE
from world.membrane.moves import proton_key, site_key
from world.membrane.state import Change

if TYPE_CHECKING:
    from world.membrane import MembraneWorld

_STEP = Change(-1, 1, -1)
"""One c-subunit step forward: one proton P → N (−1 charge N → P)."""
_SYNTH = Change(mols=(("atp_m", 1), ("adp_m", -1), ("pi_m", -1)))
"""The chemistry of a boundary step forward: one ATP made in the matrix."""


_ROTOR_BATCH = Change(_STEP.dq, _STEP.dn_n, _STEP.dn_p, _SYNTH.mols)
"""A batch of c-subunit steps as one change for its energy (`kernels.synthase_pass`): the steps' protons and
charge (done once per step) and the ATP (done once per boundary step)."""

_ROTOR_CHANGES = {
    (d, boundary): Change(-d, d, -d, _SYNTH.times(d).mols if boundary else ())
    for d in (1, -1)
    for boundary in (False, True)
}
"""The change of one c-subunit step in direction d, with or without the ATP of a boundary step (`fire`)."""


def atp_at_step(s: int, n: int) -> bool:
    """True if the forward step from rotor position `s` (of `n`) crosses a 120° boundary (makes one ATP)."""
    return (ATP_PER_TURN * (s + 1)) // n > (ATP_PER_TURN * s) // n


class Rotors:
    """The rotor state of a world's synthases, one entry per site in the order of its group, as arrays (so the
    batched moves read and advance every rotor at once): ``position`` (c-subunits, 0 … n−1), ``steps`` (net
    c-subunit steps) and ``atp`` (net ATP made), all 0 at the start."""

    def __init__(self, sites: Sequence[ATPSynthase]) -> None:
        self.position = np.zeros(len(sites), dtype=np.int64)
        self.steps = np.zeros(len(sites), dtype=np.int64)
        self.atp = np.zeros(len(sites), dtype=np.int64)
        for i, site in enumerate(sites):
            site.slot = i


class _RotorView:
    """One of a synthase's rotor attributes, read and written in its row of the world's `Rotors` array of the
    same name (``site.model.rotors.<name>[site.slot]``)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, site: ATPSynthase | None, owner: type | None = None) -> Any:
        if site is None:
            return self
        return int(getattr(site.model.rotors, self.name)[site.slot])

    def __set__(self, site: ATPSynthase, value: int) -> None:
        getattr(site.model.rotors, self.name)[site.slot] = value


class ATPSynthase(MembraneSite):
    """FoF1 ATP synthase with a c-ring of `world.params.c_ring` subunits; blocked by oligomycin.

    Attributes (views of the world's `Rotors` row of this site):
        position: rotor position in c-subunits (0 … n−1).
        steps: net c-subunit steps made (forward − backward); ``steps / n`` full turns.
        atp: net ATP made by this synthase; always ``floor(3·steps / n)``.
    """

    k_param = "k_rotor"
    number = 5

    slot: int
    """This site's entry in the world's `Rotors` (its index in the world's group of synthases)."""

    position = _RotorView()
    steps = _RotorView()
    atp = _RotorView()

    @classmethod
    def forward_change(cls, world: MembraneWorld) -> Change:
        """One proton P → N (−1 charge); ATP on boundary steps only (see `fire`)."""
        return _STEP

    @classmethod
    def rate_terms(cls, world: MembraneWorld) -> tuple[Change, Change | None, float]:
        """ΔG of one proton across plus 3/n of the ATP made (forward) or hydrolysed (backward)
        (`MembraneSite.rate_terms`)."""
        return _STEP, _SYNTH, ATP_PER_TURN / world.params.c_ring

    def fire(self, world: MembraneWorld, direction: int) -> bool:
        """One c-subunit step forward (+1, synthesis) or backward (−1, hydrolysis)."""
        n = world.params.c_ring
        s_from = self.position if direction > 0 else (self.position - 1) % n
        boundary = atp_at_step(s_from, n)
        change = _ROTOR_CHANGES[direction, boundary]
        src, dst = (P_SIDE, N_SIDE) if direction > 0 else (N_SIDE, P_SIDE)
        if not world.can_take(src, self.x, 1) or not world.state.possible(change):
            return False
        counts = {"rotor_steps": direction, "atp_made": direction} if boundary else {"rotor_steps": direction}
        heat = world.state.apply(change, counts)
        world.moves.transfer(src, dst, self.x, 1, "rotor_step", None, float(direction), energy_J=heat)
        self.position = (self.position + direction) % n
        self.steps += direction
        if boundary:
            self.atp += direction
            kind = "atp_made" if direction > 0 else "atp_hydrolysed"
            world.moves.emit(kind, entity_id=self.unique_id, pos=self.x, value=1.0, unit="ATP")
        return True

    @classmethod
    def accept_many(
        cls, world: MembraneWorld, members: Sequence[MembraneSite], sites: np.ndarray, ranks: np.ndarray, direction: int
    ) -> int:
        """Moves accepted in order (`MembraneSite.accept_many`): each takes one proton, and a boundary step also
        ADP and Pi (forward) or ATP (backward) in the matrix."""
        pool = world.state.pool
        if direction > 0:
            protons, chem = int(world.lattice.counts[P_SIDE]), min(pool["adp_m"], pool["pi_m"])
        else:
            protons, chem = int(world.lattice.counts[N_SIDE]), pool["atp_m"]
        # `accept` with needs (1, b, b) or (1, b): move i is accepted while i + 1 protons and the boundary steps
        # up to it are there; both cumulative needs rise, so the accepted moves are a prefix
        rotors = world.rotors
        return kernels.rotor_accept(
            sites, ranks, rotors.position, world.params.c_ring, ATP_PER_TURN, direction, protons, chem
        )

    @classmethod
    def fire_many(
        cls, world: MembraneWorld, members: Sequence[MembraneSite], sites: np.ndarray, ranks: np.ndarray, direction: int
    ) -> None:
        """Many c-subunit steps at once (`MembraneSite.fire_many`, `kernels.synthase_pass`); each site's steps
        follow on from its position."""
        xall, uall = world.site_arrays[cls]
        m = int(sites.size)
        d = direction
        mv, lat, rotors, state = world.moves, world.lattice, world.rotors, world.state
        mv.buf.n, h, b = run_pass(
            state,
            kernels.synthase_pass,
            (
                sites, ranks, ATP_PER_TURN, d, rotors.position, rotors.steps, rotors.atp, world.params.c_ring,
                lat.batch_args(), xall, uall, mv.row_args(2 * m), mv.buf.codes(_ROTOR_KEYS[d]),
            ),
            _ROTOR_BATCH,
            d * m,
            0,  # the boundary moves' count: the pass finds it
        )  # fmt: skip
        state.add(_STEP, d * m, None, 1)
        state.add(_SYNTH, d * b, {"rotor_steps": d * m, "atp_made": d * b}, 1)
        lat.batch_moved()
        if mv.transit is not None:
            key = _ROTOR_KEYS[d][0]
            mv.transit.moved(h, key[0], key[1], key[2], xall[sites], mv.t)


_ROTOR_KEYS = {
    1: (proton_key("rotor_step", "P", "N", None, 1.0, heat=True), site_key("atp_made", None, 1.0, "ATP")),
    -1: (proton_key("rotor_step", "N", "P", None, -1.0, heat=True), site_key("atp_hydrolysed", None, 1.0, "ATP")),
}
"""Trace-row signatures of a batch of c-subunit steps (`kernels.synthase_pass`), per direction."""
