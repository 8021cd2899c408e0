"""The trace loses nothing: attention counters rebuilt from the trace equal the world's own."""

from pathlib import Path

from analysis.attention_replay import replay_attention_counters
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model
from world.clock import Run
from world.trace import read_trace


def _run(run: Run) -> tuple[Trainer, AttentionWorld, AttentionWorld]:
    source, model = build_source_and_model(run, n_ctx=8, d_model=8)
    trainer = Trainer(run, model, source, steps=12, batch_size=4)
    trainer.start()
    a = AttentionWorld(run, model, source, name="a", layer_time=1.3)
    b = AttentionWorld(run, model.copy(), source, name="b")
    a.start(30, at=13)
    b.start(17, at=20)
    run.run_until(80)
    return trainer, a, b


def test_replay_equals_world_counters_in_memory() -> None:
    """Replaying the in-memory trace reproduces train steps, bits saved and each stream's counters exactly."""
    run = Run(3)
    trainer, a, b = _run(run)
    got = replay_attention_counters(run.trace.to_frame())
    assert got["trainers"]["train"] == trainer.counters()
    assert got["streams"]["a"] == a.counters() and got["streams"]["b"] == b.counters()
    assert got["tokens_done"] == a.tokens_done + b.tokens_done == 47


def test_replay_from_parquet_matches(tmp_path: Path) -> None:
    """Replaying trace.parquet written to disk gives the same counters as the world and as the last metrics."""
    run = Run(4, out_dir=tmp_path)
    trainer, a, _ = _run(run)
    run.close()
    got = replay_attention_counters(read_trace(tmp_path))
    assert got["trainers"]["train"] == trainer.counters() and got["streams"]["a"] == a.counters()
