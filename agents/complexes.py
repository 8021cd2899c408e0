"""Respiratory complexes I–IV: fixed membrane agents with per-2e⁻ bookkeeping, reversible.

Key names: `MembraneSite`, `ComplexI`, `ComplexII`, `ComplexIII`, `ComplexIV`, `COMPLEX_CLASSES`.

One turnover moves 2 electrons. Forward, per the reference table (H⁺ released on P / taken from N / charges):

* I:   NADH + Q → NAD⁺ + QH₂; NADH's own proton is produced into N, then 4 N → P (pumped) and 2 N → QH₂. 4/6/4.
* II:  succinate + Q → fumarate + QH₂; 2 protons produced into N, 2 N → QH₂. 0/2/0.
* III: QH₂ + 2 c³⁺ → Q + 2 c²⁺; QH₂'s 2 protons → P and 2 N → P (Q cycle). 4/2/2.
* IV (half of ½O₂ reduction per turnover): 2 c²⁺ → 2 c³⁺; 2 N → P (pumped), 2 N → bound in the O₂
  intermediate; every second turnover the 4 bound protons and O₂ become water (``o2_reduced``). 2/4/4.

Each turnover runs backward too (every move exactly undone). Rates under ``kinetics="mass_action"``
(`world.membrane.thermo.saturable_rates`): ``k₊ = k_max · σ(ΔG′) · Π a/(1 + a + b)`` per direction, one factor per
carrier couple the complex binds (`binding`: NADH/NAD⁺, succinate/fumarate, QH₂/Q, c²⁺/c³⁺), ``a`` and ``b``
being the substrate and product counts over K (``km_*`` × the couple's pool), so a complex slows as its
substrate runs short and its product accumulates; ΔG is the exact free-energy change of the whole move —
redox (Nernst, from carrier counts) + charge against Δψ + protons against the pH of each side — and
k₊/k₋ = exp(−ΔG/kT) exactly, so back-pressure from Δp emerges. ``kinetics="fermi"`` (the default until the
recalibration) is the earlier law ``k = k_max / (1 + exp(ΔG/kT))`` (`world.membrane.thermo.fermi_rates`), with the same
ΔG: full speed while one substrate molecule exists.

Trace rows per turnover: one ``redox`` row (entity = complex id, layer = complex number, value ±1, energy_J =
heat of the turnover) and one row per proton moved: ``pump`` (arrives on P, or leaves P backward; value ±1),
``h_bind`` (into/out of QH₂ or the O₂ intermediate), ``h_produced``, ``h_consumed``; IV adds ``o2_reduced``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from mesa.discrete_space import FixedAgent

from world.constants import ETC_CHARGES
from world.membrane import kernels
from world.membrane.geometry import BOUND, N_SIDE, P_SIDE
from world.membrane.moves import ProtonMoves, proton_key, site_key
from world.membrane.state import TURNOVERS, Change, ChemState, turnover_counts
from world.membrane.thermo import Couple, barrier_rates, fermi_rates, saturable_rates

if TYPE_CHECKING:
    from world.membrane import MembraneWorld


class MembraneSite(FixedAgent):
    """A Mesa `FixedAgent` in one membrane cell of the world's grid (column `x`) that makes reversible
    transitions; several sites may share a cell.

    Subclasses declare `k_param` (name of the rate parameter), `rate_law` (``"fermi"`` or ``"barrier"``),
    `binding` (the carrier couples whose occupancy scales the rate under ``kinetics="mass_action"``) and their
    stoichiometry once, `forward_change` (a `world.membrane.state.Change`, used for the rates and booked by
    `fire` through ``world.state.apply``), and implement `fire` (which molecules and protons move, and the trace
    rows); which inhibitors block a class is `world.membrane.model.INHIBITORS`.
    """

    k_param: ClassVar[str] = ""
    rate_law: ClassVar[str] = "fermi"
    binding: ClassVar[tuple[tuple[str, str, int, str], ...]] = ()
    """Binding sites for the mass-action law: (substrate, product, molecules per turnover, K parameter)."""
    number: ClassVar[int] = 0
    always_saturable: ClassVar[bool] = False
    """True for a class whose rates follow the saturable law whatever `kinetics` says (the carriers)."""

    def __init__(self, model: MembraneWorld, x: int) -> None:
        super().__init__(model)
        self.cell = model.grid[(x, model.lattice.membrane_row)]

    @property
    def x(self) -> int:
        """Membrane column: the x of the site's grid cell (a fixed agent never moves)."""
        return self.cell.coordinate[0]

    @classmethod
    def forward_change(cls, world: MembraneWorld) -> Change:
        """The state change of one forward move (the backward move is its negative)."""
        raise NotImplementedError

    @classmethod
    def saturable(cls, world: MembraneWorld) -> bool:
        """True if the class's rates follow the saturable mass-action law (`world.membrane.thermo.saturable_rates`):
        always for `always_saturable` classes, else for classes with `binding` under ``kinetics="mass_action"``."""
        return cls.always_saturable or (bool(cls.binding) and world.params.kinetics == "mass_action")

    @classmethod
    def couples(cls, world: MembraneWorld, direction: int = 1) -> tuple[Couple, ...]:
        """The binding couples for a move in `direction` as ``(n_substrate, n_product, ν, K molecules)`` from the
        pools (K = the ``km_*`` parameter × the couple's pool), in forward names."""
        pool = world.state.pool
        out = []
        for sub, prod, nu, km in cls.binding:
            total = pool[sub] + pool[prod]
            out.append((pool[sub], pool[prod], nu, max(getattr(world.params, km) * total, 1e-9)))
        return tuple(out)

    @classmethod
    def rates(cls, world: MembraneWorld, k: float) -> tuple[float, float]:
        """Forward and backward rates (1/s) of one site of the class now, turnover ceiling `k`, all sites seeing
        the same state: the saturable law (`saturable`), else the class's `rate_law` — in one compiled call
        (`kernels.class_rates`, the same numbers) for a class that keeps this class's `rate_dG` and `couples`."""
        spec = rate_spec(cls, world)
        if spec is not None:
            state = world.state
            kf, kb = kernels.class_rates(k, state.pool.array, world.lattice.counts, state.charge, *spec)
            if kf == kf:  # not NaN: ln Γ covered the counts
                return kf, kb
            state.grow_lgamma()
            return cls.rates(world, k)
        dg_f, dg_b = cls.rate_dG(world, 1), cls.rate_dG(world, -1)
        if cls.saturable(world):  # a site class's couples do not depend on the direction (the ANT's do: own rates)
            return saturable_rates(k, dg_f, dg_b, world.kT, cls.couples(world))
        law = barrier_rates if cls.rate_law == "barrier" else fermi_rates
        return law(k, dg_f, dg_b, world.kT)

    @classmethod
    def compiled_turn(cls, world: MembraneWorld) -> tuple[tuple, np.ndarray] | None:
        """What the compiled turn of the class (`kernels.class_turn`) takes in `world`: the constant arguments of
        its rates (`rate_spec`) and its `accept_change`, remembered with them; None for a class whose rates stay
        in Python."""
        spec = rate_spec(cls, world)
        if spec is None:
            return None
        return spec, world.rate_specs[cls][3]

    @classmethod
    def rate_terms(cls, world: MembraneWorld) -> tuple[Change, Change | None, float]:
        """The changes whose free energy sets the rates, ``(a, b, w)``: `rate_dG` is ΔG(a) + w·ΔG(b), each move in
        the direction (b None: ΔG(a) alone). A site class's own move (`forward_change`); a class whose rate
        spreads a chemical step over several moves adds it as b (the synthase)."""
        return cls.forward_change(world), None, 0.0

    @classmethod
    def rate_dG(cls, world: MembraneWorld, direction: int) -> float | None:
        """Free-energy change (J) that sets the rate of a move in `direction` (`rate_terms`); None if
        impossible now."""
        a, b, w = cls.rate_terms(world)
        state = world.state
        if not state.possible(a, direction):
            return None
        if b is None:
            return sum(state.dG_parts(a, direction))
        if not state.possible(b, direction):
            return None
        return sum(state.dG_parts(a, direction)) + w * sum(state.dG_parts(b, direction))

    def fire(self, world: MembraneWorld, direction: int) -> bool:
        """Make one move; return False (and change nothing) if the local molecules are not there."""
        raise NotImplementedError

    @classmethod
    def accept_many(
        cls, world: MembraneWorld, members: Sequence[MembraneSite], sites: np.ndarray, ranks: np.ndarray, direction: int
    ) -> int:
        """How many of `sites`' moves in `direction` (in order) the molecules there now allow
        (`world.membrane.batch`): every move consumes what `forward_change` says."""
        state = world.state
        return kernels.accept_moves(
            state.packed(cls.forward_change(world)), direction, world.lattice.counts, state.pool.array, sites.size
        )

    @classmethod
    def accept_change(cls, world: MembraneWorld) -> np.ndarray:
        """The packed forward change (`ChemState.packed`) whose needs decide a batch's forward moves inside the
        compiled turn (`kernels.class_turn`), or an empty array for a class with its own `accept_many` (which
        `world.membrane.batch.fire_class` then calls)."""
        if cls.accept_many.__func__ is not MembraneSite.accept_many.__func__:
            return _NONE
        return world.state.packed(cls.forward_change(world))

    @classmethod
    def fire_many(
        cls, world: MembraneWorld, members: Sequence[MembraneSite], sites: np.ndarray, ranks: np.ndarray, direction: int
    ) -> None:
        """Make one move in `direction` for each entry of `sites` (indices into `members`, repeats allowed; `ranks`:
        the move's rank at its site, 0 for its first this step), all at once (``site_events="batch"``,
        `world.membrane.batch`); the moves were accepted by `accept_many`."""
        raise NotImplementedError

    def _redox_row(self, world: MembraneWorld, direction: int, heat: float) -> None:
        world.moves.emit(
            "redox",
            entity_id=self.unique_id,
            layer=self.number,
            pos=self.x,
            value=float(direction),
            unit="turnover",
            energy_J=heat,
        )


def rate_spec(cls: type[MembraneSite], world: MembraneWorld) -> tuple | None:
    """The constant arguments of `kernels.class_rates` for `cls` in `world` (its law, `rate_terms`, couples, and
    the world's energy constants, μ°, ln(N_A·V), redox flags and ln Γ table), or None for a class with its own
    `rate_dG`, `couples` or `rates` (whose rates stay in Python); kept while the world's parameters and ln Γ table
    are the same objects."""
    state = world.state
    hit = world.rate_specs.get(cls)
    if hit is not None and hit[0] is world.params and hit[1] is state.lgamma:
        return hit[2]
    spec = None
    base = MembraneSite
    if (
        cls.rate_dG.__func__ is base.rate_dG.__func__
        and cls.couples.__func__ is base.couples.__func__
        and cls.rates.__func__ is base.rates.__func__
    ):
        index = state.pool.index
        a, b, w = cls.rate_terms(world)
        saturable = cls.saturable(world)
        law = 2 if saturable else 1 if cls.rate_law == "barrier" else 0
        binding = cls.binding if saturable else ()
        spec = (
            law,
            float(w),
            state.pack(a),
            state.pack(b if b is not None else Change()),
            np.array(
                [[index[x[0]] for x in binding], [index[x[1]] for x in binding], [x[2] for x in binding]],
                dtype=np.int64,
            ).reshape(3, -1),
            np.array([float(getattr(world.params, x[3])) for x in binding]),
            *state.shared_args(),
        )
    world.rate_specs[cls] = (world.params, state.lgamma, spec, cls.accept_change(world))
    return spec


_CHANGE_I = Change(4, -5, 4, (("nadh", -1), ("nad", 1), ("q", -1), ("qh2", 1)))
_CHANGE_II = Change(0, 0, 0, (("succ", -1), ("fum", 1), ("q", -1), ("qh2", 1)))
_CHANGE_III = Change(2, -2, 4, (("qh2", -1), ("q", 1), ("cox", -2), ("cred", 2)))
_CHANGE_IV = Change(4, -4, 2, (("cred", -2), ("cox", 2)), 1)
"""Forward stoichiometry of each complex (per 2 e⁻), declared once: rates and bookkeeping both read it."""


def _quinone_turnover(
    site: MembraneSite, world: MembraneWorld, direction: int, donor: tuple[str, str], produced: int
) -> bool:
    """Shared move of complexes I and II: donor (NADH or succinate) reduces a quinone to QH₂."""
    red, ox = donor
    x = site.x
    q = world.quinones
    mv = world.moves
    pool = world.state.pool
    pumped = ETC_CHARGES[site.number]
    if direction > 0:
        qi = q.nearest(x, reduced=False, reach=world.carrier_reach)
        if qi < 0 or pool[red] < 1 or not world.can_take(N_SIDE, x, pumped + 2 - produced):
            return False
    else:
        qi = q.nearest(x, reduced=True, reach=world.carrier_reach)
        if qi < 0 or pool[ox] < 1 or not world.can_take(P_SIDE, x, pumped):
            return False
    counts = turnover_counts(site.number, direction)
    counts["nadh_oxidised" if red == "nadh" else "succinate_oxidised"] = direction
    heat = world.state.apply(site.forward_change(world).times(direction), counts)
    if direction > 0:
        mv.produce_into(N_SIDE, x, produced, "substrate")
        mv.transfer(N_SIDE, P_SIDE, x, pumped, "pump", site.number, 1.0)
        h = mv.transfer(N_SIDE, BOUND, x, 2, "h_bind", site.number, 1.0, dst_label="Q")
        q.red[qi] = True
        q.h[qi] = h
    else:
        mv.release(q.h[qi], N_SIDE, x, "h_bind", site.number, -1.0, src_label="Q")
        q.red[qi] = False
        q.h[qi] = -1
        mv.transfer(P_SIDE, N_SIDE, x, pumped, "pump", site.number, -1.0)
        mv.consume_from(N_SIDE, x, produced, "h_produced", site.number, "reserve")
    site._redox_row(world, direction, heat)
    return True


def run_pass(
    state: ChemState, kernel: Callable[..., tuple], args: tuple, change: Change, s: int, s_mol: int | None = None
) -> tuple:
    """Call a compiled batched pass (`world.membrane.kernels`) with `args` and the energy arguments of `change`
    done `s` times (molecules `s_mol` times; `ChemState.energy_args`), growing ln Γ's table if the pass found it
    short (it then did nothing), and book the energy it computed before its moves (`ChemState.booked`). Returns
    the pass's results without the energy."""
    while True:
        r = kernel(*args, state.energy_args(change, s, s_mol))
        if r[-1]:
            state.booked(r[-4], r[-3], r[-2])
            return r[:-4]
        state.grow_lgamma()


def _quinone_turnover_many(
    cls: type[MembraneSite],
    world: MembraneWorld,
    members: Sequence[MembraneSite],
    sites: np.ndarray,
    direction: int,
    donor: str,
    produced: int,
) -> None:
    """`_quinone_turnover` for many moves at once (``site_events="batch"``)."""
    xall, uall = world.site_arrays[cls]
    xs, uids = xall[sites], uall[sites]
    m = int(xs.size)
    q = world.quinones
    mv = world.moves
    lat = world.lattice
    number = cls.number
    pumped = ETC_CHARGES[number]
    fwd = direction > 0
    made = lat.produce(produced * m) if fwd else _NONE
    keys = _QUINONE_KEYS[number, direction]
    change = cls.forward_change(world)
    mv.buf.n, a, b, c = run_pass(
        world.state,
        kernels.quinone_pass,
        (
            fwd, produced, pumped, (*q.by_column(), q.red, q.h), lat.batch_args(), xs, uids, made,
            mv.row_args((produced + pumped + 3) * m), mv.buf.codes(keys),
        ),
        change,
        direction * m,
    )  # fmt: skip
    world.state.add(change, direction * m, _QUINONE_COUNTS[number, direction], m)
    lat.batch_moved()
    if not fwd:
        lat.reserve_queue.extend(c)
    if mv.transit is not None:
        per = (produced, pumped, 2) if fwd else (2, pumped, produced)
        _transit(mv, keys, (a, b, c), [np.repeat(xs, k) for k in per])


def _transit(mv: ProtonMoves, keys: tuple[tuple, ...], groups: Sequence[np.ndarray], xs: Sequence[np.ndarray]) -> None:
    """The transit log's stamps (`world.membrane.transit`) of a compiled batched pass's proton groups (rows of
    signatures `keys`, at columns `xs`), in row order, as the row-by-row moves record them."""
    assert mv.transit is not None
    for (kind, src, dst, *_), idx, x in zip(keys, groups, xs, strict=False):
        if idx.size:
            mv.transit.moved(idx, kind, src, dst, x, mv.t)


_NONE = np.empty(0, dtype=np.int64)
_QUINONE_COUNTS = {
    (number, d): {
        **turnover_counts(number, d),
        ("nadh_oxidised" if number == 1 else "succinate_oxidised"): d,
        **({"h_pumped": float(d) * ETC_CHARGES[number]} if ETC_CHARGES[number] else {}),
        "h_produced": (1 if number == 1 else 2) * d,
    }
    for number in (1, 2)
    for d in (1, -1)
}
"""The counters of one complex I or II turnover per direction: `turnover_counts`, the donor oxidised, and the
protons its moves count (pumped, produced into N or returned to the reserve)."""
_QUINONE_KEYS = {
    (number, d): (
        (
            proton_key("h_produced", "substrate", "N", None, 1.0),
            proton_key("pump", "N", "P", number, 1.0),
            proton_key("h_bind", "N", "Q", number, 1.0),
        )
        if d > 0
        else (
            proton_key("h_bind", "Q", "N", number, -1.0),
            proton_key("pump", "P", "N", number, -1.0),
            proton_key("h_produced", "N", "reserve", number, -1.0),
        )
    )
    + (site_key("redox", number, float(d), "turnover", heat=True),)
    for number in (1, 2)
    for d in (1, -1)
}
"""Trace-row signatures of a batch of complex I or II turnovers (`kernels.quinone_pass`), per (complex, direction)."""


class ComplexI(MembraneSite):
    """NADH:ubiquinone oxidoreductase (4 H⁺ pumped, 4 charges per 2 e⁻); blocked by rotenone."""

    k_param = "k_complex1"
    binding = (("nadh", "nad", 1, "km_nad"), ("q", "qh2", 1, "km_q"))
    number = 1

    @classmethod
    def forward_change(cls, world: MembraneWorld) -> Change:
        """NADH + Q + 5 H⁺(N) → NAD⁺ + QH₂ + 4 H⁺(P); 4 charges."""
        return _CHANGE_I

    def fire(self, world: MembraneWorld, direction: int) -> bool:
        """One turnover forward (+1) or backward (−1)."""
        return _quinone_turnover(self, world, direction, ("nadh", "nad"), 1)

    @classmethod
    def fire_many(
        cls, world: MembraneWorld, members: Sequence[MembraneSite], sites: np.ndarray, ranks: np.ndarray, direction: int
    ) -> None:
        """Many turnovers at once (`MembraneSite.fire_many`)."""
        _quinone_turnover_many(cls, world, members, sites, direction, "nadh", 1)


class ComplexII(MembraneSite):
    """Succinate dehydrogenase (no pumping, no charge); not blocked by the four inhibitors."""

    k_param = "k_complex2"
    binding = (("succ", "fum", 1, "km_succ"), ("q", "qh2", 1, "km_q"))
    number = 2

    @classmethod
    def forward_change(cls, world: MembraneWorld) -> Change:
        """Succinate + Q → fumarate + QH₂ (its 2 protons pass through N); 0 charges."""
        return _CHANGE_II

    def fire(self, world: MembraneWorld, direction: int) -> bool:
        """One turnover forward (+1) or backward (−1)."""
        return _quinone_turnover(self, world, direction, ("succ", "fum"), 2)

    @classmethod
    def fire_many(
        cls, world: MembraneWorld, members: Sequence[MembraneSite], sites: np.ndarray, ranks: np.ndarray, direction: int
    ) -> None:
        """Many turnovers at once (`MembraneSite.fire_many`)."""
        _quinone_turnover_many(cls, world, members, sites, direction, "succ", 2)


class ComplexIII(MembraneSite):
    """Cytochrome bc₁ (Q cycle): 4 H⁺ released on P, 2 taken from N, 2 charges; blocked by antimycin A."""

    k_param = "k_complex3"
    binding = (("qh2", "q", 1, "km_q"), ("cox", "cred", 2, "km_cytc"))
    number = 3

    @classmethod
    def forward_change(cls, world: MembraneWorld) -> Change:
        """QH₂ + 2 c³⁺ + 2 H⁺(N) → Q + 2 c²⁺ + 4 H⁺(P); 2 charges."""
        return _CHANGE_III

    def fire(self, world: MembraneWorld, direction: int) -> bool:
        """One turnover forward (+1) or backward (−1)."""
        x = self.x
        q = world.quinones
        mv = world.moves
        fwd = direction > 0
        qi = q.nearest(x, reduced=fwd, reach=world.carrier_reach)
        cs = world.cytc.nearest(x, reduced=not fwd, k=2, reach=world.carrier_reach)
        if qi < 0 or cs is None or not world.can_take(N_SIDE if fwd else P_SIDE, x, 2 if fwd else 4):
            return False
        heat = world.state.apply(_CHANGE_III.times(direction), turnover_counts(3, direction))
        if fwd:
            mv.release(q.h[qi], P_SIDE, x, "pump", 3, 1.0, src_label="Q")
            q.red[qi] = False
            q.h[qi] = -1
            mv.transfer(N_SIDE, P_SIDE, x, 2, "pump", 3, 1.0)
            world.cytc.red[cs] = True
        else:
            mv.transfer(P_SIDE, N_SIDE, x, 2, "pump", 3, -1.0)
            h = mv.transfer(P_SIDE, BOUND, x, 2, "pump", 3, -1.0, dst_label="Q")
            q.red[qi] = True
            q.h[qi] = h
            world.cytc.red[cs] = False
        self._redox_row(world, direction, heat)
        return True

    @classmethod
    def fire_many(
        cls, world: MembraneWorld, members: Sequence[MembraneSite], sites: np.ndarray, ranks: np.ndarray, direction: int
    ) -> None:
        """Many turnovers at once (`MembraneSite.fire_many`)."""
        xall, uall = world.site_arrays[cls]
        xs, uids = xall[sites], uall[sites]
        m = int(xs.size)
        q, c, mv, lat = world.quinones, world.cytc, world.moves, world.lattice
        keys = _COMPLEX3_KEYS[direction]
        mv.buf.n, a, b = run_pass(
            world.state,
            kernels.complex3_pass,
            (
                direction > 0, (*q.by_column(), q.red, q.h), (*c.by_column(), c.red), lat.batch_args(), xs, uids,
                mv.row_args(5 * m), mv.buf.codes(keys),
            ),
            _CHANGE_III,
            direction * m,
        )  # fmt: skip
        world.state.add(_CHANGE_III, direction * m, _PASS_COUNTS[3, direction], m)
        lat.batch_moved()
        if mv.transit is not None:
            x2 = np.repeat(xs, 2)
            _transit(mv, keys, (a, b), (x2, x2))


_PASS_COUNTS = {(n, d): {**TURNOVERS[n, d], "h_pumped": float(d) * p} for n, p in ((3, 4), (4, 2)) for d in (1, -1)}
"""The counters of one complex III or IV turnover per direction in a batch: `TURNOVERS` and the protons pumped
(every proton row of a complex III batch is a ``pump`` row; two of complex IV's four)."""

_COMPLEX3_KEYS = {
    d: (
        (proton_key("pump", "Q", "P", 3, 1.0), proton_key("pump", "N", "P", 3, 1.0))
        if d > 0
        else (proton_key("pump", "P", "N", 3, -1.0), proton_key("pump", "P", "Q", 3, -1.0))
    )
    + (site_key("redox", 3, float(d), "turnover", heat=True),)
    for d in (1, -1)
}
"""Trace-row signatures of a batch of complex III turnovers (`kernels.complex3_pass`), per direction."""


class HeldProtons:
    """The proton equivalents bound in the O₂ intermediate of each of a world's complexes IV, one row per site in
    the order of its group (at most 4 each): ``held[i, :n[i]]`` for the group's site i, so the compiled water
    bookkeeping of batched moves (`world.membrane.kernels.water_forward`) indexes rows as it indexes sites."""

    def __init__(self, sites: Sequence[ComplexIV]) -> None:
        self.held = np.full((len(sites), 4), -1, dtype=np.int64)
        self.n = np.zeros(len(sites), dtype=np.int64)
        for i, site in enumerate(sites):
            site.slot = i


class ComplexIV(MembraneSite):
    """Cytochrome c oxidase, one turnover = 2 e⁻ = half an O₂; blocked by cyanide.

    `bound` holds the proton equivalents in the O₂ intermediate (2 after an odd turnover, so the complex
    holds 2 electrons); the second turnover turns the 4 bound protons and one O₂ into water.
    """

    k_param = "k_complex4"
    binding = (("cred", "cox", 2, "km_cytc"),)
    number = 4

    slot: int
    """This site's row in the world's `HeldProtons` (its index in the world's group of complexes IV)."""

    @property
    def bound(self) -> np.ndarray:
        """The proton equivalents bound in this site's O₂ intermediate (a copy; 0, 2 or, within a move, 4)."""
        store = self.model.complex4_bound
        return store.held[self.slot, : store.n[self.slot]].copy()

    @bound.setter
    def bound(self, idx: np.ndarray) -> None:
        store = self.model.complex4_bound
        store.held[self.slot, : idx.size] = idx
        store.n[self.slot] = idx.size

    @classmethod
    def forward_change(cls, world: MembraneWorld) -> Change:
        """2 c²⁺ + ½O₂ + 4 H⁺(N) → 2 c³⁺ + H₂O + 2 H⁺(P); 4 charges."""
        return _CHANGE_IV

    def fire(self, world: MembraneWorld, direction: int) -> bool:
        """One turnover forward (+1) or backward (−1)."""
        x = self.x
        mv = world.moves
        fwd = direction > 0
        cs = world.cytc.nearest(x, reduced=fwd, k=2, reach=world.carrier_reach)
        if cs is None or not world.can_take(N_SIDE if fwd else P_SIDE, x, 4 if fwd else 2):
            return False
        heat = world.state.apply(_CHANGE_IV.times(direction), turnover_counts(4, direction))
        if fwd:
            mv.transfer(N_SIDE, P_SIDE, x, 2, "pump", 4, 1.0)
            h = mv.transfer(N_SIDE, BOUND, x, 2, "h_bind", 4, 1.0, dst_label="CIV")
            self.bound = np.concatenate([self.bound, h])
            if self.bound.size == 4:
                mv.consume_bound(self.bound, x, self.unique_id, 1)
                self.bound = np.empty(0, dtype=np.int64)
            world.cytc.red[cs] = False
        else:
            if self.bound.size == 0:
                self.bound = mv.consume_bound(None, x, self.unique_id, -1)
            mv.release(self.bound[-2:], N_SIDE, x, "h_bind", 4, -1.0, src_label="CIV")
            self.bound = self.bound[:-2]
            mv.transfer(P_SIDE, N_SIDE, x, 2, "pump", 4, -1.0)
            world.cytc.red[cs] = True
        self._redox_row(world, direction, heat)
        return True

    @classmethod
    def fire_many(
        cls, world: MembraneWorld, members: Sequence[MembraneSite], sites: np.ndarray, ranks: np.ndarray, direction: int
    ) -> None:
        """Many turnovers at once (`MembraneSite.fire_many`). Forward, each site's bound protons and the new ones
        (in move order) become water four at a time; backward, a site first turns as many waters back into four
        bound protons each as its moves need, then releases the most recently bound two per move."""
        xall, uall = world.site_arrays[cls]
        m = int(sites.size)
        c, mv, lat, store = world.cytc, world.moves, world.lattice, world.complex4_bound
        keys = _COMPLEX4_KEYS[direction]
        codes = mv.buf.codes(keys)
        state = world.state
        if direction > 0:
            mv.buf.n, a, b, water, o2 = run_pass(
                state,
                kernels.complex4_forward,
                (
                    sites, store.held, store.n, (*c.by_column(), c.red), lat.batch_args(), xall, uall,
                    mv.row_args(10 * m), codes,  # a site holds 0 or 2 bound: at most 4m become water
                ),
                _CHANGE_IV,
                direction * m,
            )  # fmt: skip
            if o2.size:
                lat.reserve_queue.extend(water)
                world.state.count("h_consumed", 4 * o2.size)
                world.state.count("o2_consumed", o2.size)
        else:
            busy, need, waters = kernels.water_backward_plan(sites, store.n)
            w = int(waters.sum())
            made = lat.produce(4 * w) if w else _NONE
            mv.buf.n, out, a = run_pass(
                state,
                kernels.complex4_backward,
                (
                    sites, busy, need, waters, made, store.held, store.n, (*c.by_column(), c.red), lat.batch_args(),
                    xall, uall, mv.row_args(4 * w + w + 2 * m + 2 * m + m), codes,
                ),
                _CHANGE_IV,
                direction * m,
            )  # fmt: skip
            if w:
                world.state.count("h_consumed", -4 * w)
                world.state.count("o2_consumed", -w)
        state.add(_CHANGE_IV, direction * m, _PASS_COUNTS[4, direction], m)
        lat.batch_moved()
        if mv.transit is not None:
            x2 = np.repeat(xall[sites], 2)
            if direction > 0:
                xw = np.repeat(xall[o2], 4)
                _transit(mv, (keys[0], keys[1], keys[2]), (a, b, water), (x2, x2, xw))
            else:
                o2 = np.repeat(busy, waters)
                xo = np.repeat(xall[busy], need)
                _transit(mv, (keys[0], keys[2], keys[3]), (made, out, a), (np.repeat(xall[o2], 4), xo, x2))


_COMPLEX4_KEYS = {
    1: (
        proton_key("pump", "N", "P", 4, 1.0),
        proton_key("h_bind", "N", "CIV", 4, 1.0),
        proton_key("h_consumed", "CIV", "water", 4, 1.0),
        site_key("o2_reduced", 4, 1.0, "O2"),
        site_key("redox", 4, 1.0, "turnover", heat=True),
    ),
    -1: (
        proton_key("h_consumed", "water", "CIV", 4, -1.0),
        site_key("o2_reduced", 4, -1.0, "O2"),
        proton_key("h_bind", "CIV", "N", 4, -1.0),
        proton_key("pump", "P", "N", 4, -1.0),
        site_key("redox", 4, -1.0, "turnover", heat=True),
    ),
}
"""Trace-row signatures of a batch of complex IV turnovers (`kernels.complex4_forward`, `complex4_backward`),
per direction, in row order."""


COMPLEX_CLASSES = (ComplexI, ComplexII, ComplexIII, ComplexIV)
