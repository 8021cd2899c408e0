"""Space in the membrane world: the diffusion law, the well-mixed limit, space that matters, dt convergence.

Observables are window averages (5 windows of 0.1 s after 0.3 s of energising, `SMALL_WORLD` with an ATP demand of
300/s); a standard error (SE) is the spread of the windows / √5. Tolerances are stated in each test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.carriers import CarrierPool
from world.clock import Run
from world.membrane import SMALL_WORLD, MembraneWorld
from world.membrane.geometry import N_SIDE, Geometry, ProtonLattice

KEYS = ("ocr", "atp_rate", "delta_psi_mV")


def _measure(seed: int, reshuffle: bool = False, dt: float = 1e-3, **kw: float) -> dict[str, tuple[float, float]]:
    """(mean, SE) of OCR, ATP rate and Δψ; `reshuffle` moves every proton and carrier to a uniformly random place
    after every step, drawn from a generator of its own."""
    world = MembraneWorld(Run(seed), dt=dt, **{**SMALL_WORLD, "atp_demand": 300.0, **kw})
    other = np.random.default_rng(1000 + seed)

    def advance(seconds: float) -> None:
        for _ in range(round(seconds / dt)):
            world.step()
            if reshuffle:
                world.reshuffle(other)

    advance(0.3)
    windows = []
    for _ in range(5):
        a = world.snapshot()
        advance(0.1)
        windows.append(world.window(a, world.snapshot()))
    return {k: (float(np.mean([w[k] for w in windows])), float(np.std([w[k] for w in windows], ddof=1) / 5**0.5))
            for k in KEYS}  # fmt: skip


def _z(a: dict, b: dict, key: str) -> float:
    """Difference a − b in units of the combined standard error."""
    return (a[key][0] - b[key][0]) / max(math.hypot(a[key][1], b[key][1]), 1e-9)


def test_proton_mean_square_displacement_is_4Dt() -> None:
    """Free protons far from the walls: ⟨Δx² + Δd²⟩ = 4·D·t within 5 % (20 000 protons, 50 steps; SE ≈ 0.7 %)."""
    d_um2_s, dt, steps = 2.0, 1e-3, 50
    geom = Geometry(1e6, 1e5, 1e5, 50.0, 100.0, 1)
    lat = ProtonLattice(geom, 10, 10, 10, 20_000, 0, 0, np.random.default_rng(0))
    lat.dn[:] = 5e4  # mid-band: the walls are > 100 σ away
    d0 = lat.dn.copy()
    unwrapped = np.zeros_like(d0)
    for _ in range(steps):
        before = lat.xn.copy()
        lat.diffuse(d_um2_s, dt)
        step = lat.xn - before
        unwrapped += step - geom.length_nm * np.round(step / geom.length_nm)
    msd_um2 = np.mean(unwrapped**2 + (lat.dn - d0) ** 2) * 1e-6
    assert np.all(lat.comp == N_SIDE)
    assert msd_um2 == pytest.approx(4 * d_um2_s * steps * dt, rel=0.05)


def test_quinone_mean_square_displacement_is_2Dt_along_the_membrane() -> None:
    """Quinones move along the membrane line: ⟨Δx²⟩ = 2·D·t within 5 % (20 000 molecules, 40 steps)."""
    d_um2_s, dt, steps = 100.0, 1e-4, 40
    pool = CarrierPool(20_000, 1e6, np.random.default_rng(1))
    moved = np.zeros(20_000)
    for _ in range(steps):
        before = pool.x_nm.copy()
        pool.diffuse(d_um2_s, dt)
        step = pool.x_nm - before
        moved += step - 1e6 * np.round(step / 1e6)
    assert np.mean(moved**2) * 1e-6 == pytest.approx(2 * d_um2_s * steps * dt, rel=0.05)


def test_reflection_keeps_the_band_uniform() -> None:
    """Reflected Gaussian steps keep a uniform band uniform (the stationary law of reflected Brownian motion):
    the mean depth stays H/2 within 1 % after 200 steps of 20 000 protons."""
    geom = Geometry(3000.0, 1000.0, 500.0, 50.0, 100.0, 20)
    lat = ProtonLattice(geom, 60, 20, 10, 20_000, 0, 0, np.random.default_rng(2))
    for _ in range(200):
        lat.diffuse(5.0, 1e-3)
    assert lat.dn.min() >= 0 and lat.dn.max() <= 1000.0
    assert np.mean(lat.dn) == pytest.approx(500.0, rel=0.01)


@pytest.mark.slow
def test_well_mixed_limit_agrees_with_a_reshuffled_run() -> None:
    """With fast diffusion of protons and carriers (10⁴ µm²/s, no surface barrier), OCR, ATP rate and Δψ agree with
    the same world whose protons and carriers are reshuffled uniformly every step: |difference| < 4 combined SE."""
    fast = {"d_quinone_um2_s": 1e4, "d_cytc_um2_s": 1e4}
    mixed = _measure(1, **fast)
    shuffled = _measure(1, reshuffle=True, **fast)
    for key in KEYS:
        assert abs(_z(mixed, shuffled, key)) < 4, (key, mixed[key], shuffled[key])


@pytest.mark.slow
def test_space_matters_when_protons_diffuse_slowly() -> None:
    """Prediction, stated before measuring: with protons nearly immobile (D = 10⁻³ µm²/s) pumps deplete their N
    mouths and crowd their P mouths while synthases drain theirs, so Δψ and the ATP rate are lower than in the same
    world reshuffled every step, by more than 3 and 2 combined SE respectively; reshuffling restores the well-mixed
    values (Δψ within 4 SE of the fast-diffusion world)."""
    slow = _measure(1, d_proton_um2_s=1e-3)
    slow_shuffled = _measure(1, reshuffle=True, d_proton_um2_s=1e-3)
    assert _z(slow, slow_shuffled, "delta_psi_mV") < -3
    assert _z(slow, slow_shuffled, "atp_rate") < -2
    fast = _measure(1)
    assert abs(_z(slow_shuffled, fast, "delta_psi_mV")) < 4


@pytest.mark.slow
def test_halving_dt_changes_results_by_less_than_sampling_error() -> None:
    """dt = 1 ms and 0.5 ms give the same OCR, ATP rate and Δψ within 3 combined SE (the 2-mV bound of the issue
    is below this test's sampling error of ≈ 3–4 mV and is not what it checks)."""
    coarse = _measure(2)
    fine = _measure(2, dt=5e-4)
    for key in KEYS:
        assert abs(_z(coarse, fine, key)) < 3, (key, coarse[key], fine[key])
