"""Moves of the well-mixed populations: substrate supply, the uncoupler, the cell's ATP demand, external spending.

Key names: `step_supply`, `step_uncoupler`, `step_demand`, `spend`.

Each builds one `Change` per step and applies it with `ChemState.apply` (the only writer of pools, charge and
counters), then moves the protons and buffers the rows. The uncoupler's hops happen at uniformly random places of
the membrane and take their proton from the mouth there, with the seeded conflict rule of `world.membrane.moves`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from agents.transport import HYDROLYSIS, LeakSite
from world.membrane.geometry import N_SIDE, P_SIDE
from world.membrane.moves import _hand_out, allocate
from world.membrane.state import Change
from world.thermo import barrier_rates

if TYPE_CHECKING:
    from world.membrane.model import MembraneWorld


def step_supply(world: MembraneWorld) -> None:
    """Reduce NAD⁺ and fumarate for one step (Poisson numbers, rate ``supply · S_ox / (S_ox + K)``)."""
    p, pool, rng, sup = world.params, world.state.pool, world.rng, world.supply
    if sup.nadh > 0 and pool["nad"] > 0:
        km = max(1.0, p.supply_km_fraction * p.nad_total)
        k = min(int(rng.poisson(sup.nadh * pool["nad"] / (pool["nad"] + km) * world.dt)), pool["nad"])
        if k:
            world.state.apply(
                Change(
                    n=k,
                    dn_n=1,
                    mols={"nad": -1, "nadh": 1},
                    counters={"nadh_supplied": k, "h_produced": k},
                    external=True,
                )
            )
            world.rows.add("nadh_supplied", 1, value=float(k), unit="molecule")
            idx = world.lattice.produce(k)
            x = rng.uniform(0.0, world.geom.length_nm, size=k)
            world.proton_rows("h_produced", idx[:, None], "substrate", "N", None, x, 1.0)
            world.lattice.move(idx, N_SIDE, x)
    if sup.succinate > 0 and pool["fum"] > 0:
        km = max(1.0, p.supply_km_fraction * p.succ_total)
        k = min(int(rng.poisson(sup.succinate * pool["fum"] / (pool["fum"] + km) * world.dt)), pool["fum"])
        if k:
            world.state.apply(
                Change(n=k, mols={"fum": -1, "succ": 1}, counters={"succinate_supplied": k}, external=True)
            )
            world.rows.add("succinate_supplied", 1, value=float(k), unit="molecule")


def step_uncoupler(world: MembraneWorld) -> None:
    """Shuttle protons for one step: Poisson numbers of hops each way (barrier law), each traced with its heat."""
    conc = world.uncoupler.concentration
    if conc <= 0:
        return
    kf, kb = barrier_rates(
        world.params.k_uncoupler_per_uM * conc, LeakSite.rate_dG(world, 1), LeakSite.rate_dG(world, -1), world.kT
    )
    rng = world.rng
    nf, nb = int(rng.poisson(kf * world.dt)), int(rng.poisson(kb * world.dt))
    if nf + nb == 0:
        return
    dirs = np.concatenate([np.ones(nf, dtype=np.int64), -np.ones(nb, dtype=np.int64)])
    x = rng.uniform(0.0, world.geom.length_nm, size=nf + nb)
    order = rng.permutation(nf + nb)
    dirs, x = dirs[order], x[order]
    ev_bin = world.geom.bin_of(x)
    ok = np.ones(dirs.size, dtype=bool)
    got = np.full(dirs.size, -1, dtype=np.int64)
    for side, sel in ((P_SIDE, dirs > 0), (N_SIDE, dirs < 0)):
        cand, cbin = world.mouth(side)
        need = sel.astype(np.int64)
        ok = allocate(ev_bin, need, cbin, world.geom.n_bins, ok)
    for side, sel in ((P_SIDE, dirs > 0), (N_SIDE, dirs < 0)):
        rows = np.flatnonzero(sel & ok)
        if rows.size:
            cand, cbin = world.mouth(side)
            need = np.zeros(dirs.size, dtype=np.int64)
            need[rows] = 1
            sorted_cand, base = _hand_out(ev_bin, need, cand, cbin, world.geom.n_bins, rng)
            got[rows] = sorted_cand[base[rows]]
    dirs, x, got = dirs[ok], x[ok], got[ok]
    if dirs.size == 0:
        return
    heat = world.state.apply(
        Change(n=dirs.size, dq=-dirs, dn_n=dirs, dn_p=-dirs, counters={"uncoupler_h": int(dirs.sum())})
    )
    world.rows.add(
        "uncoupler",
        dirs.size,
        entity_id=world.proton_uid[got],
        src=np.where(dirs > 0, "P", "N").tolist(),
        dst=np.where(dirs > 0, "N", "P").tolist(),
        pos=world.column(x),
        value=dirs.astype(float),
        unit="H+",
        energy_J=heat,
    )
    fwd = dirs > 0
    world.lattice.move(got[fwd], N_SIDE, x[fwd])
    world.lattice.move(got[~fwd], P_SIDE, x[~fwd])


def step_demand(world: MembraneWorld) -> None:
    """Hydrolyse cytosolic ATP for one step; one ``atp_demand`` row when any happened."""
    pool = world.state.pool
    rate = world.demand.rate
    if rate <= 0 or pool["atp_c"] < 1:
        return
    v = rate * pool["atp_c"] / (pool["atp_c"] + world.params.demand_km)
    dg = sum(world.state.event_dG(0, 0, 0, HYDROLYSIS, 0))
    rng = world.rng
    nf = int(rng.poisson(v * world.dt))
    nb = int(rng.poisson(v * math.exp(dg / world.kT) * world.dt)) if dg / world.kT > -700 else 0
    net = max(-pool["adp_c"], min(nf - nb, pool["atp_c"]), -pool["pi_c"])
    if net == 0:
        return
    heat = world.state.apply(Change(n=1, mols={m: net * d for m, d in HYDROLYSIS}, counters={"atp_consumed": net}))
    world.rows.add(
        "atp_demand", 1, entity_id=world.demand.unique_id, value=float(net), unit="ATP", energy_J=float(heat[0])
    )


def spend(world: MembraneWorld, n: int, consumer: str) -> tuple[int, float]:
    """Hydrolyse `n` cytosolic ATP now for an outside consumer; return (n, heat J)."""
    heat = world.state.apply(
        Change(n=1, mols={m: n * d for m, d in HYDROLYSIS}, counters={"atp_spent": n}, heat_counter="atp_spent_J")
    )
    return n, float(heat[0])
