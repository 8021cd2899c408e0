"""The crista geometry: a narrow P-side lumen over part of the membrane (docs/membrane.md, "Crista").

Tolerances and predictions are written in each test's docstring. The transit test's prediction and margin were
set from the mechanism (below); an exploratory run with seeds 1–3 came first (docs/membrane.md gives its
numbers), and the test runs other seeds.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from world.clock import Run
from world.membrane import MembraneWorld
from world.membrane.diffusion import BandDomain, BandKernel, DomainKernel, RingKernel, hop_rate
from world.membrane.geometry import P_SIDE, ProtonLattice
from world.membrane.params import MembraneParams
from world.testing import states_4_and_3


def _generator(width: int, rows: int, cols: int, open_rows: int, lam: float, gate: float = 1.0) -> np.ndarray:
    """The walk's generator over every cell of the band (closed cells kept, with no bonds), written cell by
    cell: a bond joins two open neighbours; the bond between rows 0 and 1 goes at `gate`·λ."""
    n = width * rows
    q = np.zeros((n, n))

    def is_open(x: int, r: int) -> bool:
        return 0 <= r < rows and (r < open_rows or x >= cols)

    for r in range(rows):
        for x in range(width):
            if not is_open(x, r):
                continue
            for dx, dr in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                x2, r2 = (x + dx) % width, r + dr
                if is_open(x2, r2):
                    rate = lam * (gate if {r, r2} == {0, 1} else 1.0)
                    q[r * width + x, r2 * width + x2] += rate
                    q[r * width + x, r * width + x] -= rate
    return q


@pytest.mark.parametrize(("width", "rows", "cols", "open_rows"), [(6, 4, 3, 1), (7, 5, 6, 2), (5, 3, 1, 1)])
@pytest.mark.parametrize("lam", [0.0, 0.3, 4.0, 3720.0])
@pytest.mark.parametrize("gate", [1.0, 1e-3])
def test_domain_kernel_is_the_exact_master_equation_solution(
    width: int, rows: int, cols: int, open_rows: int, lam: float, gate: float
) -> None:
    """The crista band's kernel equals exp(Q·dt) of a generator written cell by cell (scipy's expm) to 1e-12,
    with and without a surface gate, and two steps of λ are one of 2λ (Chapman–Kolmogorov)."""
    d = BandDomain(width, rows, cols, open_rows)
    g = None if gate == 1.0 else (0, gate)
    k = DomainKernel(d, lam, g)
    full = scipy.linalg.expm(_generator(width, rows, cols, open_rows, lam, gate))
    flat = np.flatnonzero(d.open)
    assert np.abs(k.P - full[np.ix_(flat, flat)]).max() < 1e-12
    assert np.abs(DomainKernel(d, 2 * lam, g).P - k.P @ k.P).max() < 1e-12


@pytest.mark.parametrize("lam", [0.2, 7.0])
def test_without_closed_cells_the_domain_kernel_is_ring_times_band(lam: float) -> None:
    """A 'crista' as deep as the band closes nothing: its kernel is the product of the ring's and the band's
    (the rectangular band's exact walk, which factorises into x and y), to 1e-12."""
    width, rows = 8, 4
    k = DomainKernel(BandDomain(width, rows, width, rows), lam)
    ring, band = RingKernel(width, lam), BandKernel(rows, lam)
    x = np.arange(width * rows) % width
    r = np.arange(width * rows) // width
    prod = ring.p[(x[None, :] - x[:, None]) % width] * band.P[r[:, None], r[None, :]]
    assert np.abs(k.P - prod).max() < 1e-12


def test_protons_in_the_lumen_spread_along_it_at_their_diffusion_coefficient() -> None:
    """20 000 P-side protons start in one cell of a one-row lumen (a crista of 398 of 400 columns, the band
    4 rows deep elsewhere); after 0.5 s at D = 1 µm²/s (cells of 50 nm) their mean-square displacement along the
    membrane is 2·D·t = 1 µm² within 5 %, for 5 000 or 50 steps, and none leaves the lumen's row (the junction
    is ≈ 10 µm-spreads' worth of cells away)."""
    d, t, cell = 1.0, 0.5, 50.0
    for dt in (1e-4, 1e-2):
        lat = ProtonLattice(400, 2, 4, 0, 20_000, 0, np.random.default_rng(12), crista=(398, 1))
        lat.x[:] = 200
        lat.y[:] = 3
        lat.set_diffusion(hop_rate(d, cell) * dt)
        for _ in range(round(t / dt)):
            lat.diffuse()
        assert np.all(lat.y == 3)
        msd = (((lat.x - 200.0) * cell * 1e-3) ** 2).mean()
        assert msd == pytest.approx(2 * d * t, rel=0.05), dt


@pytest.mark.parametrize(
    "space",
    [{}, {"d_proton_um2_s": 300.0, "d_cytc_um2_s": 30.0, "proton_access": "local"}],
    ids=["lazy walks", "exact walks"],
)
def test_protons_and_cytochrome_c_keep_to_the_open_cells(space: dict) -> None:
    """A world with a crista of 1.5 µm (30 of 60 columns) and a 100 nm lumen (one row of 50 nm cells over the
    crista, ten elsewhere): at the start and after each of 300 steps every free P-side proton and every
    cytochrome c sits in an open cell; at the start the lumen's share of the P protons is its share of the open
    cells, 30/330, within 4 standard errors."""
    world = MembraneWorld(seed=3, crista_length_nm=1500.0, **space)
    lat, c = world.lattice, world.cytc
    assert world.params.crista == (30, 1) and world.params.p_band_cells == 330
    base = lat.membrane_row + 1
    p = lat.comp == P_SIDE
    share = float((lat.x[p] < 30).mean())
    assert abs(share - 30 / 330) < 4 * np.sqrt(30 / 330 * 300 / 330 / p.sum())
    for _ in range(300):
        p = lat.comp == P_SIDE
        assert lat.crista is not None and lat.crista.is_open(lat.x[p], lat.y[p] - base).all()
        assert lat.crista.is_open(c.x, c.y - c.y_lo).all()
        world.step()


def test_crista_lengths_are_validated_naming_the_value() -> None:
    """A crista must be whole cells long, shorter than the membrane, with half its lumen whole cells and
    fewer than the P band's rows; a lumen without a crista is refused."""
    for kwargs, name in [
        ({"crista_length_nm": 75.0}, "crista_length_nm"),
        ({"crista_length_nm": 3000.0}, "crista_length_nm"),
        ({"crista_length_nm": 500.0, "crista_lumen_nm": 150.0}, "crista_lumen_nm"),
        ({"crista_length_nm": 500.0, "crista_lumen_nm": 1000.0}, "crista_lumen_nm"),
        ({"crista_lumen_nm": 100.0}, "crista_lumen_nm"),
        ({"crista_length_nm": -50.0}, "crista_length_nm"),
    ]:
        with pytest.raises(ValueError, match=name):
            MembraneParams(**kwargs)
    p = MembraneParams(cell_nm=10.0, crista_length_nm=400.0, crista_lumen_nm=20.0)
    assert p.crista == (40, 1) and p.volume_p_L == pytest.approx(p.p_band_cells * 1e-24 * 60e-9 * 1e3)


def _windows(seed: int, crista: bool, d: float) -> tuple[dict, dict]:
    run = Run(seed)
    world = MembraneWorld(
        run, d_proton_um2_s=d, proton_access="local", **({"crista_length_nm": 1500.0} if crista else {})
    )
    s4, s3 = states_4_and_3(run, world, (0.5, 2.0), (2.5, 4.0))
    run.run_until(4.0)
    return s4, s3


def test_with_fast_diffusion_the_crista_gives_the_flat_answer() -> None:
    """Limit where the crista must not matter: free-H⁺ diffusion (9 300 µm²/s) mixes the lumen with the rest of
    the P band within a step, and the P side's pH and buffer do not depend on its shape, so Δψ, OCR and ATP
    synthesis in state 4 and state 3 (1 200 ATP/s) agree with the flat membrane's: Δψ within 3 mV, the rates
    within 3 combined Poisson standard errors (1.5 s windows), for each of two seeds."""
    for seed in (4, 5):
        flat = _windows(seed, False, 9300.0)
        cr = _windows(seed, True, 9300.0)
        for a, b in zip(flat, cr, strict=True):
            assert abs(a["delta_psi_mV"] - b["delta_psi_mV"]) < 3.0, (a, b)
            for key in ("ocr", "atp_rate"):
                se = np.hypot(np.sqrt(max(a[key], 1.0) / 1.5), np.sqrt(max(b[key], 1.0) / 1.5))
                assert abs(a[key] - b[key]) < 3 * se, (key, a[key], b[key], se)


def _transit_ages(seed: int, d: float) -> tuple[float, float]:
    """Median age (ms) of the pumped protons the synthases take in the crista (columns 0–29) and on the
    boundary membrane (30–59), over 1.5 s of state 3 (1 200 ATP/s) after 1 s to settle."""
    world = MembraneWorld(
        seed=seed, d_proton_um2_s=d, proton_access="local", atp_demand=1200.0, crista_length_nm=1500.0
    )
    for _ in range(1000):
        world.step()
    log = world.track_transit()
    for _ in range(1500):
        world.step()
    r = log.records()
    inside = r["rotor_x"] < 30
    age = r["age_s"] * 1e3
    assert inside.sum() > 300 and (~inside).sum() > 300
    return float(np.median(age[inside])), float(np.median(age[~inside]))


def test_slow_diffusion_makes_the_crista_hold_pumped_protons_near_its_rotors() -> None:
    """Where the crista must matter. Mechanism: a synthase takes protons only from the row at its mouth; in the
    one-row lumen every proton is in that row, while on the boundary a pumped proton spends ≈ 9 of 10 moments in
    the rows behind it. With slow (buffered) diffusion, D = 1 µm²/s, nothing mixes the two regions within a
    proton's life, so the crista's rotors take protons pumped much more recently: median age at crista rotors
    below half the boundary's. With free-H⁺ diffusion (9 300 µm²/s) the regions mix within a step and the two
    medians agree within a factor 1.25."""
    inside, outside = _transit_ages(6, 1.0)
    assert inside < 0.5 * outside, (inside, outside)
    inside, outside = _transit_ages(6, 9300.0)
    assert 0.8 < inside / outside < 1.25, (inside, outside)


def test_local_pmf_by_region_splits_the_synthases() -> None:
    """`local_pmf_mV(region=...)` averages over the synthases in the crista's columns or the others: weighted by
    their numbers the two give the mean over all synthases (to 1e-9); a region holding no synthase gives NaN; a
    region in a flat world, or an unknown one, is refused naming the value."""
    world = MembraneWorld(seed=2, crista_length_nm=1500.0, d_proton_um2_s=100.0, proton_access="local")
    for _ in range(20):
        world.step()
    xs = [m.x for m in world.groups_by_name()["ATPSynthase"]]
    n_in = sum(x < 30 for x in xs)
    assert 0 < n_in < len(xs)
    both = n_in * world.local_pmf_mV(region="crista") + (len(xs) - n_in) * world.local_pmf_mV(region="boundary")
    assert both / len(xs) == pytest.approx(world.local_pmf_mV(), abs=1e-9)
    narrow = MembraneWorld(seed=2, crista_length_nm=50.0, proton_access="local")
    assert all(m.x >= 1 for m in narrow.groups_by_name()["ATPSynthase"])
    assert np.isnan(narrow.local_pmf_mV(region="crista"))
    with pytest.raises(ValueError, match="region"):
        MembraneWorld(seed=2, proton_access="local").local_pmf_mV(region="crista")
    with pytest.raises(ValueError, match="region"):
        world.local_pmf_mV(region="lumen")
