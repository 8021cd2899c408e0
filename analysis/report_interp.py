"""Reports of the interpretability side of the attention world: `head_ablation`, `temperature` and
`attribution_benchmark`, from the run's summary and the files it kept (model, source, attention).

Key names: `report_head_ablation`, `report_temperature`, `report_attribution`, `window_analysis`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.attention_graph import attention_flow, attention_rollout
from analysis.attribution import window_graph
from analysis.interp_figures import (
    ablation_curves,
    attention_heatmaps,
    head_bars,
    leaderboard_plot,
    logit_lens_plot,
    patching_heatmap,
    rollout_flow_heatmaps,
    temperature_plot,
)
from analysis.kept import attention_arrays, read_attention
from analysis.report import Section, write_report

__all__ = ["report_attribution", "report_head_ablation", "report_temperature", "window_analysis"]


def window_analysis(out_dir: Path, n_ctx: int, first_pos: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Attention (L, H, n, n) of one kept stream window, its rollout (n, n) and its flow (n, n)."""
    A, _ = attention_arrays(read_attention(out_dir), first_pos, n_ctx)
    L, n = A.shape[0], A.shape[-1]
    rollout = attention_rollout([a.mean(axis=0) for a in A])  # causal: row i uses rows and columns ≤ i only
    G = window_graph(list(A))
    flow = np.zeros((n, n))
    for i in range(n):
        f = attention_flow(G, (L, i))
        flow[i, : i + 1] = [f.get(j, 0.0) for j in range(i + 1)]
    return A, rollout, flow


def _window_figures(out_dir: Path, n_ctx: int) -> list[str]:
    A, rollout, flow = window_analysis(out_dir, n_ctx)
    return [attention_heatmaps(out_dir, A, 0), rollout_flow_heatmaps(out_dir, rollout, flow, 0)]


def report_head_ablation(out_dir: Path, summary: dict[str, Any]) -> Path:
    """``report.md`` of a `head_ablation` run: head table, ablation curves, logit lens, attention windows."""
    res, params = summary["results"], summary["params"]
    table = pd.DataFrame(res["head_table"])
    orders = {k: [f"L{l}H{h}" for l, h in v] for k, v in res["ablation_orders"].items()}  # noqa: E741
    figs = [
        head_bars(out_dir, table),
        ablation_curves(
            out_dir, res["curves"], orders, res["current_symbol_only_floor_nats"], res["entropy_rate_nats"]
        ),
        logit_lens_plot(out_dir, res["logit_lens_nats"], res["entropy_rate_nats"], res["unigram_entropy_nats"]),
        patching_heatmap(out_dir, np.array(res["patching"], dtype=np.float64)),
    ]
    limits = pd.DataFrame(
        {
            "reference": ["entropy rate", "H(X_{t+1} | X_t) (all heads off: only the current symbol)", "unigram"],
            "nats": [res["entropy_rate_nats"], res["current_symbol_only_floor_nats"], res["unigram_entropy_nats"]],
        }
    )
    ends = pd.DataFrame(
        [
            {
                "ablation": k,
                "all heads off (nats)": c["index"][-1],
                "above the current-symbol limit (nats)": c["index"][-1] - res["current_symbol_only_floor_nats"],
            }
            for k, c in res["curves"].items()
        ]
    )
    sections = [
        Section(
            "Heads",
            [
                "Per head: previous-token and induction scores (targets strictly before the row), normalised "
                "attention entropy, and the exact expected cross-entropy change on held-out windows when that head "
                "alone is ablated (zero, per-position mean, or resampled from another window)."
            ],
            [table],
            [figs[0]],
        ),
        Section(
            "Ablation curves",
            [
                "With every head off the model sees only the current symbol and its position, so its cross-entropy "
                "cannot go below H(X_{t+1} | X_t); zero ablation also moves the residual off its trained "
                "distribution. Importance order = largest single-head mean-ablation effect first. Resample ablation of "
                "many heads at once feeds the later layers another window's information, so it can land far above "
                "the limit: it measures harm done by wrong information, not the loss of the heads' information."
            ],
            [limits, ends],
            [figs[1]],
        ),
        Section(
            "Patching, circuits and logit lens",
            [
                "Activation patching: each head's clean output at one position written into a run whose symbol "
                "one step back was changed; the share of the last prediction's CE gap it restores. Circuits: the "
                "share of rows whose positional QK circuit peaks at i − 1, and the correlation of each head's "
                "direct OV circuit with the exact log P(next | symbol one or two steps back). The logit lens "
                "unembeds the residual after the embedding and after each layer."
            ],
            [pd.DataFrame(res["circuits"])],
            [figs[3], figs[2]],
        ),
        Section(
            "Attention of the first stream window",
            ["Per-head attention, then rollout and flow."],
            [],
            _window_figures(out_dir, params["n_ctx"]),
        ),
    ]
    return write_report(out_dir, "Head ablation", summary, sections)


def report_temperature(out_dir: Path, summary: dict[str, Any]) -> Path:
    """``report.md`` of a `temperature` run: the cross-entropy curve over temperatures, and attention windows."""
    res, params = summary["results"], summary["params"]
    levels = pd.DataFrame(res["levels"])
    fig = temperature_plot(out_dir, levels, res["entropy_rate_nats"], res["uniform_entropy_nats"])
    verdict = (
        f"Held-out expected cross-entropy is lowest at τ = {res['heldout_min_temperature']:g} among the levels; "
        + (
            "it falls strictly towards that level and rises strictly after it (a V shape)."
            if res["v_shape"]
            else "it is not a V shape over these levels."
        )
    )
    sections = [
        Section("Cross-entropy against temperature", [verdict], [levels], [fig]),
        Section(
            "Attention of the first stream window",
            ["Per-head attention, then rollout and flow."],
            [],
            _window_figures(out_dir, params["n_ctx"]),
        ),
    ]
    return write_report(out_dir, "Temperature", summary, sections)


def report_attribution(out_dir: Path, summary: dict[str, Any]) -> Path:
    """``report.md`` of an `attribution_benchmark` run: the leaderboard and the hand-built control."""
    res = summary["results"]
    board = pd.DataFrame(res["leaderboard"])
    by_order = pd.DataFrame(res["parent_mass_by_order"]).T
    fig = leaderboard_plot(out_dir, board, by_order)
    sections = [
        Section(
            "Leaderboard",
            [
                f"{res['models_trained']} trained models (mean held-out excess cross-entropy "
                f"{res['mean_excess_nats']:.3g} nats over the entropy rate). Parent mass = share of a method's "
                "attribution on the k positions the next symbol truly depends on; recall@k = share of those "
                "positions among its k top-ranked ones. `attention_best` picks the best head after seeing the "
                "scores, so it is optimistic."
            ],
            [board],
            [fig],
        ),
    ]
    if res["hand_built"]:
        sections.append(
            Section(
                "Control: the hand-built lag-head model",
                [
                    "Its circuit is known: every method that sees the residual path scores 1; raw attention sees "
                    "only the lag heads, not the current symbol carried by the residual, so its recall@k is < 1."
                ],
                [pd.DataFrame(res["hand_built"])],
            )
        )
    return write_report(out_dir, "Attribution benchmark", summary, sections)
