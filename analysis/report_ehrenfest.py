"""Report of the `ehrenfest` scenario: the urn's imbalance against its exact mean, and its entropy.

Key names: `report_ehrenfest`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from analysis.report import Section, save_figure, write_report
from world.trace import read_metrics


def report_ehrenfest(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and two figures for an `ehrenfest` run."""
    m = read_metrics(out_dir).pivot_table(index="t", columns="metric", values="value")
    res = summary["results"]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(m.index, m["imbalance"], label="simulated n_left − N/2")
    ax.plot(m.index, m["expected_imbalance"], "--", label="exact mean N/2·(1−2p)^k")
    ax.set_xlabel("t (s)")
    ax.set_ylabel("imbalance (balls)")
    ax.legend()
    relax = save_figure(fig, out_dir, "imbalance")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(m.index, m["mixing_entropy_nats"], label="ln C(N, n_left)")
    ax.axhline(res["max_mixing_entropy_nats"], color="grey", ls=":", label="maximum (equilibrium)")
    ax.set_xlabel("t (s)")
    ax.set_ylabel("entropy (nats)")
    ax.legend()
    entropy = save_figure(fig, out_dir, "entropy")
    rates = pd.DataFrame(
        {
            "quantity": ["relaxation rate, fitted", "relaxation rate, exact −ln(1−2p)/dt", "final entropy / maximum"],
            "value": [
                res["fitted_relaxation_rate_per_s"] or float("nan"),
                res["exact_relaxation_rate_per_s"],
                # one ball has a single arrangement per split: its maximum entropy is 0 and the ratio undefined
                res["final_mixing_entropy_nats"] / res["max_mixing_entropy_nats"]
                if res["max_mixing_entropy_nats"] > 0
                else float("nan"),
            ],
            "unit": ["1/s", "1/s", "1"],
        }
    )
    sections = [
        Section(
            "Relaxation",
            [
                "All balls start in the left box: the largest gradient. Each step every ball changes box with "
                "probability p, so the mean imbalance decays exactly as (1−2p)^k and the entropy rises to ln C(N, N/2)."
            ],
            [rates],
            [relax, entropy],
        )
    ]
    return write_report(out_dir, "Ehrenfest urn", summary, sections)
