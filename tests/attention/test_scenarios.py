"""The attention scenarios run end to end through the runner and report numbers that obey their laws."""

from pathlib import Path

from analysis.attention_replay import replay_attention_counters
from scenarios.runner import execute
from world.trace import read_trace


def test_training_builds_gradient(tmp_path: Path) -> None:
    """Trained tokens beat untrained ones, bits saved are positive, and the trace replays the summary's counters."""
    s = execute(
        "training_builds_gradient", tmp_path, seed=1, overrides={"steps": "150", "n_tokens": "96", "heldout_seqs": "64"}
    )
    r = s["results"]
    assert r["trained_cross_entropy_nats"] < r["untrained_cross_entropy_nats"]
    assert r["trained_next_token_entropy_nats"] < r["untrained_next_token_entropy_nats"]
    assert r["heldout_kl_nats"] >= 0 and r["bits_saved"] > 0
    got = replay_attention_counters(read_trace(tmp_path))
    assert got["train_steps"] == r["train_steps"] == 150
    assert got["bits_saved"] == r["bits_saved"] and got["tokens_done"] == r["tokens_done"] == 192


def test_temperature_entropy_rises_with_temperature(tmp_path: Path) -> None:
    """Next-token entropy on held-out data rises monotonically with the output temperature."""
    s = execute(
        "temperature",
        tmp_path,
        seed=2,
        overrides={
            "steps": "100",
            "levels": "0.5,1,2",
            "windows_per_level": "1",
            "heldout_seqs": "32",
            "target": "output",
        },
    )
    rows = s["results"]["levels"]
    ent = [row["heldout_next_token_entropy_nats"] for row in rows]
    assert ent[0] < ent[1] < ent[2]
    assert min(row["heldout_kl_nats"] for row in rows) >= 0


def test_head_ablation_costs_cross_entropy(tmp_path: Path) -> None:
    """Ablating every head of an order-2 model raises the held-out cross-entropy above the intact model's."""
    s = execute(
        "head_ablation",
        tmp_path,
        seed=3,
        overrides={"steps": "200", "n_heads": "2", "windows_per_count": "1", "heldout_seqs": "64"},
    )
    ce = s["results"]["heldout_expected_cross_entropy_nats"]
    assert len(ce) == 3 and ce[-1] > ce[0] >= s["results"]["entropy_rate_nats"]
