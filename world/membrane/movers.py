"""The moves of each site class, applied to the moves that won their resources in a round.

Key names: `MOVERS`.

A mover gets the round's successful moves of one class (sites, directions ±1, the rows of the forward and the
backward ones, the resources handed to each: proton indices at the mouths, carrier indices in reach) and the
`Change` that describes them; it adds its counters to the change, applies it (`ChemState.apply`, which returns each
move's heat), moves the protons and carriers, and buffers the rows (the stoichiometry per 2 e⁻ and the trace kinds
are in `agents.complexes`, `agents.synthase`, `agents.transport` and docs/membrane.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.complexes import SiteGroup
from world.constants import ETC_CHARGES
from world.membrane.geometry import BOUND, N_SIDE, P_SIDE, RESERVE
from world.membrane.state import Change

if TYPE_CHECKING:
    from world.membrane.model import MembraneWorld


def _redox(world: MembraneWorld, g: SiteGroup, sites: np.ndarray, dirs: np.ndarray, heat: np.ndarray) -> None:
    n = sites.size
    world.rows.add(
        "redox",
        n,
        entity_id=g.uid[sites],
        layer=g.cls.number,
        pos=world.column(g.x_nm[sites]),
        value=dirs.astype(float),
        unit="turnover",
        energy_J=heat,
    )


def _turnover_counters(ch: Change, number: int, dirs: np.ndarray) -> None:
    net = int(dirs.sum())
    ch.counters[f"turnovers_{number}"] = net
    ch.counters["charges_moved"] = ETC_CHARGES[number] * net
    if number == 4:
        ch.counters["electrons_to_o2"] = 2 * net


def _move_complex_q(world, g, sites, dirs, f, b, picks, ch) -> None:  # type: ignore[no-untyped-def]
    """Complexes I and II: the donor reduces a quinone in reach to QH₂ (module docstring of agents.complexes)."""
    number = g.cls.number
    produced = 1 if number == 1 else 2
    pumped = 4 if number == 1 else 0
    donor = "nadh_oxidised" if number == 1 else "succinate_oxidised"
    net = int(dirs.sum())
    _turnover_counters(ch, number, dirs)
    ch.counters[donor] = net
    ch.counters["h_pumped"] = pumped * net
    ch.counters["h_produced"] = produced * net
    heat = world.state.apply(ch)
    _redox(world, g, sites, dirs, heat)
    lat, q = world.lattice, world.quinones
    xs = g.x_nm[sites]
    if f.size:
        x = xs[f]
        made = lat.produce(produced * f.size).reshape(f.size, produced)
        world.proton_rows("h_produced", made, "substrate", "N", number, x, 1.0)
        lat.move(made.ravel(), N_SIDE, np.repeat(x, produced))
        into_q = made
        if number == 1:
            take = picks["HN"][0]
            world.proton_rows("pump", take[:, :4], "N", "P", number, x, 1.0)
            lat.move(take[:, :4].ravel(), P_SIDE, np.repeat(x, 4))
            into_q = np.concatenate([take[:, 4:], made], axis=1)
        world.proton_rows("h_bind", into_q, "N", "Q", number, x, 1.0)
        lat.move(into_q.ravel(), BOUND, np.repeat(x, 2))
        qi = picks["q"][0][:, 0]
        q.red[qi] = True
        q.h[qi] = into_q
    if b.size:
        x = xs[b]
        qi = picks["qh2"][1][:, 0]
        held = q.h[qi]
        world.proton_rows("h_bind", held, "Q", "N", number, x, -1.0)
        lat.move(held.ravel(), N_SIDE, np.repeat(x, 2))
        q.red[qi] = False
        q.h[qi] = -1
        out = held[:, :produced]
        if number == 1:
            take = picks["HP"][1]
            world.proton_rows("pump", take, "P", "N", number, x, -1.0)
            lat.move(take.ravel(), N_SIDE, np.repeat(x, 4))
        world.proton_rows("h_produced", out, "N", "reserve", number, x, -1.0)
        lat.move(out.ravel(), RESERVE, 0.0)


def _move_complex3(world, g, sites, dirs, f, b, picks, ch) -> None:  # type: ignore[no-untyped-def]
    """Complex III: QH₂ + 2 c³⁺ in reach, 2 H⁺ from the N mouth → Q + 2 c²⁺ + 4 H⁺ at the P mouth."""
    net = int(dirs.sum())
    _turnover_counters(ch, 3, dirs)
    ch.counters["h_pumped"] = 4 * net
    heat = world.state.apply(ch)
    _redox(world, g, sites, dirs, heat)
    lat, q, c = world.lattice, world.quinones, world.cytc
    xs = g.x_nm[sites]
    if f.size:
        x = xs[f]
        qi = picks["qh2"][0][:, 0]
        held = q.h[qi]
        world.proton_rows("pump", held, "Q", "P", 3, x, 1.0)
        lat.move(held.ravel(), P_SIDE, np.repeat(x, 2))
        q.red[qi] = False
        q.h[qi] = -1
        take = picks["HN"][0]
        world.proton_rows("pump", take, "N", "P", 3, x, 1.0)
        lat.move(take.ravel(), P_SIDE, np.repeat(x, 2))
        c.red[picks["cox"][0].ravel()] = True
    if b.size:
        x = xs[b]
        take = picks["HP"][1]
        world.proton_rows("pump", take[:, :2], "P", "N", 3, x, -1.0)
        lat.move(take[:, :2].ravel(), N_SIDE, np.repeat(x, 2))
        world.proton_rows("pump", take[:, 2:], "P", "Q", 3, x, -1.0)
        lat.move(take[:, 2:].ravel(), BOUND, np.repeat(x, 2))
        qi = picks["q"][1][:, 0]
        q.red[qi] = True
        q.h[qi] = take[:, 2:]
        c.red[picks["cred"][1].ravel()] = False


def _move_complex4(world, g, sites, dirs, f, b, picks, ch) -> None:  # type: ignore[no-untyped-def]
    """Complex IV: 2 c²⁺ in reach, 4 H⁺ from the N mouth → 2 c³⁺, 2 H⁺ at the P mouth, 2 into the O₂
    intermediate; a site's second turnover turns its 4 bound protons and one O₂ into water."""
    half, held = g.state["half"], g.state["held"]
    h_f = half[sites[f]]
    h_b = half[sites[b]]
    water = int(h_f.sum()) - int((~h_b).sum())
    net = int(dirs.sum())
    _turnover_counters(ch, 4, dirs)
    ch.counters["h_pumped"] = 2 * net
    ch.counters["o2_consumed"] = water
    ch.counters["h_consumed"] = 4 * water
    heat = world.state.apply(ch)
    _redox(world, g, sites, dirs, heat)
    lat, c = world.lattice, world.cytc
    xs = g.x_nm[sites]
    uid = g.uid
    if f.size:
        s, x = sites[f], xs[f]
        take = picks["HN"][0]
        world.proton_rows("pump", take[:, :2], "N", "P", 4, x, 1.0)
        lat.move(take[:, :2].ravel(), P_SIDE, np.repeat(x, 2))
        world.proton_rows("h_bind", take[:, 2:], "N", "CIV", 4, x, 1.0)
        lat.move(take[:, 2:].ravel(), BOUND, np.repeat(x, 2))
        done = h_f
        if done.any():
            four = np.concatenate([held[s[done]], take[done, 2:]], axis=1)
            world.proton_rows("h_consumed", four, "CIV", "water", 4, x[done], 1.0)
            lat.consume(four.ravel())
            world.rows.add(
                "o2_reduced",
                int(done.sum()),
                entity_id=uid[s[done]],
                layer=4,
                pos=world.column(x[done]),
                value=1.0,
                unit="O2",
            )
            held[s[done]] = -1
        held[s[~done]] = take[~done, 2:]
        half[s] = ~done
        c.red[picks["cred"][0].ravel()] = False
    if b.size:
        s, x = sites[b], xs[b]
        empty = ~h_b
        if empty.any():
            m = int(empty.sum())
            four = lat.produce(4 * m).reshape(m, 4)
            lat.move(four.ravel(), BOUND, np.repeat(x[empty], 4))
            world.proton_rows("h_consumed", four, "water", "CIV", 4, x[empty], -1.0)
            world.rows.add(
                "o2_reduced", m, entity_id=uid[s[empty]], layer=4, pos=world.column(x[empty]), value=-1.0, unit="O2"
            )
            held[s[empty]] = four[:, :2]
            out = np.empty((s.size, 2), dtype=np.int64)
            out[empty] = four[:, 2:]
            out[~empty] = held[s[~empty]]
            held[s[~empty]] = -1
        else:
            out = held[s].copy()
            held[s] = -1
        world.proton_rows("h_bind", out, "CIV", "N", 4, x, -1.0)
        lat.move(out.ravel(), N_SIDE, np.repeat(x, 2))
        take = picks["HP"][1]
        world.proton_rows("pump", take, "P", "N", 4, x, -1.0)
        lat.move(take.ravel(), N_SIDE, np.repeat(x, 2))
        half[s] = empty
        c.red[picks["cox"][1].ravel()] = True


def _move_hop(world, g, sites, dirs, f, b, picks, ch) -> None:  # type: ignore[no-untyped-def]
    """One proton across (synthase step, exchange, leak): P → N forward, N → P backward, with its chemistry."""
    number = g.cls.number
    kind = {5: "rotor_step", 6: "leak", 7: "exchange"}[number]
    net = int(dirs.sum())
    if number == 5:
        atp = ch.mols["atp_m"]
        ch.counters["rotor_steps"] = net
        ch.counters["atp_made"] = int(atp.sum())
    else:
        ch.counters["leak_h" if number == 6 else "atp_exported"] = net
    heat = world.state.apply(ch)
    lat = world.lattice
    x = g.x_nm[sites]
    idx = np.empty(sites.size, dtype=np.int64)
    idx[f] = picks["HP"][0][:, 0]
    idx[b] = picks["HN"][1][:, 0]
    src = np.where(dirs > 0, "P", "N")
    world.rows.add(
        kind,
        sites.size,
        entity_id=world.proton_uid[idx],
        src=src.tolist(),
        dst=np.where(dirs > 0, "N", "P").tolist(),
        pos=world.column(x),
        value=dirs.astype(float),
        unit="H+",
        energy_J=heat,
    )
    lat.move(idx[f], N_SIDE, x[f])
    lat.move(idx[b], P_SIDE, x[b])
    if number == 5:
        stt = g.state
        boundary = atp != 0
        np.add.at(stt["steps"], sites, dirs)
        np.add.at(stt["atp"], sites, atp)
        stt["position"][sites] = (stt["position"][sites] + dirs) % world.params.c_ring
        if boundary.any():
            made = boundary & (dirs > 0)
            for kind_b, sel in (("atp_made", made), ("atp_hydrolysed", boundary & ~made)):
                world.rows.add(
                    kind_b,
                    int(sel.sum()),
                    entity_id=g.uid[sites[sel]],
                    pos=world.column(x[sel]),
                    value=1.0,
                    unit="ATP",
                )


MOVERS = {
    1: _move_complex_q,
    2: _move_complex_q,
    3: _move_complex3,
    4: _move_complex4,
    5: _move_hop,
    6: _move_hop,
    7: _move_hop,
}
"""The move of each site class (by `MembraneSite.number`)."""
