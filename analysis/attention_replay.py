"""Rebuild the attention world's cumulative counters from its trace alone (the trace loses nothing).

Counters (per trainer / per stream, keyed by the events' ``src``, and totals):
    train_steps: number of ``train_step`` events.
    bits_saved: Σ ``info_bits`` of ``train_step`` events (bits saved in training against the uniform code).
    tokens_started / tokens_done: number of ``token_start`` / ``token_end`` events.
    inference_bits_saved: Σ ``info_bits`` of ``token_end`` events.
Sums are taken left to right in ``seq`` order, exactly as the world accumulates them, so replayed floats
equal the world's counters bit for bit.

Key names: `replay_attention_counters`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["replay_attention_counters"]


def _ordered_sum(values: pd.Series) -> float:
    total = 0.0
    for v in values.tolist():
        total += float(v)
    return total


def replay_attention_counters(trace_df: pd.DataFrame) -> dict[str, Any]:
    """Counters of every attention trainer and stream in ``trace_df`` (a frame with the trace schema).

    Returns:
        ``{"train_steps", "bits_saved", "tokens_started", "tokens_done", "inference_bits_saved",
        "trainers": {src: {"train_steps", "bits_saved"}}, "streams": {src: {"tokens_started",
        "tokens_done", "inference_bits_saved"}}}``; ``src`` is the trainer's or the world's ``name``.
    """
    df = trace_df[trace_df["world"].astype(str) == "attention"].sort_values("seq", kind="stable")
    kind = df["kind"].astype(str)
    src = df["src"].astype("string").fillna("")
    trainers: dict[str, dict[str, float]] = {}
    steps = df[kind == "train_step"]
    for name, g in steps.groupby(src[kind == "train_step"], sort=True):
        trainers[str(name)] = {"train_steps": len(g), "bits_saved": _ordered_sum(g["info_bits"])}
    streams: dict[str, dict[str, float]] = {}
    for name in sorted(set(src[kind.isin(["token_start", "token_end"])])):
        mine = df[(src == name)]
        k = mine["kind"].astype(str)
        ends = mine[k == "token_end"]
        streams[name] = {
            "tokens_started": int((k == "token_start").sum()),
            "tokens_done": len(ends),
            "inference_bits_saved": _ordered_sum(ends["info_bits"]),
        }
    return {
        "train_steps": sum(int(t["train_steps"]) for t in trainers.values()),
        "bits_saved": _ordered_sum(pd.Series([t["bits_saved"] for t in trainers.values()], dtype=float)),
        "tokens_started": sum(int(s["tokens_started"]) for s in streams.values()),
        "tokens_done": sum(int(s["tokens_done"]) for s in streams.values()),
        "inference_bits_saved": _ordered_sum(
            pd.Series([s["inference_bits_saved"] for s in streams.values()], dtype=float)
        ),
        "trainers": trainers,
        "streams": streams,
    }
