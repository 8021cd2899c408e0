"""Space in the membrane world: exact diffusion for any dt, local proton access, and when space matters.

Tolerances and predictions are written in each test's docstring before it was first run.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.diffusion import BandKernel, RingKernel, alias_draw, alias_table, hop_rate
from world.membrane.geometry import N_SIDE, P_SIDE, ProtonLattice
from world.testing import FERMI_STACK, randomise_space, small_membrane_world, states_4_and_3


def _generator(n: int, lam: float, ring: bool) -> np.ndarray:
    q = np.zeros((n, n))
    for i in range(n):
        for j in (i - 1, i + 1):
            if ring:
                q[i, j % n] += lam
                q[i, i] -= lam
            elif 0 <= j < n:
                q[i, j] += lam
                q[i, i] -= lam
    return q


@pytest.mark.parametrize("n", [1, 2, 7, 20])
@pytest.mark.parametrize("lam", [0.0, 0.02, 0.7, 9.0, 3720.0])
def test_kernels_are_the_exact_master_equation_solution(n: int, lam: float) -> None:
    """Both kernels equal exp(Q·dt) of the walk's generator (scipy's expm) to 1e-12, and two steps of λ equal one of
    2λ (Chapman–Kolmogorov), so the walk does not depend on how a time is cut into steps."""
    band = BandKernel(n, lam)
    assert np.abs(band.P - scipy.linalg.expm(_generator(n, lam, ring=False))).max() < 1e-12
    assert np.abs(BandKernel(n, 2 * lam).P - band.P @ band.P).max() < 1e-12
    if n >= 3:
        ring = RingKernel(n, lam)
        assert np.abs(ring.p - scipy.linalg.expm(_generator(n, lam, ring=True))[0]).max() < 1e-12
        two = np.array([sum(ring.p[j] * ring.p[(k - j) % n] for j in range(n)) for k in range(n)])
        assert np.abs(RingKernel(n, 2 * lam).p - two).max() < 1e-12


@pytest.mark.parametrize(("n", "bond", "f"), [(2, 0, 0.5), (5, 3, 0.1), (20, 18, 1e-4), (10, 0, 1e-6)])
@pytest.mark.parametrize("lam", [0.3, 3720])
def test_gated_band_kernel_is_exact(n: int, bond: int, f: float, lam: float) -> None:
    """A band with one slow bond (the surface barrier) is still exp(Q·dt) to 1e-12 and composes; an integer λ is
    taken as a float (an integer rate array would truncate f·λ)."""
    q = _generator(n, float(lam), ring=False)
    q[bond, bond + 1] *= f
    q[bond + 1, bond] *= f
    q -= np.diag(q.sum(axis=1))
    k = BandKernel(n, lam, (bond, f))
    assert np.abs(k.P - scipy.linalg.expm(q)).max() < 1e-12
    assert np.abs(BandKernel(n, 2 * lam, (bond, f)).P - k.P @ k.P).max() < 1e-12


def test_alias_draws_follow_their_distribution() -> None:
    """Frequencies of 400 000 alias draws from an uneven distribution lie within 5 standard errors of it."""
    p = np.array([0.5, 0.0, 0.2, 0.05, 0.25, 1e-3])
    p = p / p.sum()
    thr, alias = alias_table(p)
    u = np.random.default_rng(3).random(400_000)
    f = np.bincount(alias_draw(thr, alias, p.size, u), minlength=p.size) / u.size
    assert np.all(np.abs(f - p) <= 5 * np.sqrt(p * (1 - p) / u.size) + 1e-12), (f, p)


@pytest.mark.parametrize("dt", [1e-4, 1e-3, 1e-2])
def test_mean_square_displacement_is_4_D_t_for_any_dt(dt: float) -> None:
    """20 000 free protons start at one cell of a lattice far larger than their spread; after 0.5 s at D = 1 µm²/s
    (cells of 50 nm) their mean-square displacement is 4·D·t = 2 µm² within 5 %, whether 0.5 s is cut into
    5 000, 500 or 50 steps."""
    d, t, cell = 1.0, 0.5, 50.0
    rng = np.random.default_rng(11)
    lat = ProtonLattice(400, 400, 2, 20_000, 0, 0, rng)
    lat.x[:] = 200
    lat.y[:] = 200
    lat.set_diffusion(hop_rate(d, cell) * dt)
    for _ in range(round(t / dt)):
        lat.diffuse()
    msd = (((lat.x - 200.0) ** 2 + (lat.y - 200.0) ** 2) * (cell * 1e-3) ** 2).mean()
    assert msd == pytest.approx(4 * d * t, rel=0.05)


def test_world_protons_spread_at_their_diffusion_coefficient() -> None:
    """In a world with no membrane sites, free protons given D = 0.05 µm²/s spread along the membrane (the periodic
    x axis, minimal image) by 2·D·t = 0.02 µm² in 0.2 s, within 5 %; the lazy walk's own coefficient is
    cell²/(5·dt) = 0.5 µm²/s, ten times more, so this fails if the parameter is ignored."""
    zero = {
        k: 0 for k in ("n_complex1", "n_complex2", "n_complex3", "n_complex4", "n_synthase", "n_exchanger", "n_leak")
    }
    world = MembraneWorld(seed=4, d_proton_um2_s=0.05, nadh_supply=0.0, **zero)
    x0 = world.lattice.x.copy()
    for _ in range(200):
        world.step()
    dx = (world.lattice.x - x0 + 30) % 60 - 30
    free = world.lattice.comp <= P_SIDE
    msd_x = float(((dx[free] * 0.05) ** 2).mean())
    assert msd_x == pytest.approx(2 * 0.05 * 0.2, rel=0.05)


@pytest.mark.parametrize("kinetics", ["fermi", "mass_action"])
def test_local_rates_equal_the_class_laws_when_the_mouths_are_average(kinetics: str, monkeypatch) -> None:
    """The per-site rate pass re-writes the three laws over arrays; with every local activity at 1 (ln a = 0) it
    gives each class exactly the scalar law's rates (`fermi_rates`, `barrier_rates`, `saturable_rates`). The
    saturable law is each class's own choice (`saturable`): the complexes under mass action, and the phosphate
    carrier of the default transport (`ant_pic`) under either kinetics; the oracle asked for it by
    ``binding and kinetics == "mass_action"`` while the lumped exchanger, Fermi under both, was the default."""
    from world.membrane.thermo import barrier_rates, fermi_rates, saturable_rates

    world = MembraneWorld(seed=3, d_proton_um2_s=100.0, proton_access="local", kinetics=kinetics)
    for _ in range(300):
        world.step()
    monkeypatch.setattr(world, "local_activity", lambda side: np.zeros(world.params.width))
    for cls, members in world.groups:
        if not members or cls.forward_change(world)[1:3] == (0, 0):
            continue
        k = getattr(world.params, cls.k_param)
        f, b = cls.rate_dG(world, 1), cls.rate_dG(world, -1)
        if cls.saturable(world):
            assert kinetics == "mass_action" or cls.__name__ == "PhosphateCarrier", cls  # Fermi complexes
            want = saturable_rates(k, f, b, world.kT, cls.couples(world, 1), couples_bwd=cls.couples(world, -1))
        else:
            want = (barrier_rates if cls.rate_law == "barrier" else fermi_rates)(k, f, b, world.kT)
        kf, kb = world._local_rates(cls, members, k)
        assert np.allclose(kf, want[0], rtol=1e-12, atol=0) and np.allclose(kb, want[1], rtol=1e-12, atol=0), cls


def test_local_take_reaches_only_its_neighbourhood() -> None:
    """Under local access a site takes only available mouth-row protons within its reach, nearest first; the
    per-column counts it reads equal a brute-force count after takes and arrivals, and it is refused (None)
    rather than served from afar when too few are near."""
    rng = np.random.default_rng(5)
    lat = ProtonLattice(30, 4, 4, 300, 300, 10, rng)
    lat.set_reach(2)
    for _ in range(3):
        lat.diffuse()
        for x0 in (0, 7, 29):
            row = lat.membrane_row - 1
            near = np.flatnonzero(
                (lat.comp == N_SIDE) & (lat.y == row) & (np.minimum(abs(lat.x - x0), 30 - abs(lat.x - x0)) <= 2)
            )
            assert lat.available_near(N_SIDE, x0) == near.size
            assert lat.mouth_counts(N_SIDE)[x0] == near.size
            got = lat.take(N_SIDE, x0, near.size)
            assert got is not None and set(got.tolist()) == set(near.tolist())
            lat.move(got, P_SIDE, x0)
            assert lat.take(N_SIDE, x0, 1) is None
            assert lat.available_near(P_SIDE, x0) >= near.size  # arrivals are available at once
    assert lat.take(N_SIDE, 0, 1, bulk=True) is not None  # a non-site process still reaches the whole side


def _states(seed: int, shuffle: bool, **params) -> tuple[dict, dict]:
    """State 4 (no demand, 0.5–2 s) and state 3 (ATP demand 1 200/s, 2.5–4 s) window means of one world, with
    the pumps' mean local N-side proton activity in state 3."""
    run = Run(seed)
    world = MembraneWorld(run, proton_access="local", **params)
    if shuffle:
        randomise_space(world, np.random.default_rng(1000 + seed))
    s4, s3 = states_4_and_3(run, world, (0.5, 2.0), (2.5, 4.0))
    pumps = [m.x for name in ("ComplexI", "ComplexIII", "ComplexIV") for m in world.groups_by_name()[name]]
    act: list[float] = []
    run.every(0.05, lambda: act.append(float(world.local_activity(N_SIDE)[pumps].mean())) if run.now > 2.5 else None)
    run.run_until(4.0)
    s3["pump_ln_activity_n"] = float(np.mean(act))
    return s4, s3


def _poisson_se(rate: float, seconds: float = 1.5) -> float:
    return float(np.sqrt(max(rate, 1.0) / seconds))


def test_fast_diffusion_gives_the_well_mixed_answer() -> None:
    """Limit where space must not matter. Buffered-proton diffusion (D = 100 µm²/s, a 9-cell spread per 1 ms step,
    far from a uniform redraw) under local access against the same world with every free proton redrawn
    uniformly after each step. Tolerances, fixed before the run: Δψ within 3 mV and OCR and ATP rate within 3
    combined Poisson standard errors, in state 4 and in state 3."""
    fast = _states(2, False, d_proton_um2_s=100.0)
    mixed = _states(2, True, d_proton_um2_s=100.0)
    for a, b in zip(fast, mixed, strict=True):
        assert abs(a["delta_psi_mV"] - b["delta_psi_mV"]) < 3.0, (a, b)
        for key in ("ocr", "atp_rate"):
            se = np.hypot(_poisson_se(a[key]), _poisson_se(b[key]))
            assert abs(a[key] - b[key]) < 3 * se, (key, a[key], b[key], se)
    assert abs(fast[1]["pump_ln_activity_n"] - mixed[1]["pump_ln_activity_n"]) < 0.1


def test_slow_diffusion_starves_the_mouths() -> None:
    """Where space must matter. Prediction, written before the run: with D = 0.05 µm²/s (a proton needs ≈ 50 ms
    to cross one 50 nm cell while a pump takes one every few ms) the pumps drain the N-side row at their mouths
    (mean ln activity below −0.5 in state 3, against ≈ 0 when positions are redrawn every step) and the
    synthases, short of protons at both mouths, make ATP in state 3 at under 70 % of the well-mixed rate.
    Written for, and kept on, the pre-recalibration world (`FERMI_STACK`: 38 sites on 60 columns, pumps at full
    Fermi speed). (On the recalibrated defaults, measured, seed 2: ln activity −0.07 against −0.01 mixed, ATP
    304 against 467/s; 116 sites on 60 columns put the synthases' and phosphate carriers' N-side protons next
    to the pumps.)"""
    slow = _states(2, False, d_proton_um2_s=0.05, **FERMI_STACK)
    mixed = _states(2, True, d_proton_um2_s=0.05, **FERMI_STACK)
    assert slow[1]["pump_ln_activity_n"] < -0.5, slow[1]
    assert abs(mixed[1]["pump_ln_activity_n"]) < 0.15, mixed[1]
    assert slow[1]["atp_rate"] < 0.7 * mixed[1]["atp_rate"], (slow[1]["atp_rate"], mixed[1]["atp_rate"])


def _pmf_at_rotors(seed: int, barrier: float) -> tuple[float, float]:
    """Mean bulk Δp and mean Δp at the synthases' mouths (mV) over 0.5–2 s of state 4, exact walk at free-H⁺
    speed, local access, with a surface-to-bulk barrier of `barrier` kT; the pre-recalibration world
    (`FERMI_STACK`)."""
    run = Run(seed)
    world = MembraneWorld(run, d_proton_um2_s=9300.0, proton_access="local", surface_barrier_kT=barrier, **FERMI_STACK)
    run.drive(world, world.dt)
    bulk: list[float] = []
    rotor: list[float] = []

    def record() -> None:
        if run.now > 0.5:
            bulk.append(world.pmf_mV)
            rotor.append(world.local_pmf_mV("ATPSynthase"))

    run.every(0.05, record)
    run.run_until(2.0)
    return float(np.mean(bulk)), float(np.mean(rotor))


def test_a_surface_barrier_holds_protons_at_the_membrane() -> None:
    """Where the surface must matter: while the bulk fills (0.5–2 s after a de-energised start). Prediction,
    written before the run: with a 15 kT barrier between the mouth rows and the bulk, pumped protons stay on the
    P surface (and the pumps drain the N surface), so in state 4 the Δp at the synthases' mouths exceeds the bulk
    Δp by more than 30 mV; without a barrier the two agree within 3 mV (free-H⁺ diffusion mixes the bands within
    a step). Written for, and kept on, the pre-recalibration world (`FERMI_STACK`). (On the recalibrated
    defaults, measured, seed 2: excess −1.1 mV without the barrier, +18.8 mV with it.)"""
    bulk0, rotor0 = _pmf_at_rotors(2, 0.0)
    bulk15, rotor15 = _pmf_at_rotors(2, 15.0)
    assert abs(rotor0 - bulk0) < 3.0, (bulk0, rotor0)
    assert rotor15 - bulk15 > 30.0, (bulk15, rotor15)


def _energised(seed: int, barrier: float) -> tuple[float, float, float]:
    """Time (s) for Δψ to reach 90 % of its 20–30 s mean after a de-energised start, that mean (mV), and the mean
    excess of the Δp at the synthases over the bulk Δp (mV) in 20–30 s; state 4, free-H⁺ diffusion, local access;
    the pre-recalibration world (`FERMI_STACK`)."""
    from analysis.relaxation import time_to_fraction

    run = Run(seed)
    world = MembraneWorld(run, d_proton_um2_s=9300.0, proton_access="local", surface_barrier_kT=barrier, **FERMI_STACK)
    run.drive(world, world.dt)
    t: list[float] = []
    psi: list[float] = []
    excess: list[float] = []

    def record() -> None:
        t.append(run.now)
        psi.append(world.delta_psi_mV)
        if run.now > 20.0:
            excess.append(world.local_pmf_mV("ATPSynthase") - world.pmf_mV)

    run.every(0.1, record)
    run.run_until(30.0)
    steady = float(np.mean([v for ti, v in zip(t, psi, strict=True) if ti > 20.0]))
    t90 = time_to_fraction(t, psi, steady)
    assert t90 is not None
    return t90, steady, float(np.mean(excess))


def test_a_surface_barrier_slows_energisation_but_not_the_steady_state() -> None:
    """Every source and sink of protons acts at a membrane surface, so in a steady state no net flux crosses the
    barrier and it cannot change that state; it only slows the bulk's filling. Prediction, written before the
    run: in state 4 (20–30 s) Δψ with a 15 kT barrier is within 3 mV of Δψ without one and the synthases' excess
    over the bulk Δp is within ±3 mV in both, while Δψ takes more than 5 times as long to reach 90 % of its
    steady value. Written for, and kept on, the pre-recalibration world (`FERMI_STACK`). (On the recalibrated
    defaults, measured, seed 3: 90 % after 2.0 s without the barrier and 2.5 s with it: mass action's own slow
    approach, not the bulk's filling, sets the time there.)"""
    t0, psi0, ex0 = _energised(3, 0.0)
    t15, psi15, ex15 = _energised(3, 15.0)
    assert abs(psi15 - psi0) < 3.0, (psi0, psi15)
    assert abs(ex0) < 3.0 and abs(ex15) < 3.0, (ex0, ex15)
    assert t15 > 5 * t0, (t0, t15)


@pytest.mark.parametrize(
    "params",
    [
        {"proton_access": "local", "surface_barrier_kT": 8.0},
        {"site_events": "batch"},
    ],
    ids=["local_access_and_barrier", "batched_moves"],
)
def test_transit_log_agrees_with_the_trace(params: dict) -> None:
    """The pump-to-rotor transits the world logs equal those rebuilt from the trace alone: each proton's last
    ``pump`` row into P, then its ``rotor_step`` row out of P (any other row in or out of P clears it); under
    local access with a barrier, and under batched moves, whose rows give a column per proton."""
    run = Run(3)
    world = MembraneWorld(run, d_proton_um2_s=100.0, atp_demand=1200.0, **params)
    log = world.track_transit()
    run.drive(world, world.dt)
    run.run_until(0.4)
    frame = run.trace.to_frame()
    rows = frame[frame["unit"] == "H+"].sort_values("seq")
    stamp: dict[int, tuple[float, int]] = {}
    rebuilt = []
    for uid, kind, src, dst, pos, t in zip(
        rows["entity_id"], rows["kind"], rows["src"], rows["dst"], rows["pos"], rows["t"], strict=True
    ):
        if dst == "P":
            if kind == "pump":
                stamp[uid] = (t, pos)
            else:
                stamp.pop(uid, None)
        elif src == "P":
            if kind == "rotor_step" and uid in stamp:
                t0, x0 = stamp[uid]
                dx = abs(int(pos) - int(x0))
                rebuilt.append((t, t - t0, min(dx, 60 - dx) * 50.0))
            stamp.pop(uid, None)
    rec = log.records()
    assert len(rebuilt) > 100
    got = sorted(zip(rec["t"].tolist(), rec["age_s"].tolist(), rec["distance_nm"].tolist(), strict=True))
    assert np.allclose(np.array(got), np.array(sorted(rebuilt)))


def test_a_wider_reach_relieves_starved_mouths() -> None:
    """The reach is a mechanism too: with slow diffusion (0.05 µm²/s) a site that draws on its own column only
    (reach 0) starves more than one that reaches 250 nm (5 columns either side), so over 1.5 s under ATP demand
    the wider reach consumes more O₂ and makes more ATP. Measured once before this test was written (seed 2):
    51 against 238 O₂ and −188 against 550 ATP; the bounds ask for much less (1.5× and +100)."""

    def run_with(reach_nm: float) -> dict:
        run = Run(2)
        world = MembraneWorld(run, d_proton_um2_s=0.05, proton_access="local", reach_nm=reach_nm, atp_demand=1200.0)
        run.drive(world, world.dt)
        run.run_until(1.5)
        return world.counters

    narrow, wide = run_with(0.0), run_with(250.0)
    assert wide["o2_consumed"] > 1.5 * narrow["o2_consumed"], (narrow["o2_consumed"], wide["o2_consumed"])
    assert wide["atp_made"] > narrow["atp_made"] + 100, (narrow["atp_made"], wide["atp_made"])


def test_bulk_access_ignores_positions() -> None:
    """Bulk access reads side totals only, so redrawing positions after each step changes no move: the trace of a
    lazy-walk world equals, row for row outside proton positions, that of its redrawn twin."""
    cols = ["t", "kind", "value", "energy_J"]
    frames = []
    for shuffle in (False, True):
        run, world = small_membrane_world(7, atp_demand=300.0)
        if shuffle:
            randomise_space(world, np.random.default_rng(0))
        for _ in range(300):
            world.step()
        frames.append(run.trace.to_frame()[cols])
    assert frames[0].equals(frames[1])


def test_space_parameters_are_validated() -> None:
    with pytest.raises(ValueError, match="proton_access"):
        MembraneWorld(proton_access="nearby")
    with pytest.raises(ValueError, match="d_proton_um2_s"):
        MembraneWorld(d_proton_um2_s=-1.0)
    with pytest.raises(ValueError, match="reach_nm"):
        MembraneWorld(reach_nm=float("nan"))
    with pytest.raises(ValueError, match="surface_barrier_kT"):
        MembraneWorld(surface_barrier_kT=5.0)  # no exact walk, bulk access: the barrier would do nothing
    with pytest.raises(ValueError, match="surface_barrier_kT"):
        MembraneWorld(d_proton_um2_s=100.0, proton_access="local", surface_barrier_kT=float("inf"))
