"""Conservation laws (docs/membrane.md), checked after every step of the real world over drawn parameters."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.geometry import P_SIDE
from world.membrane.params import ATP_STANDARDS, KINETICS, O2_STANDARDS, PROTON_ACCESS, SITE_EVENTS, SUPPLY_LAWS

PERTURBATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("add_adp"), st.integers(0, 400)),
        st.tuples(st.just("set_atp_demand"), st.floats(0, 2000)),
        st.tuples(st.just("add_inhibitor"), st.sampled_from(["oligomycin", "rotenone", "antimycin_a", "cyanide"])),
        st.tuples(
            st.just("partial_inhibitor"),
            st.tuples(st.sampled_from(["oligomycin", "rotenone", "antimycin_a", "cyanide"]), st.floats(0, 1)),
        ),
        st.tuples(st.just("add_uncoupler"), st.floats(0, 2)),
        st.tuples(st.just("set_leak"), st.floats(0, 20)),
        st.tuples(st.just("set_substrate"), st.sampled_from(["nadh", "succinate"])),
    ),
    max_size=4,
)


def _apply(world: MembraneWorld, op: tuple[str, Any]) -> None:
    name, arg = op
    if name == "set_substrate":
        world.set_substrate(arg, 300.0)
    elif name == "partial_inhibitor":
        world.add_inhibitor(*arg)
    else:
        getattr(world, name)(arg)


def _check_open(world: MembraneWorld) -> None:
    lat, c = world.lattice, world.cytc
    if lat.crista is not None:
        p = lat.comp == P_SIDE
        assert lat.crista.is_open(lat.x[p], lat.y[p] - lat.membrane_row - 1).all()
        assert lat.crista.is_open(c.x, c.y - c.y_lo).all()


@settings(deadline=None)
@given(
    seed=st.integers(0, 2**16),
    c_ring=st.integers(8, 15),
    ops=PERTURBATIONS,
    supply=st.floats(0, 1000),
    k_rotor=st.floats(0, 450),
    protons_n=st.integers(50, 3000),
    kinetics=st.sampled_from(KINETICS),
    supply_law=st.sampled_from(SUPPLY_LAWS),
    d_proton=st.sampled_from([None, 0.05, 100.0]),
    access=st.sampled_from(PROTON_ACCESS),
    site_events=st.sampled_from(SITE_EVENTS),
    atp_standard=st.sampled_from(ATP_STANDARDS),
    o2_standard=st.sampled_from(O2_STANDARDS),
    carriers=st.sampled_from([{}, {"d_quinone_um2_s": 0.05, "d_cytc_um2_s": 50.0, "carrier_reach_nm": 100.0}]),
    crista=st.sampled_from([{}, {"crista_length_nm": 100.0}, {"crista_length_nm": 1100.0, "crista_lumen_nm": 200.0}]),
)
def test_every_law_holds_at_every_step(
    small: dict,
    check_ledger,
    seed: int,
    c_ring: int,
    ops: list,
    supply: float,
    k_rotor: float,
    protons_n: int,
    kinetics: str,
    supply_law: str,
    d_proton: float | None,
    access: str,
    site_events: str,
    atp_standard: str,
    o2_standard: str,
    carriers: dict,
    crista: dict,
) -> None:
    """H+, electrons, ATP+ADP, ATP+Pi, Δψ·C, rotor and energy balances hold after every step and perturbation,
    under either rate law of the complexes, either NADH supply, full or partial inhibitor doses, the lazy or the
    exact proton walk, bulk or local proton access, one or Poisson many moves per site and step (made one by one
    or a class at a time), ATP's ΔG°′ uniform or per compartment, O₂'s standard
    state fixed or at the world's temperature, and carriers found at any distance or only
    within reach, and a flat membrane or one
    lining a crista (every free P-side proton and cytochrome c in the crista band's open cells after every
    step)."""
    if site_events == "batch":  # batched moves match molecules by column, with no reach (MembraneParams refuses)
        access, carriers = "bulk", {}
    run = Run(seed)
    world = MembraneWorld(
        run,
        **{
            **small,
            "c_ring": c_ring,
            "nadh_supply": supply,
            "k_rotor": k_rotor,
            "protons_n": protons_n,
            "succinate_supply": supply / 2,
            "kinetics": kinetics,
            "supply_law": supply_law,
            "d_proton_um2_s": d_proton,
            "proton_access": access,
            "site_events": site_events,
            "atp_standard": atp_standard,
            "o2_standard": o2_standard,
            **carriers,
            **crista,
        },
    )
    check_ledger(world)
    for op in ops:
        for _ in range(60):
            world.step()
            check_ledger(world)
            _check_open(world)
        _apply(world, op)
        check_ledger(world)
    for _ in range(60):
        world.step()
        check_ledger(world)


def test_laws_hold_through_an_energised_run(check_ledger) -> None:
    """Over 0.6 s of the default world (energising, ADP pulse, uncoupler) every law holds at every step."""
    run = Run(3)
    world = MembraneWorld(run, atp_demand=300.0)
    step = world.step

    def checked() -> None:
        step()
        check_ledger(world)

    world.step = checked  # type: ignore[method-assign]
    run.drive(world, world.dt)
    run.run_until(0.3)
    world.add_adp(300)
    world.add_uncoupler(0.5)
    run.run_until(0.6)
    assert world.counters["o2_consumed"] > 0


def test_heat_is_positive_on_average() -> None:
    """The second law: total heat dissipated over a run is positive, and so is each kind's mean heat."""
    run = Run(5)
    world = MembraneWorld(run, atp_demand=300.0)
    run.drive(world, world.dt)
    run.run_until(0.8)
    frame = run.trace.to_frame()
    heat = frame.dropna(subset=["energy_J"])
    assert heat.energy_J.sum() > 0
    assert world.counters["heat_J"] > 0
    for kind, rows in heat.groupby("kind", observed=True):
        assert rows.energy_J.mean() > -1e-21, f"{kind} has negative mean heat"
