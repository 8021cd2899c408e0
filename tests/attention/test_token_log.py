"""The stream's columnar token log writes the trace and metrics a row-by-row `emit` path writes, byte for byte."""

from __future__ import annotations

import filecmp
import math
from pathlib import Path

import numpy as np
import pytest

from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, ModelConfig
from world.attention.stream import AttentionWorld
from world.clock import Run


class EmitLog:
    """Reference: the same rows as `TokenLog`, one `TraceRecorder.emit` / `MetricsRecorder.record_many` per
    event, values computed per row as the stream computed them before the log existed."""

    def __init__(self, run: Run, name: str) -> None:
        self.run, self.name = run, name

    def start(self, t: float, pos: int, symbol: int) -> None:
        self.run.trace.emit(t, "attention", "token_start", entity_id=pos, src=self.name, pos=pos, value=float(symbol))

    def attend(self, t: float, pos: int, layer: int, first: int, A: np.ndarray) -> None:
        n = A.shape[1]
        values = [None] * A.shape[0]
        if n > 1:
            values = (np.add.reduce(A * np.log(np.maximum(A, 1e-300)), axis=1) * (-1.0 / math.log(n))).tolist()
        tops = (A.argmax(axis=1) + first).tolist()
        for head, value in enumerate(values):
            self.run.trace.emit(
                t, "attention", "attend", entity_id=pos, src=self.name, dst=str(tops[head]), layer=layer,
                head=head, pos=pos, value=value,
            )  # fmt: skip

    def end(self, t: float, pos: int, surprisal: float, bits: float, entropy: float, wait: float) -> None:
        self.run.trace.emit(
            t, "attention", "token_end", entity_id=pos, src=self.name, pos=pos, value=surprisal, unit="nats",
            info_bits=bits, attrs={"entropy_nats": entropy, "wait": wait},
        )  # fmt: skip

    def sample(self, t: float, entropy: float, surprisal: float, tokens_done: float, bits_saved: float) -> None:
        self.run.metrics.record_many(
            t,
            "attention",
            {
                "next_token_entropy_nats": (entropy, "nats"),
                "surprisal_nats": (surprisal, "nats"),
                "tokens_done": (tokens_done, "tokens"),
                "inference_bits_saved": (bits_saved, "bits"),
            },
        )


def _run(out: Path | None, reference: bool, flush_every: int) -> Run:
    """Two streams (one queueing, Poisson, corrupted, ablated half-way) and other rows on one clock."""
    run = Run(3, out_dir=out, flush_every=flush_every)
    source = MarkovSource.random(run.rng, V=5, order=1, alpha=0.5)
    model = AttentionModel.init(ModelConfig(vocab=5, n_ctx=5, d_model=8, n_layers=2, n_heads=3), run.rng)
    busy = AttentionWorld(run, model, source, name="busy", arrival="poisson", layer_time=0.6, metrics_every=3)
    calm = AttentionWorld(run, model, source, name="calm", token_interval=0.7)
    if reference:
        busy.log, calm.log = EmitLog(run, "busy"), EmitLog(run, "calm")
    busy.corrupt_context(0.2)
    busy.start(40)
    calm.start(30, at=0.35)
    run.every(2.0, lambda: run.trace.emit(run.now, "membrane", "tick", value=run.now, attrs={"k": 1}))
    run.run_until(20)
    busy.ablate_heads([(1, 2)])
    busy.start(20)
    run.run_until(80)
    assert busy.tokens_done == 60 and calm.tokens_done == 30
    return run


@pytest.mark.parametrize("flush_every", [7, 65536])
def test_token_log_writes_the_rows_emit_writes(tmp_path: Path, flush_every: int) -> None:
    """Trace and metrics files (Parquet, several flushes cut inside a token's rows) and in-memory tables are
    identical to those of the one-row-per-event path."""
    tables = []
    for reference in (False, True):
        run = _run(tmp_path / str(reference), reference, flush_every)
        run.close()
        mem = _run(None, reference, flush_every)
        tables.append((mem.trace.to_table(), mem.metrics.to_frame()))
    assert tables[0][0].equals(tables[1][0])
    assert tables[0][1].equals(tables[1][1])
    for name in ("trace.parquet", "metrics.parquet"):
        assert filecmp.cmp(tmp_path / "False" / name, tmp_path / "True" / name, shallow=False), name


def test_a_replica_stream_keeps_no_rows() -> None:
    """A stream on a replica (recorders that store nothing) counts its events but keeps no rows."""
    run = Run(0)
    source = MarkovSource.random(run.rng, V=4, order=1, alpha=1.0)
    model = AttentionModel.init(ModelConfig(vocab=4, n_ctx=4, d_model=8, n_heads=2), run.rng)
    replica = run.replica("r")
    w = AttentionWorld(replica, model, source, record_graph=False)
    w.process_now(10)
    assert replica.trace.events == 40 and run.trace.events == 0
    assert not (w.log._starts or w.log._attends or w.log._ends or w.log._samples)
    assert run.trace.to_table().num_rows == 0 and len(run.metrics.to_frame()) == 0


def test_without_the_seq_sort_the_trace_differs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sink's sort of reserved rows into `seq` order is what makes the files equal: rows left in the order
    the log hands them over (starts, attends, ends) give another trace."""
    import world.sink

    reference = _run(None, True, 65536).trace.to_table()
    assert _run(None, False, 65536).trace.to_table().equals(reference)
    monkeypatch.setattr(world.sink, "_in_key_order", lambda table, order: table.take(np.sort(order)))
    unsorted = _run(None, False, 65536).trace.to_table()
    assert unsorted.num_rows == reference.num_rows and not unsorted.equals(reference)
