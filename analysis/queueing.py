"""Confidence intervals for steady-state means of correlated simulation output (queue waits, latencies).

Key names: `batch_means_ci`.

Successive waits in a queue are correlated, so the i.i.d. standard error is too small. The method of batch
means cuts the series (in arrival order) into ``n_batches`` contiguous batches, takes each batch's mean and
treats the batch means as independent: a Student-t interval with ``n_batches − 1`` degrees of freedom (Law &
Kelton, *Simulation Modeling and Analysis*, § 9.5.3). Batches must be long against the correlation time
(≈ 1/(1 − ρ)² service times for a single-server queue at load ρ).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["batch_means_ci"]


def batch_means_ci(x: np.ndarray, n_batches: int = 20, level: float = 0.99) -> tuple[float, float]:
    """Mean of ``x`` and the half-width of its batch-means confidence interval at ``level``.

    Args:
        x: the series in time order (the tail of a run after warm-up).
        n_batches: number of contiguous batches (≥ 2); the remainder of ``len(x) / n_batches`` is dropped
            from the start of the series.
        level: two-sided confidence level in (0, 1).

    Returns:
        (mean of the batch means, half-width).
    """
    x = np.asarray(x, dtype=float)
    if n_batches < 2 or len(x) < n_batches:
        raise ValueError(f"n_batches(={n_batches}) must be ≥ 2 and ≤ len(x)(={len(x)})")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level(={level}) must lie in (0, 1)")
    m = len(x) // n_batches
    means = x[len(x) - m * n_batches :].reshape(n_batches, m).mean(axis=1)
    half = float(stats.t.ppf(0.5 + level / 2, n_batches - 1) * means.std(ddof=1) / math.sqrt(n_batches))
    return float(means.mean()), half
