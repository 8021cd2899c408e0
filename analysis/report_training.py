"""Report of the `training_builds_gradient` scenario: the training curve against the entropy-rate floor.

Key names: `report_training_builds_gradient`, `tables_training_builds_gradient`, `moving_mean`.

The figure has two panels in nats per token: the training loss per optimiser step (and its moving mean)
falling towards the source's entropy rate h — the floor no model can beat — with the uniform code ln V, the
unigram entropy and the held-out cross-entropy of the trained weights (± 2 standard errors) marked; then
the two inference streams (trained and untrained weights), the mean surprisal of each batch of tokens
against the same floor. Read from ``metrics.parquet`` (``loss_nats``, ``surprisal_nats``) and the summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.report import Section, rows_table, save_figure, write_report
from world.trace import read_metrics


def moving_mean(y: np.ndarray, k: int) -> np.ndarray:
    """Trailing mean over `k` points (shorter at the start), same length as `y`."""
    y = np.asarray(y, float)
    if y.size == 0:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    idx = np.arange(1, y.size + 1)
    lo = np.maximum(0, idx - k)
    return (c[idx] - c[lo]) / (idx - lo)


def tables_training_builds_gradient(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Cross-entropy, next-token entropy and bits saved per token, trained against untrained weights."""
    r = results
    rows = [
        {
            "quantity": "held-out cross-entropy",
            "trained": r["heldout_cross_entropy_nats"],
            "untrained": r["heldout_untrained_cross_entropy_nats"],
            "unit": "nats/token",
        },
        {
            "quantity": "stream cross-entropy",
            "trained": r["trained_cross_entropy_nats"],
            "untrained": r["untrained_cross_entropy_nats"],
            "unit": "nats/token",
        },
        {
            "quantity": "next-token entropy H(q)",
            "trained": r["trained_next_token_entropy_nats"],
            "untrained": r["untrained_next_token_entropy_nats"],
            "unit": "nats/token",
        },
        {
            "quantity": "bits saved vs uniform",
            "trained": r["trained_bits_saved_per_token"],
            "untrained": r["untrained_bits_saved_per_token"],
            "unit": "bits/token",
        },
    ]
    floors = [
        {"reference": "entropy rate h (floor)", "value": r["entropy_rate_nats"], "unit": "nats/token"},
        {"reference": "unigram entropy", "value": r["unigram_entropy_nats"], "unit": "nats/token"},
        {"reference": "uniform ln V", "value": r["uniform_entropy_nats"], "unit": "nats/token"},
        {"reference": "held-out excess over h", "value": r["heldout_excess_loss_nats"], "unit": "nats/token"},
        {"reference": "held-out standard error", "value": r["heldout_cross_entropy_se_nats"], "unit": "nats/token"},
        {"reference": "exact KL(source ‖ model)", "value": r["heldout_kl_nats"], "unit": "nats/token"},
    ]
    return {"trained against untrained weights": rows, "references": floors}


def _references(ax: plt.Axes, r: Mapping[str, Any]) -> None:
    ax.axhline(r["entropy_rate_nats"], color="k", lw=1.4, label="entropy rate h (floor)")
    ax.axhline(r["unigram_entropy_nats"], color="0.5", lw=1.0, ls="--", label="unigram entropy")
    ax.axhline(r["uniform_entropy_nats"], color="0.5", lw=1.0, ls=":", label="uniform ln V")


def _training_figure(out_dir: Path, m: pd.DataFrame, summary: Mapping[str, Any]) -> str:
    r, steps = summary["results"], summary["params"]["steps"]
    train = m.loc[m.index <= steps + 0.5, "loss_nats"].dropna()
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.9), sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    ax = axes[0]
    _references(ax, r)
    if len(train):
        k = max(1, len(train) // 20)
        ax.plot(train.index, train.to_numpy(), color="C0", lw=0.6, alpha=0.45, label="training loss per step")
        ax.plot(train.index, moving_mean(train.to_numpy(), k), color="C0", lw=1.8, label=f"mean of {k} steps")
    se = r["heldout_cross_entropy_se_nats"]
    ax.errorbar(
        [steps], [r["heldout_cross_entropy_nats"]], yerr=[2 * se], fmt="D", color="C3", ms=6, capsize=3,
        label="held-out cross-entropy ± 2 se",
    )  # fmt: skip
    ax.set_xlabel("optimiser step (model time)")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.set_title("training builds the gradient", fontsize=9)
    ax = axes[1]
    _references(ax, r)
    stream = m.loc[m.index > steps + 0.5, "surprisal_nats"].dropna()
    boundary = steps + 1 + summary["params"]["n_tokens"]
    for label, part, colour in (
        ("trained weights", stream[stream.index <= boundary], "C0"),
        ("untrained weights", stream[stream.index > boundary], "C1"),
    ):
        if len(part):
            k = max(1, len(part) // 16)
            ax.plot(part.index, part.to_numpy(), color=colour, lw=0.5, alpha=0.3)
            mean = part.rolling(k, center=True, min_periods=max(1, k // 2)).mean()
            ax.plot(part.index, mean.to_numpy(), color=colour, lw=1.8, label=f"surprisal, {label}")
    ax.set_xlabel("model time (token slots)")
    ax.text(0.02, 0.02, "faint: per record; bold: moving mean", transform=ax.transAxes, fontsize=7, color="0.3")
    ax.set_title("inference spends it", fontsize=9)
    handles, labels = [], []
    for a in axes:
        for h, lab in zip(*a.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    axes[1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    return save_figure(fig, out_dir, "training")


def report_training_builds_gradient(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and the training-curve figure for a `training_builds_gradient` run."""
    out_dir = Path(out_dir)
    m = read_metrics(out_dir, wide=True, world="attention")
    fig = _training_figure(out_dir, m, summary)
    res = summary["results"]
    text = [
        "The source is a Markov chain whose entropy rate h is known exactly: no model can have a lower expected "
        "cross-entropy, so h is the attention world's equilibrium and the excess over it is the gradient still to "
        "be built. Each training loss is one batch's mean (noisy, and a batch can dip below h by chance); the "
        "held-out cross-entropy is the exact expectation over held-out contexts, with its standard error. The "
        "right panel shows tokens streamed through the trained and through the untrained (initial) weights: the "
        "surprisal of the tokens (faint: each record of the stream; bold: a moving mean over 1/16 of the stream).",
        f"{res['train_steps']} steps saved {res['bits_saved']:.4g} bits in training; the trained stream saves "
        f"{res['trained_bits_saved_per_token']:.3f} bits per token against the uniform code, the untrained one "
        f"{res['untrained_bits_saved_per_token']:.3f}.",
    ]
    tables = [rows_table(t) for t in tables_training_builds_gradient(res).values()]
    return write_report(
        out_dir,
        "Training builds the gradient",
        summary,
        [Section("Training curve against the entropy-rate floor", text, tables, [fig])],
    )
