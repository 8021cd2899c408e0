"""Perfetto export: valid Chrome Trace Event JSON with a bounded number of tracks, membrane events grouped by
kind (rate counters that conserve the event count), training and inference on separate tracks, token slices
on lanes, and flow arrows along the strongest attention edges."""

import itertools
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from analysis.perfetto import MAX_INSTANTS, N_BINS, export_perfetto
from scenarios.cli import main
from scenarios.registry import all_scenarios
from scenarios.runner import execute
from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, ModelConfig
from world.attention.stream import AttentionWorld
from world.clock import Run
from world.trace import read_trace


def _events(run_dir: Path) -> list[dict]:
    path, n = export_perfetto(run_dir)
    events = json.loads(path.read_text())["traceEvents"]
    assert len(events) == n
    return events


def _threads(events: list[dict]) -> dict[tuple[int, int], str]:
    return {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["name"] == "thread_name"}


def _attention_run(out: Path, layer_time: float = 0.0, n_tokens: int = 24, train_steps: int = 5) -> Run:
    """Training steps, then a token stream (queued on the heads when `layer_time` > 0), written to `out`."""
    from world.attention.training import Trainer

    run = Run(3, out_dir=out, run_id="a")
    source = MarkovSource.random(run.rng, V=5, order=1, alpha=0.5)
    model = AttentionModel.init(ModelConfig(vocab=5, n_ctx=8, d_model=8, n_layers=2, n_heads=2), run.rng)
    Trainer(run, model, source, steps=train_steps, batch_size=4, lr=1e-2).start()
    run.run_until(train_steps + 0.5)
    world = AttentionWorld(run, model, source, layer_time=layer_time)
    world.start(n_tokens, at=train_steps + 1)
    run.run_until(train_steps + 10 * n_tokens)
    run.metrics.record(1.0, "attention", "loss_nats", 1.5, "nats")
    run.close()
    return run


def test_export_is_valid_json_with_required_fields(tmp_path: Path) -> None:
    """Every event has name/ph/pid/tid, every non-metadata event a numeric ts, slices a non-negative dur."""
    _attention_run(tmp_path)
    for e in _events(tmp_path):
        assert {"name", "ph", "pid", "tid"} <= e.keys()
        if e["ph"] != "M":
            assert isinstance(e["ts"], int | float)
        if e["ph"] == "X":
            assert e["dur"] >= 0


def test_training_and_inference_on_separate_tracks(tmp_path: Path) -> None:
    """Train step k and token k never share a track: steps on 'training …', tokens on 'inference …'."""
    _attention_run(tmp_path)
    events = _events(tmp_path)
    names = _threads(events)
    steps = [e for e in events if e["name"] == "train_step"]
    tokens = [e for e in events if e["name"] == "token"]
    assert len(steps) == 5 and len(tokens) == 24
    assert {names[(e["pid"], e["tid"])] for e in steps} == {"training train"}
    assert {names[(e["pid"], e["tid"])].split(" #")[0] for e in tokens} == {"inference attention"}


def test_overlapping_tokens_use_lanes_bounded_by_tokens_in_flight(tmp_path: Path) -> None:
    """Queued tokens overlap: slices on one lane never overlap, and the lanes number the most tokens in flight."""
    _attention_run(tmp_path, layer_time=1.7)
    trace = read_trace(tmp_path)
    starts = trace[trace.kind == "token_start"].set_index("entity_id").t
    ends = trace[trace.kind == "token_end"].set_index("entity_id").t
    moments = sorted([(t, 1) for t in starts] + [(t, -1) for t in ends], key=lambda x: (x[0], x[1]))
    in_flight = max(np.cumsum([d for _, d in moments]))
    assert in_flight >= 2, "the test needs overlapping tokens"
    tokens = [e for e in _events(tmp_path) if e["name"] == "token"]
    by_lane = defaultdict(list)
    for e in tokens:
        by_lane[e["tid"]].append((e["ts"], e["ts"] + e["dur"]))
    assert len(by_lane) == in_flight
    for spans in by_lane.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_flows_follow_the_strongest_attention_edge(tmp_path: Path) -> None:
    """Each flow starts inside the attended token's slice and ends inside the attending one's; the pairs are
    exactly the (argmax position, token) pairs of the attend events other than self-attention."""
    _attention_run(tmp_path)
    trace = read_trace(tmp_path)
    att = trace[trace.kind == "attend"]
    expected = {(int(d), int(e)) for d, e in zip(att.dst, att.entity_id, strict=True) if int(d) != int(e)}
    events = _events(tmp_path)
    slices = {e["args"]["entity_id"]: (e["ts"], e["ts"] + e["dur"], e["tid"]) for e in events if e["name"] == "token"}
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    finishes = {e["id"]: e for e in events if e["ph"] == "f"}
    assert starts.keys() == finishes.keys() and len(starts) == len(expected) > 0
    pairs = set()
    for fid, s in starts.items():
        f = finishes[fid]
        assert f["bp"] == "e"
        src = next(k for k, (a, b, tid) in slices.items() if tid == s["tid"] and a <= s["ts"] <= b)
        dst = next(k for k, (a, b, tid) in slices.items() if tid == f["tid"] and a <= f["ts"] <= b)
        pairs.add((src, dst))
    assert pairs == expected


def test_attend_dst_is_the_argmax_of_the_attention_row(tmp_path: Path) -> None:
    """The attention world traces, per head, the context position with the largest attention weight."""
    run = Run(8)
    source = MarkovSource.random(run.rng, V=5, order=1, alpha=0.5)
    model = AttentionModel.init(ModelConfig(vocab=5, n_ctx=6, d_model=8, n_layers=2, n_heads=3), run.rng)
    world = AttentionWorld(run, model, source)
    world.process_now(14)
    att = run.trace.to_frame().query("kind == 'attend'")
    for node in world.graph.nodes:
        if node[0] == 0:
            continue
        preds = sorted(world.graph.pred[node].items())
        heads = np.array([d["heads"] for _, d in preds]).T  # (H, n)
        positions = [p[1] for p, _ in preds]
        got = att[(att.layer == node[0] - 1) & (att.entity_id == node[1])].sort_values("head").dst.astype(int)
        assert got.tolist() == [positions[i] for i in heads.argmax(axis=1)]


def test_membrane_kinds_are_grouped_and_rate_counters_conserve_events(tmp_path: Path) -> None:
    """A membrane run with thousands of protons gets one track or counter series per kind, not per proton, and
    each kind's rate × bin width summed over the bins gives back its number of events."""
    execute("respiratory_control", tmp_path, seed=0, overrides=all_scenarios()["respiratory_control"].smoke)
    trace = read_trace(tmp_path)
    mem = trace[trace.world == "membrane"]
    assert mem.entity_id.nunique() > 1000
    events = _events(tmp_path)
    counts = mem.kind.astype(str).value_counts()
    binned = {k for k, n in counts.items() if n > MAX_INSTANTS}
    threads = _threads(events)
    assert set(threads.values()) == set(counts.index) - binned
    rates = [e for e in events if e["name"] == "membrane events/s"]
    assert len(rates) == N_BINS + 1
    width = (mem.t.max() - mem.t.min()) / N_BINS
    for kind in binned:
        total = sum(e["args"][kind] for e in rates) * width
        assert total == pytest.approx(counts[kind], rel=1e-5)


def test_export_size_is_a_few_times_the_parquet_trace(tmp_path: Path) -> None:
    """A membrane run's trace.json is at most 5× its trace.parquet (the per-event JSON was ≈ 17×)."""
    execute("respiratory_control", tmp_path, seed=0, overrides=all_scenarios()["respiratory_control"].smoke)
    export_perfetto(tmp_path)
    ratio = (tmp_path / "trace.json").stat().st_size / (tmp_path / "trace.parquet").stat().st_size
    assert ratio <= 5.0


def test_metrics_become_one_counter_track_per_metric(tmp_path: Path) -> None:
    """Metrics sampled at one time share one counter event; each metric appears as an argument with its unit."""
    run = Run(0, out_dir=tmp_path, run_id="m")
    run.trace.emit(0.0, "membrane", "pump", src="N", dst="P", value=4)
    for t in (0.0, 1.0, 2.0):
        run.metrics.record_many(t, "membrane", {"pmf_mV": (180.0 + t, "mV"), "ocr": (10.0, "O2/s")})
    run.close()
    counters = [e for e in _events(tmp_path) if e["ph"] == "C"]
    assert [e["ts"] for e in counters] == [0, 1_000_000, 2_000_000]
    assert counters[1]["args"] == {"pmf_mV [mV]": 181, "ocr [O2/s]": 10}


def test_cli_export(tmp_path: Path) -> None:
    """`gradient export-perfetto DIR` writes DIR/trace.json; a directory without a trace exits 2."""
    _attention_run(tmp_path / "r", n_tokens=4, train_steps=2)
    assert main(["export-perfetto", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "trace.json").stat().st_size > 0
    (tmp_path / "empty").mkdir()
    assert main(["export-perfetto", str(tmp_path / "empty")]) == 2
