"""Figures of the interpretability reports: attention, rollout and flow heatmaps, per-head bars, ablation
curves, logit lens, attribution leaderboard and the temperature curve.

Each function draws one figure from plain arrays / tables and saves it with `analysis.report.save_figure`,
returning the path relative to the run directory.

Key names: `attention_heatmaps`, `rollout_flow_heatmaps`, `head_bars`, `ablation_curves`, `logit_lens_plot`,
`patching_heatmap`, `leaderboard_plot`, `temperature_plot`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.report import save_figure

__all__ = [
    "ablation_curves",
    "attention_heatmaps",
    "head_bars",
    "leaderboard_plot",
    "logit_lens_plot",
    "patching_heatmap",
    "rollout_flow_heatmaps",
    "temperature_plot",
]


def attention_heatmaps(out_dir: Path, A: np.ndarray, first_pos: int, name: str = "attention_heads") -> str:
    """One heatmap per (layer, head) of a window's attention A (L, H, n, n)."""
    L, H, n, _ = A.shape
    fig, axes = plt.subplots(L, H, figsize=(2.6 * H + 1.0, 2.5 * L + 0.4), squeeze=False, constrained_layout=True)
    ticks = np.arange(0, n, max(1, n // 4))
    for li in range(L):
        for h in range(H):
            ax = axes[li, h]
            im = ax.imshow(A[li, h], vmin=0, vmax=1, cmap="viridis")
            ax.set_title(f"layer {li}, head {h}", fontsize=9)
            ax.set_xticks(ticks, [str(first_pos + t) for t in ticks], fontsize=7)
            ax.set_yticks(ticks, [str(first_pos + t) for t in ticks], fontsize=7)
            if li == L - 1:
                ax.set_xlabel("source position (token)", fontsize=8)
            if h == 0:
                ax.set_ylabel("attending position (token)", fontsize=8)
    fig.colorbar(im, ax=axes, shrink=0.8, label="attention weight (1)")
    return save_figure(fig, out_dir, name)


def rollout_flow_heatmaps(out_dir: Path, rollout: np.ndarray, flow: np.ndarray, first_pos: int) -> str:
    """Rollout and flow of a window, side by side: row i = how position i's top state draws on each input."""
    n = rollout.shape[0]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.8), constrained_layout=True)
    ticks = np.arange(0, n, max(1, n // 4))
    for ax, M, title in ((axes[0], rollout, "attention rollout"), (axes[1], flow, "attention flow (max-flow)")):
        im = ax.imshow(M, vmin=0, vmax=1, cmap="magma")
        ax.set_title(title, fontsize=10)
        ax.set_xticks(ticks, [str(first_pos + t) for t in ticks], fontsize=8)
        ax.set_yticks(ticks, [str(first_pos + t) for t in ticks], fontsize=8)
        ax.set_xlabel("input position (token)")
    axes[0].set_ylabel("top-layer position (token)")
    fig.colorbar(im, ax=axes, shrink=0.85, label="share of the top state (1)")
    return save_figure(fig, out_dir, "rollout_flow")


def head_bars(out_dir: Path, table: pd.DataFrame) -> str:
    """Per head: attention scores (left, unitless) and CE change under each ablation kind (right, nats)."""
    labels = [f"L{r.layer}H{r.head}" for r in table.itertuples()]
    x = np.arange(len(labels))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    for k, (col, lab) in enumerate(
        (
            ("previous_token_score", "previous-token"),
            ("induction_score", "induction"),
            ("attention_entropy_norm", "entropy / log n"),
        )
    ):
        a1.bar(x + (k - 1) * 0.27, table[col].fillna(0.0), width=0.27, label=lab)
    a1.set_xticks(x, labels)
    a1.set_ylabel("score (1)")
    a1.set_ylim(0, 1.05)
    a1.set_title("attention scores per head", fontsize=10)
    a1.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for k, kind in enumerate(("zero", "mean", "resample")):
        a2.bar(x + (k - 1) * 0.27, table[f"dce_{kind}"], width=0.27, label=f"{kind} ablation")
    a2.axhline(0, color="black", lw=0.6)
    a2.set_xticks(x, labels)
    a2.set_ylabel("Δ cross-entropy (nats)")
    a2.set_title("single-head ablation", fontsize=10)
    a2.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return save_figure(fig, out_dir, "head_scores")


def ablation_curves(
    out_dir: Path,
    curves: Mapping[str, Mapping[str, Sequence[float]]],
    orders: Mapping[str, Sequence[str]],
    current_only_nats: float,
    entropy_rate_nats: float,
) -> str:
    """CE as heads are ablated one by one, in index order and in importance order, for each ablation kind."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, constrained_layout=True)
    for ax, which, title in ((axes[0], "index", "index order"), (axes[1], "importance", "importance order")):
        for kind, c in curves.items():
            ax.plot(range(len(c[which])), c[which], marker="o", label=f"{kind} ablation")
        ax.axhline(current_only_nats, color="grey", ls="--", label=r"$H(X_{t+1} \mid X_t)$")
        ax.axhline(entropy_rate_nats, color="black", ls=":", label="entropy rate")
        n = len(next(iter(curves.values()))[which])
        ax.set_xticks(range(n), ["none"] + [f"+{h}" for h in orders[which]], fontsize=7, rotation=45)
        ax.set_xlabel("heads ablated (cumulative)")
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("expected cross-entropy (nats)")
    axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return save_figure(fig, out_dir, "ablation_curves")


def patching_heatmap(out_dir: Path, effects: np.ndarray) -> str:
    """Share of the clean last prediction restored by patching each head (rows) at each position (columns)."""
    L, H, T = effects.shape
    fig, ax = plt.subplots(figsize=(min(12, 2 + 0.3 * T), 1.2 + 0.45 * L * H), constrained_layout=True)
    lim = max(1.0, float(np.nanmax(np.abs(effects)))) if np.isfinite(effects).any() else 1.0
    im = ax.imshow(effects.reshape(L * H, T), cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_yticks(range(L * H), [f"L{li}H{h}" for li in range(L) for h in range(H)])
    ax.set_xlabel("patched position (token; the corrupted one is second to last)")
    ax.set_ylabel("head")
    fig.colorbar(im, ax=ax, label="share of CE gap restored (1)")
    return save_figure(fig, out_dir, "patching")


def logit_lens_plot(out_dir: Path, ce: Sequence[float], entropy_rate_nats: float, unigram_nats: float) -> str:
    """CE of unembedding the residual after the embedding and after each layer."""
    fig, ax = plt.subplots(figsize=(5.5, 3.4), constrained_layout=True)
    labels = ["embedding"] + [f"after layer {i}" for i in range(len(ce) - 1)]
    ax.plot(range(len(ce)), ce, marker="o", label="logit lens")
    ax.axhline(unigram_nats, color="grey", ls="--", label="unigram entropy")
    ax.axhline(entropy_rate_nats, color="black", ls=":", label="entropy rate")
    ax.set_xticks(range(len(ce)), labels)
    ax.set_xlabel("residual stream read at")
    ax.set_ylabel("expected cross-entropy (nats)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return save_figure(fig, out_dir, "logit_lens")


def leaderboard_plot(out_dir: Path, board: pd.DataFrame, by_order: pd.DataFrame) -> str:
    """Parent mass with 95 % intervals per method (left) and its mean per source order (right)."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    y = np.arange(len(board))[::-1]
    err = np.array([board.parent_mass - board.parent_mass_low, board.parent_mass_high - board.parent_mass])
    a1.barh(y, board.parent_mass, xerr=np.nan_to_num(err), color="tab:blue", label="parent mass")
    a1.plot(board.recall_at_k, y, "D", color="tab:orange", label="recall@k")
    a1.set_yticks(y, board.method)
    a1.set_xlim(0, 1.05)
    a1.set_xlabel("score (1)")
    a1.set_title("trained models, 95 % interval over models", fontsize=10)
    a1.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    methods = list(board.method)
    width = 0.8 / max(1, by_order.shape[1])
    for k, order in enumerate(by_order.columns):
        a2.bar(
            np.arange(len(methods)) + (k - (by_order.shape[1] - 1) / 2) * width,
            by_order.loc[methods, order],
            width=width,
            label=f"order {order}",
        )
    a2.set_xticks(np.arange(len(methods)), methods, rotation=45, ha="right", fontsize=8)
    a2.set_ylim(0, 1.05)
    a2.set_ylabel("parent mass (1)")
    a2.set_title("by source order", fontsize=10)
    a2.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return save_figure(fig, out_dir, "attribution_leaderboard")


def temperature_plot(out_dir: Path, levels: pd.DataFrame, entropy_rate_nats: float, uniform_nats: float) -> str:
    """Held-out expected CE and next-token entropy against temperature (log axis)."""
    fig, ax = plt.subplots(figsize=(5.8, 3.6), constrained_layout=True)
    ax.plot(levels.temperature, levels.heldout_expected_cross_entropy_nats, marker="o", label="expected cross-entropy")
    ax.plot(levels.temperature, levels.heldout_next_token_entropy_nats, marker="s", label="next-token entropy")
    ax.axhline(entropy_rate_nats, color="black", ls=":", label="entropy rate")
    ax.axhline(uniform_nats, color="grey", ls="--", label="log V (uniform)")
    ax.set_xscale("log")
    ax.set_xticks(list(levels.temperature), [f"{t:g}" for t in levels.temperature])
    ax.minorticks_off()
    ax.set_xlabel("softmax temperature τ (1)")
    ax.set_ylabel("cross-entropy, entropy (nats)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return save_figure(fig, out_dir, "temperature_curve")
