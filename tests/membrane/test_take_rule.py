"""Which protons a transporter takes (bulk access) follows one documented rule, the same on every machine.

`ProtonLattice.take` hands out the `k` mouth-row protons nearest the site's column (periodic), ties by candidate
order (proton index; the candidates are the side's mouth row when the step first draws on it), falling back to
the nearest anywhere in the band when the row runs short. Before this rule
the choice was numpy's `argpartition`, whose tie order depends on the SIMD code it dispatches to (AVX-512, AVX2,
baseline): the simulated numbers agreed across machines but the trace's proton ids did not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from world.membrane.geometry import N_SIDE, ProtonLattice

ROOT = Path(__file__).resolve().parents[2]


def _reference_take(lat: ProtonLattice, side: int, x0: int, k: int, cand: list[int], taken: set[int]) -> list[int]:
    """The rule written out in plain Python: the k available candidates nearest x0, ties by index; if fewer are
    available, the k protons of the side nearest the mouth cell anywhere in the band, ties by index."""
    w = lat.width

    def ring(i: int) -> int:
        d = abs(int(lat.x[i]) - x0)
        return min(d, w - d)

    avail = [i for i in cand if i not in taken]
    if len(avail) >= k:
        return sorted(avail, key=lambda i: (ring(i), i))[:k]
    row = lat.membrane_row - 1 if side == N_SIDE else lat.membrane_row + 1
    on_side = [i for i in range(lat.size) if lat.comp[i] == side]
    return sorted(on_side, key=lambda i: (ring(i) + abs(int(lat.y[i]) - row), i))[:k]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_bulk_take_is_the_documented_rule(seed: int) -> None:
    """Many takes of 1–6 protons at random columns, each followed by its move as a transfer does, between
    diffusion steps: every set and order of protons taken equals the plain-Python rule, including the fall-back
    when the mouth row runs out (few protons in a narrow lattice make ties and shortages common) and protons
    that left a side and came back within the step (a fall-back once booked those in the wrong bucket)."""
    rng = np.random.default_rng(seed)
    lat = ProtonLattice(12, 3, 3, 40, 40, 50, rng)
    checked = fallback = 0
    for _ in range(60):
        lat.diffuse()
        taken: dict[int, set[int]] = {0: set(), 1: set()}  # per side: a proton taken from N may be a P candidate
        cand: dict[int, list[int]] = {}
        for _ in range(12):  # enough for protons to leave a side and come back within a step
            side = int(rng.integers(0, 2))
            x0 = int(rng.integers(0, lat.width))
            k = int(rng.integers(1, 7))
            if lat.counts[side] < k:
                assert lat.take(side, x0, k) is None
                continue
            if side not in cand:  # the side's mouth row when it is first drawn on after a diffusion step
                row = lat.membrane_row - 1 if side == N_SIDE else lat.membrane_row + 1
                cand[side] = [int(i) for i in np.flatnonzero((lat.comp == side) & (lat.y == row))]
            fallback += len([i for i in cand[side] if i not in taken[side]]) < k
            want = _reference_take(lat, side, x0, k, cand[side], taken[side])
            got = lat.take(side, x0, k)
            assert got is not None and got.tolist() == want
            taken[side].update(want)
            lat.move(got, 1 - side, x0)
            checked += 1
    assert checked > 300 and fallback > 50  # both branches were exercised


def _trace_digest(env_extra: dict[str, str]) -> str:
    code = (
        "import hashlib\n"
        "from world.clock import Run\n"
        "from world.membrane import MembraneWorld\n"
        "run = Run(3)\n"
        "w = MembraneWorld(run)\n"
        "run.drive(w, w.dt)\n"
        "run.run_until(0.2)\n"
        "w.set_atp_demand(600.0)\n"
        "run.run_until(0.4)\n"
        "t = run.trace.to_table()\n"
        "print(hashlib.sha256(repr([t.column(c).to_pylist() for c in t.column_names]).encode()).hexdigest())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), **env_extra)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_trace_is_the_same_whatever_simd_numpy_uses() -> None:
    """The same world and seed with numpy's dispatched SIMD extensions (AVX-512, AVX2 and the like) switched off
    one level at a time (NPY_DISABLE_CPU_FEATURES), as on an older CPU: every trace column is identical. With
    `argpartition` choosing the protons this failed on an AVX-512 machine (three different proton-id sequences)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    available = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    if not available:
        pytest.skip("this CPU has no SIMD level above numpy's baseline to switch off")
    variants = [available[i:] for i in range(len(available))]  # drop the highest levels first
    digests = {" ".join(v): _trace_digest({"NPY_DISABLE_CPU_FEATURES": " ".join(v)}) for v in variants}
    digests["(all on)"] = _trace_digest({})
    assert len(set(digests.values())) == 1, digests
