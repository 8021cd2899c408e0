"""Report of the `ehrenfest` scenario: the urn's imbalance against its exact mean, and its entropy.

Key names: `report_ehrenfest`, `fit_relaxation_rate`.

The imbalance n_left − N/2 decays on average as (N/2)(1 − 2p)^k, a straight line on a logarithmic axis;
`fit_relaxation_rate` fits ln(imbalance) against the step count over the samples far above the equilibrium
noise (the scenario's own rule), with the standard error of the slope, and the figure draws the fitted line
with a ±2 standard-error band next to the exact mean and the noise level √N/2.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from analysis.report import Section, legend_outside, note_box, save_figure, write_report
from world.trace import read_metrics

NOISE_MULTIPLE = 5.0
"""Samples count for the fit while the imbalance exceeds this many √N (the scenario uses the same rule)."""


def fit_relaxation_rate(steps: np.ndarray, imbalance: np.ndarray, n_balls: int, dt: float) -> dict[str, float] | None:
    """Least-squares fit of ln(imbalance) = a − λ·dt·k over the samples above `NOISE_MULTIPLE`·√N.

    Returns:
        ``rate_per_s`` (λ), its standard error ``rate_se_per_s`` (from the slope's; the samples of one run are
        correlated, so this is a lower bound of the true uncertainty), ``intercept`` (a) and ``n_points``;
        None with fewer than 3 usable samples.
    """
    usable = np.asarray(imbalance, float) > NOISE_MULTIPLE * math.sqrt(n_balls)
    if usable.sum() < 3:
        return None
    k = np.asarray(steps, float)[usable]
    fit = stats.linregress(k, np.log(np.asarray(imbalance, float)[usable]))
    return {
        "rate_per_s": -fit.slope / dt,
        "rate_se_per_s": fit.stderr / dt,
        "intercept": fit.intercept,
        "n_points": int(usable.sum()),
        "k_max": float(k.max()),
    }


def _relaxation_figure(out_dir: Path, m: pd.DataFrame, summary: dict[str, Any]) -> tuple[str, dict | None]:
    p, res = summary["params"], summary["results"]
    n, dt = res["n_balls"], p["dt"]
    steps = np.rint(m.index.to_numpy(float) / dt)
    imbalance = m["imbalance"].to_numpy(float)
    fit = fit_relaxation_rate(steps, imbalance, n, dt)
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    positive = imbalance > 0
    ax.semilogy(m.index[positive], imbalance[positive], ".", ms=3, color="C0", label="simulated n_left − N/2 (> 0)")
    ax.semilogy(m.index, m["expected_imbalance"], "-", color="k", lw=1.0, label="exact mean (N/2)(1−2p)^k")
    ax.axhline(math.sqrt(n) / 2, color="0.5", ls=":", label="equilibrium noise √N/2")
    if fit is not None:
        k = np.linspace(0.0, fit["k_max"], 50)
        rate, se = fit["rate_per_s"], fit["rate_se_per_s"]
        centre = np.exp(fit["intercept"] - rate * dt * k)
        lo = np.exp(fit["intercept"] - (rate + 2 * se) * dt * k)
        hi = np.exp(fit["intercept"] - (rate - 2 * se) * dt * k)
        ax.fill_between(k * dt, lo, hi, color="C3", alpha=0.25, lw=0, label="fit ± 2 se of the rate")
        ax.semilogy(k * dt, centre, "--", color="C3", lw=1.2, label="fitted exponential")
        note_box(
            fig,
            [
                f"fitted λ = {rate:.5g} ± {se:.2g} 1/s",
                f"exact −ln(1−2p)/dt = {res['exact_relaxation_rate_per_s']:.5g} 1/s",
                f"(fit over {fit['n_points']} samples above {NOISE_MULTIPLE:g}√N)",
            ],
            x=0.92,
            y=0.2,
        )
    ax.set_ylim(bottom=0.5)  # below one ball the exact mean is no longer observable
    ax.set_xlabel("t (s)")
    ax.set_ylabel("imbalance (balls, log scale)")
    legend_outside(ax)
    return save_figure(fig, out_dir, "imbalance"), fit


def report_ehrenfest(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and two figures for an `ehrenfest` run."""
    m = read_metrics(out_dir, wide=True)
    res = summary["results"]
    relax, fit = _relaxation_figure(Path(out_dir), m, summary)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(m.index, m["mixing_entropy_nats"], label="ln C(N, n_left)")
    ax.axhline(res["max_mixing_entropy_nats"], color="grey", ls=":", label="maximum (equilibrium)")
    ax.set_xlabel("t (s)")
    ax.set_ylabel("entropy (nats)")
    legend_outside(ax)
    entropy = save_figure(fig, out_dir, "entropy")
    nan = float("nan")
    rates = pd.DataFrame(
        {
            "quantity": [
                "relaxation rate, fitted",
                "its standard error (slope; a lower bound)",
                "relaxation rate, exact −ln(1−2p)/dt",
                "final entropy / maximum",
            ],
            "value": [
                res["fitted_relaxation_rate_per_s"] or nan,
                fit["rate_se_per_s"] if fit else nan,
                res["exact_relaxation_rate_per_s"],
                # one ball has a single arrangement per split: its maximum entropy is 0 and the ratio undefined
                res["final_mixing_entropy_nats"] / res["max_mixing_entropy_nats"]
                if res["max_mixing_entropy_nats"] > 0
                else float("nan"),
            ],
            "unit": ["1/s", "1/s", "1/s", "1"],
        }
    )
    sections = [
        Section(
            "Relaxation",
            [
                "All balls start in the left box: the largest gradient. Each step every ball changes box with "
                "probability p, so the mean imbalance decays exactly as (1−2p)^k — a straight line on the "
                "logarithmic axis — and the entropy rises to ln C(N, N/2). The rate is fitted to ln(imbalance) while "
                f"the imbalance is above {NOISE_MULTIPLE:g}√N; its standard error is the least-squares one, which "
                "treats the samples as independent (successive samples of one run are not), so it is a lower bound.",
            ],
            [rates],
            [relax, entropy],
        )
    ]
    return write_report(out_dir, "Ehrenfest urn", summary, sections)
