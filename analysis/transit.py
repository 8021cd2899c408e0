"""Pump-to-rotor proton transits: how old pumped protons are when synthases take them, by distance.

Key names: `transit_ages`, `DISTANCE_BINS_NM`.

Input: the records of `world.membrane.transit.TransitLog.records` (or the same columns rebuilt from a trace's
``pump`` and ``rotor_step`` rows): ``t`` (s), ``age_s`` and ``distance_nm``. Pure function, no world.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

DISTANCE_BINS_NM = (0.0, 250.0, 500.0, 1000.0, 1500.0)
"""Default pump–rotor distance bins (nm; the default patch is 3 µm around, so 1.5 µm is the farthest)."""


def transit_ages(
    records: Mapping[str, np.ndarray],
    t0: float,
    t1: float,
    d_um2_s: float,
    bins_nm: Sequence[float] = DISTANCE_BINS_NM,
) -> dict[str, Any]:
    """Transit ages (ms) of the transits completed in ``(t0, t1]``: count, median and mean overall, and per
    distance bin the count and median age next to the time lateral diffusion with coefficient `d_um2_s` needs
    to cover the bin centre, ``d²/(2D)`` (ms; one dimension, along the membrane)."""
    sel = (records["t"] > t0) & (records["t"] <= t1)
    age = np.asarray(records["age_s"])[sel] * 1e3
    dist = np.asarray(records["distance_nm"])[sel]
    bins = []
    for lo, hi in itertools.pairwise(bins_nm):
        m = (dist >= lo) & (dist < hi)
        mid_um = (lo + hi) / 2e3
        bins.append(
            {
                "distance_nm": [lo, hi],
                "n": int(m.sum()),
                "median_age_ms": float(np.median(age[m])) if m.any() else None,
                "diffusion_time_ms": 1e3 * mid_um**2 / (2 * d_um2_s),
            }
        )
    return {
        "n": int(age.size),
        "median_age_ms": float(np.median(age)) if age.size else None,
        "mean_age_ms": float(age.mean()) if age.size else None,
        "by_distance": bins,
    }
