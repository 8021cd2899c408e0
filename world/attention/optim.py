"""Adam, the optimiser of the attention world (Kingma & Ba 2015), with optional global-norm clipping.

Key names: `Adam` (``step(params, grads)`` updates the arrays in place; ``t`` counts steps).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Adam"]


class Adam:
    """Adam with bias correction; updates parameter arrays in place.

    Args:
        lr: learning rate (≥ 0; 0 freezes the weights while the optimiser still "steps").
        betas: (β₁, β₂), each in [0, 1).
        eps: denominator guard, > 0.
        clip_norm: rescale gradients whose global L2 norm exceeds this (None = no clipping).
    """

    def __init__(
        self,
        lr: float = 3e-3,
        betas: tuple[float, float] = (0.9, 0.99),
        eps: float = 1e-8,
        clip_norm: float | None = None,
    ) -> None:
        if not (math.isfinite(lr) and lr >= 0):
            raise ValueError(f"lr(={lr}) must be a finite number ≥ 0")
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas(={betas}) must each lie in [0, 1)")
        if not eps > 0:
            raise ValueError(f"eps(={eps}) must be > 0")
        if clip_norm is not None and not clip_norm > 0:
            raise ValueError(f"clip_norm(={clip_norm}) must be > 0 or None")
        self.lr = float(lr)
        self.b1, self.b2 = map(float, betas)
        self.eps = float(eps)
        self.clip_norm = clip_norm
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float | None = None) -> None:
        """One update of every array in ``params`` (in place) from ``grads`` (same names).

        Args:
            params: name → parameter array, updated in place.
            grads: name → gradient.
            lr: learning rate for this step only (schedules); default ``self.lr``.
        """
        lr = self.lr if lr is None else float(lr)
        scale = 1.0
        if self.clip_norm is not None:
            norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
            if norm > self.clip_norm:
                scale = self.clip_norm / norm
        self.t += 1
        c1 = 1.0 - self.b1**self.t
        c2 = 1.0 - self.b2**self.t
        for name, p in params.items():
            g = grads[name] * scale
            if name not in self.m:
                self.m[name] = np.zeros_like(p)
                self.v[name] = np.zeros_like(p)
            m, v = self.m[name], self.v[name]
            m *= self.b1
            m += (1.0 - self.b1) * g
            v *= self.b2
            v += (1.0 - self.b2) * g * g
            p -= lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
