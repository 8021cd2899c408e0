"""Console tables of scenarios whose main numbers are nested in their results (``gradient run`` prints them).

Key names: `tables_perturbation_pairs`, `tables_coupled_budget`, `tables_head_ablation`, `tables_temperature`.

Each function takes a scenario's ``results`` (``summary.json``) and returns ``{title: [row dict, ...]}``; the
column names carry the units. The membrane report modules have their own (`analysis.report_membrane`,
`analysis.report_membrane_steady`, `analysis.report_training`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def tables_perturbation_pairs(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Per pair: ATP synthesis and Δp before/after, held-out cross-entropy and order before/after, directions."""
    rows = []
    for name, pair in results["pairs"].items():
        mem, held, same = pair["membrane_effect"], pair["attention_heldout"], pair["same_direction"]
        rows.append(
            {
                "pair": name,
                "ATP/s before": mem["atp_rate_before_per_s"],
                "ATP/s after": mem["atp_rate_after_per_s"],
                "Δp before (mV)": mem["pmf_before_mV"],
                "Δp after (mV)": mem["pmf_after_mV"],
                "CE before (nats)": held["ce_before_nats"],
                "CE after (nats)": held["ce_after_nats"],
                "order change (nats)": held["order_change_nats"],
                "same output": same["output"],
                "same gradient": same["gradient"],
            }
        )
    return {"analogue pairs (attention: held-out)": rows}


def tables_coupled_budget(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Per phase: token and ATP rates, stall time, Δψ, Δp and OCR."""
    rows = [
        {
            "phase": name,
            "tokens/s": ph["tokens_per_s"],
            "arrivals/s": ph["arrivals_per_s"],
            "ATP spent/s": ph["atp_spent_per_s"],
            "ATP synthesis/s": ph["atp_synthesis_per_s"],
            "stall (s)": ph["stall_s"],
            "Δψ (mV)": ph["delta_psi_mV"],
            "Δp (mV)": ph["pmf_mV"],
            "OCR (O2/s)": ph["ocr_per_s"],
        }
        for name, ph in results["phases"].items()
    ]
    return {"phases": rows}


def _cross_entropy_rows(levels: list[Mapping[str, Any]], key: str, label: str) -> list[dict[str, Any]]:
    """One row per level of a stream sweep (heads ablated, temperature): stream and held-out CE, H(q)."""
    return [
        {
            label: lv[key],
            "stream CE (nats)": lv["cross_entropy_nats"],
            "± se": lv["cross_entropy_se_nats"],
            "held-out CE (nats)": lv["heldout_expected_cross_entropy_nats"],
            "KL (nats)": lv["heldout_kl_nats"],
            "H(q) (nats)": lv["next_token_entropy_nats"],
        }
        for lv in levels
    ]


def tables_head_ablation(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Per number of heads ablated: stream and held-out cross-entropy, next-token entropy."""
    rows = _cross_entropy_rows(results["counts"], "heads_ablated", "heads ablated")
    return {"cross-entropy per heads ablated": rows}


def tables_temperature(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Per softmax temperature: stream and held-out cross-entropy, next-token entropy."""
    return {"cross-entropy per temperature": _cross_entropy_rows(results["levels"], "temperature", "temperature")}
