"""Effect sizes of the analogue pairs and the report of the `perturbation_pairs` scenario.

Key names: `sign`, `pair_effects`, `report_pairs`.

Two aspects are compared per pair, each with a measure on both sides:

| aspect | membrane | attention |
|---|---|---|
| output (work done) | ATP synthesis, ATP/s (relative change) | bits saved per token, bits; cross-entropy, nats |
| gradient (stored, spendable) | Δp, mV (change, relative) | order left at the output, log V − H(q), nats |

(Bits saved per token are against the uniform code, log V; relative changes are (after − before)/|before|.)

The attention numbers come twice: from the token stream (finite-sample, with a standard error) and exactly from
held-out contexts (`world.attention.training.evaluate`: expected cross-entropy with the next token averaged out). The
directions are judged on the held-out numbers, which carry no sampling noise of the stream.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.report import Section, legend_outside, mark_times, save_figure, write_report
from world.trace import read_metrics, read_trace

LN2 = math.log(2.0)


def sign(x: float, tol: float = 1e-12) -> int:
    """−1, 0 or +1 (0 when |x| ≤ tol or x is NaN)."""
    if x is None or math.isnan(x) or abs(x) <= tol:
        return 0
    return 1 if x > 0 else -1


def _rel(before: float, after: float) -> float:
    return (after - before) / abs(before) if before else math.nan


def pair_effects(
    m_before: dict[str, float],
    m_after: dict[str, float],
    s_before: dict[str, float],
    s_after: dict[str, float],
    ev_before: dict[str, float],
    ev_after: dict[str, float],
    vocab: int,
) -> dict[str, Any]:
    """Effect sizes of one pair from its windows.

    Args:
        m_before, m_after: membrane window averages (`MembraneWorld.window`: ``atp_rate``, ``pmf_mV``, ``ocr``).
        s_before, s_after: stream means (``cross_entropy_nats``, ``next_token_entropy_nats``, ...).
        ev_before, ev_after: held-out evaluations (`world.attention.training.evaluate`).
        vocab: alphabet size V (log V is the uniform code length).

    Returns:
        ``membrane``, ``attention_stream``, ``attention_heldout`` (numbers with units in the key names),
        ``signs`` and ``same_direction`` (output and gradient aspects).
    """
    log_v = math.log(vocab)
    mem = {
        "atp_rate_before_per_s": m_before["atp_rate"],
        "atp_rate_after_per_s": m_after["atp_rate"],
        "atp_rate_rel_change": _rel(m_before["atp_rate"], m_after["atp_rate"]),
        "pmf_before_mV": m_before["pmf_mV"],
        "pmf_after_mV": m_after["pmf_mV"],
        "pmf_change_mV": m_after["pmf_mV"] - m_before["pmf_mV"],
        "pmf_rel_change": _rel(m_before["pmf_mV"], m_after["pmf_mV"]),
        "ocr_before_per_s": m_before["ocr"],
        "ocr_after_per_s": m_after["ocr"],
    }

    def attention(ce0: float, ce1: float, h0: float, h1: float) -> dict[str, float]:
        return {
            "ce_before_nats": ce0,
            "ce_after_nats": ce1,
            "ce_change_nats": ce1 - ce0,
            "ce_rel_change": _rel(ce0, ce1),
            "bits_saved_per_token_change_bits": -(ce1 - ce0) / LN2,
            "order_before_nats": log_v - h0,
            "order_after_nats": log_v - h1,
            "order_change_nats": h0 - h1,
            "order_rel_change": _rel(log_v - h0, log_v - h1),
        }

    stream = attention(
        s_before["cross_entropy_nats"],
        s_after["cross_entropy_nats"],
        s_before["next_token_entropy_nats"],
        s_after["next_token_entropy_nats"],
    )
    stream["ce_se_before_nats"] = s_before.get("cross_entropy_se_nats", math.nan)
    stream["ce_se_after_nats"] = s_after.get("cross_entropy_se_nats", math.nan)
    stream["tokens_before"] = s_before.get("tokens", 0)
    stream["tokens_after"] = s_after.get("tokens", 0)
    held = attention(
        ev_before["expected_cross_entropy_nats"],
        ev_after["expected_cross_entropy_nats"],
        ev_before["next_token_entropy_nats"],
        ev_after["next_token_entropy_nats"],
    )
    signs = {
        "membrane_output": sign(mem["atp_rate_after_per_s"] - mem["atp_rate_before_per_s"]),
        "attention_output": sign(held["bits_saved_per_token_change_bits"]),
        "membrane_gradient": sign(mem["pmf_change_mV"]),
        "attention_gradient": sign(held["order_change_nats"]),
    }
    return {
        "membrane_effect": mem,
        "attention_stream": stream,
        "attention_heldout": held,
        "signs": signs,
        "same_direction": {
            "output": signs["membrane_output"] == signs["attention_output"] != 0,
            "gradient": signs["membrane_gradient"] == signs["attention_gradient"] != 0,
        },
    }


def _pair_figure(out_dir: Path, name: str, pair: dict[str, Any], m: pd.DataFrame, trace: pd.DataFrame) -> str:
    """Three panels in their own units: Δp (mV), ATP synthesis (ATP/s), the attention stream (nats/token)."""
    t_p = pair["t_perturbation_s"]
    a, b = pair["t_segment_s"]
    mem = m[(m["world"] == "membrane") & (m["t"] > a) & (m["t"] <= b)].pivot_table(
        index="t", columns="metric", values="value"
    )
    att = trace[(trace["kind"] == "token_end") & (trace["src"] == pair["attention"])].sort_values("seq")
    t_att = att["t"].to_numpy(float) - t_p
    surprisal = att["value"].to_numpy(float)
    entropy = np.array([json.loads(s)["entropy_nats"] for s in att["attrs"]]) if len(att) else np.array([])
    fig, axes = plt.subplots(3, 1, figsize=(7.5, 7.0), sharex=True)
    tm = mem.index.to_numpy(float) - t_p
    if "pmf_mV" in mem:
        axes[0].plot(tm, mem["pmf_mV"].to_numpy(), color="C4", label="Δp")
    axes[0].set_ylabel("Δp (mV)")
    if "atp_rate" in mem:
        rate = mem["atp_rate"]
        k = max(1, min(10, len(rate) // 20))
        axes[1].plot(tm, rate.to_numpy(), color="0.7", lw=0.7, drawstyle="steps-post", label="per sample")
        smooth = rate.rolling(k, center=True, min_periods=1).mean().to_numpy()
        axes[1].plot(tm, smooth, color="C2", lw=1.6, label=f"mean of {k} samples")
    axes[1].axhline(0.0, color="k", lw=0.6)
    axes[1].set_ylabel("ATP synthesis (ATP/s)")
    k = max(5, min(100, len(att) // 20))
    if len(att) > k:
        kernel = np.ones(k) / k
        for y, label, colour in ((surprisal, "cross-entropy", "C0"), (entropy, "next-token entropy H(q)", "C1")):
            axes[2].plot(t_att[k - 1 :], np.convolve(y, kernel, mode="valid"), color=colour, label=label)
    axes[2].set_ylabel("nats/token")
    axes[2].set_xlabel("t − t_perturbation (s)")
    axes[2].set_title(f"attention stream, mean of the last {k} tokens", fontsize=8, loc="left")
    axes[0].set_title(f"{pair['membrane']} (membrane)  ↔  {pair['attention']} (attention), applied at t = 0")
    for ax in axes:
        mark_times(ax, [(0.0, "")], label_axis=False)
        legend_outside(ax)
    fig.align_ylabels(axes)
    return save_figure(fig, out_dir, f"pair_{name}")


_EXPECTED = {
    "uncoupler_vs_temperature": "Both dissipate the gradient without useful work: the protonophore lets protons "
    "back without turning the rotor, the temperature flattens q towards uniform. Expected: output down on both "
    "sides, gradient (Δp; log V − H(q)) down on both sides.",
    "oligomycin_vs_head_ablation": "Both block the machinery that spends the gradient. Expected: output down on "
    "both sides. The gradient differs: Δp *rises* (nothing spends it, the chain backs up), while ablation lowers "
    "the order at the output, because the weights' order is read through the heads, not stored behind them.",
    "rotenone_vs_untrained": "Both remove what builds the gradient: no electrons into complex I, no order in "
    "the weights. Expected: output and gradient down on both sides.",
}


def report_pairs(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and one figure per pair for a `perturbation_pairs` run."""
    out_dir = Path(out_dir)
    res = summary["results"]
    m = read_metrics(out_dir)
    trace = read_trace(out_dir)
    sections = []
    rows = []
    for name, pair in res["pairs"].items():
        fig = _pair_figure(out_dir, name, pair, m, trace)
        mem, st, held = pair["membrane_effect"], pair["attention_stream"], pair["attention_heldout"]
        same = pair["same_direction"]
        table = pd.DataFrame(
            {
                "side": [
                    "membrane",
                    "membrane",
                    "attention (held-out)",
                    "attention (held-out)",
                    "attention (stream)",
                    "attention (held-out)",
                    "attention (stream)",
                ],
                "quantity": [
                    "ATP synthesis",
                    "Δp",
                    "cross-entropy",
                    "bits saved",
                    "cross-entropy",
                    "log V − H(q)",
                    "log V − H(q)",
                ],
                "baseline": [
                    mem["atp_rate_before_per_s"],
                    mem["pmf_before_mV"],
                    held["ce_before_nats"],
                    math.nan,
                    st["ce_before_nats"],
                    held["order_before_nats"],
                    st["order_before_nats"],
                ],
                "perturbed": [
                    mem["atp_rate_after_per_s"],
                    mem["pmf_after_mV"],
                    held["ce_after_nats"],
                    math.nan,
                    st["ce_after_nats"],
                    held["order_after_nats"],
                    st["order_after_nats"],
                ],
                "change": [
                    mem["atp_rate_after_per_s"] - mem["atp_rate_before_per_s"],
                    mem["pmf_change_mV"],
                    held["ce_change_nats"],
                    held["bits_saved_per_token_change_bits"],
                    st["ce_change_nats"],
                    held["order_change_nats"],
                    st["order_change_nats"],
                ],
                "relative": [
                    mem["atp_rate_rel_change"],
                    mem["pmf_rel_change"],
                    held["ce_rel_change"],
                    math.nan,
                    st["ce_rel_change"],
                    held["order_rel_change"],
                    st["order_rel_change"],
                ],
                "unit": ["ATP/s", "mV", "nats/token", "bits/token", "nats/token", "nats", "nats"],
            }
        )
        words = {True: "same direction", False: "NOT the same direction"}
        verdict = (
            f"**Output** (ATP synthesis ↔ bits saved): {words[same['output']]}"
            f" (signs {pair['signs']['membrane_output']:+d} / {pair['signs']['attention_output']:+d}). "
            f"**Gradient** (Δp ↔ log V − H(q)): {words[same['gradient']]}"
            f" (signs {pair['signs']['membrane_gradient']:+d} / {pair['signs']['attention_gradient']:+d}). "
            f"Stream cross-entropy standard errors: {st['ce_se_before_nats']:.3f} / {st['ce_se_after_nats']:.3f} nats "
            f"({st['tokens_before']} / {st['tokens_after']} tokens)."
        )
        sections.append(Section(name.replace("_", " "), [_EXPECTED.get(name, ""), verdict], [table], [fig]))
        rows.append(
            {"pair": name, "output same direction": same["output"], "gradient same direction": same["gradient"]}
        )
    intro = Section(
        "Pairs",
        [
            "Each pair runs in its own segment of the one clock (membrane seconds): a fresh membrane world energises, "
            "then the membrane perturbation and its attention analogue are applied at the same instant t_p. "
            f"Tokens arrive one per {res['slot_s']:.4g} s (the attention world's token slot mapped onto the clock). "
            "Directions are judged on the exact held-out numbers; the stream numbers are shown with their standard "
            f"errors. References: entropy rate {res['entropy_rate_nats']:.4f} nats, best using only the current "
            f"symbol {res['current_symbol_only_floor_nats']:.4f}, uniform log V {res['uniform_entropy_nats']:.4f}.",
        ],
        [pd.DataFrame(rows)],
    )
    return write_report(out_dir, "Perturbation pairs: membrane and attention analogues", summary, [intro, *sections])
