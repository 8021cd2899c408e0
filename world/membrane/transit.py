"""Pump-to-rotor proton transit: how long and how far a pumped proton travels before a synthase takes it.

Key names: `TransitLog`.

Switched on per world with `MembraneWorld.track_transit()`. Every proton that arrives on the P side through a
pump row (complexes I, III and IV, including the two protons complex III releases from QH₂) is stamped with
the time and column; any other arrival on P, or any departure from P, clears the stamp. When a synthase takes
a stamped proton (a ``rotor_step`` row out of P) the log records its age (time since pumping) and the lateral
distance between pump and rotor (periodic, in nm) and the rotor's column. The same numbers follow from the
trace alone (``pump`` and ``rotor_step`` rows of one ``entity_id``); `tests/membrane/test_space.py` checks that
they agree.
"""

from __future__ import annotations

import numpy as np


class TransitLog:
    """Stamps of pumped P-side protons and the transits recorded when synthases take them.

    Args:
        n: proton equivalents in the lattice (grows with `grow`).
        width: lattice columns (distances are periodic).
        cell_nm: cell edge (nm).
    """

    def __init__(self, n: int, width: int, cell_nm: float) -> None:
        self.stamp_t = np.full(n, np.nan)
        self.stamp_x = np.zeros(n, dtype=np.int64)
        self.width = width
        self.cell_nm = cell_nm
        self._t: list[np.ndarray] = []
        self._age: list[np.ndarray] = []
        self._dist: list[np.ndarray] = []
        self._x: list[np.ndarray] = []

    def grow(self, k: int) -> None:
        """Room for `k` more proton equivalents (the lattice's reserve grew)."""
        self.stamp_t = np.concatenate([self.stamp_t, np.full(k, np.nan)])
        self.stamp_x = np.concatenate([self.stamp_x, np.zeros(k, dtype=np.int64)])

    def moved(self, idx: np.ndarray, kind: str, src: str, dst: str, x0: int | np.ndarray, t: float) -> None:
        """Update stamps (and record transits) for protons `idx` moved from `src` to `dst` by a `kind` row at
        column `x0` (one for all, or one per proton)."""
        if dst == "P":
            if kind == "pump":
                self.stamp_t[idx] = t
                self.stamp_x[idx] = x0
            else:
                self.stamp_t[idx] = np.nan
        elif src == "P":
            if kind == "rotor_step":
                has = ~np.isnan(self.stamp_t[idx])
                stamped = idx[has]
                if stamped.size:
                    xr = np.broadcast_to(np.asarray(x0, dtype=np.int64), idx.shape)[has]
                    dx = np.abs(self.stamp_x[stamped] - xr)
                    self._t.append(np.full(stamped.size, t))
                    self._age.append(t - self.stamp_t[stamped])
                    self._dist.append(np.minimum(dx, self.width - dx) * self.cell_nm)
                    self._x.append(xr.copy())
            self.stamp_t[idx] = np.nan

    def records(self) -> dict[str, np.ndarray]:
        """Transits so far: ``t`` (s, when the rotor took the proton), ``age_s``, ``distance_nm`` and
        ``rotor_x`` (the rotor's column)."""

        def cat(parts: list[np.ndarray], dtype: type = float) -> np.ndarray:
            return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

        return {
            "t": cat(self._t),
            "age_s": cat(self._age),
            "distance_nm": cat(self._dist),
            "rotor_x": cat(self._x, int),
        }
