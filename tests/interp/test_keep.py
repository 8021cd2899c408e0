"""Runs keep their model, source, stream attention and graph; the readers give back the same objects."""

from pathlib import Path

import numpy as np
import pytest

from analysis.attention_graph import attention_rollout, head_matrices, rollout_from_graph
from analysis.kept import attention_arrays, read_attention, read_attention_graph, read_model, read_source
from scenarios.runner import execute
from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, ModelConfig, log_softmax
from world.attention.stream import AttentionWorld
from world.clock import Run
from world.rundir import read_manifest
from world.trace import read_trace

# one worker runs this module, so its module-scoped run is made once (`make test` uses --dist loadgroup)
pytestmark = pytest.mark.xdist_group("keep")


@pytest.fixture(scope="module")
def kept_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kept") / "run"
    execute(
        "training_builds_gradient",
        out,
        seed=4,
        overrides={"steps": "20", "n_tokens": "20", "heldout_seqs": "8", "n_ctx": "8", "n_layers": "2"},
    )
    return out


def test_every_kept_file_is_written_and_listed(kept_run: Path) -> None:
    """model.npz, source.json, attention.parquet and the GraphML file exist, are non-empty and are in the manifest."""
    manifest = read_manifest(kept_run)
    assert manifest is not None
    for name in ("model.npz", "source.json", "attention.parquet", "attention_graph.graphml"):
        assert (kept_run / name).stat().st_size > 0
        assert name in manifest["paths"]


def test_saved_model_reloads_to_the_same_logits(kept_run: Path) -> None:
    """The kept model gives bit-identical logits to a second load, and its source its exact entropy rate."""
    model, source = read_model(kept_run), read_source(kept_run)
    x = source.sample_batch(np.random.default_rng(0), 3, model.config.n_ctx)
    again = AttentionModel.load(kept_run / "model.npz")
    assert np.array_equal(model.forward(x)[0], again.forward(x)[0])
    assert model.config.n_layers == 2 and model.config.vocab == source.V


def test_kept_attention_is_the_models_attention(kept_run: Path) -> None:
    """Each stream window's kept attention equals the batch forward of the kept model on its input symbols."""
    model, table = read_model(kept_run), read_attention(kept_run)
    n_ctx = model.config.n_ctx
    assert set(table.columns) >= {"token_pos", "source_pos", "layer", "head", "weight"}
    assert table.token_pos.max() == 19
    for start in (0, 8):
        A, tokens = attention_arrays(table, start, n_ctx)
        _, cache = model.forward(tokens[None, :])
        assert np.allclose(A, np.stack([a[0] for a in cache["attn"]]), atol=1e-12)
    rows = table.groupby(["token_pos", "layer", "head"]).weight.sum()
    assert np.allclose(rows, 1.0, atol=1e-12)


def test_graphml_reads_back_as_the_stream_graph(kept_run: Path) -> None:
    """The reloaded graph has the stream layout; its rollout equals the rollout of the kept attention table."""
    G = read_attention_graph(kept_run)
    top = (2, 19)
    pos, mats = head_matrices(G, top)
    assert pos == list(range(16, 20))
    A, _ = attention_arrays(read_attention(kept_run), 16, 4)
    assert np.allclose(np.stack(mats), A, atol=1e-15)
    R = attention_rollout([a.mean(axis=0) for a in A])
    assert np.allclose(list(rollout_from_graph(G, top).values()), R[-1], atol=1e-12)


def test_reloaded_model_reproduces_the_runs_own_surprisals(kept_run: Path) -> None:
    """The surprisal each stream token recorded in the trace (computed in the run, token by token through the KV
    cache) equals the reloaded model's batch forward on the kept input symbols (1e-12)."""
    model, table = read_model(kept_run), read_attention(kept_run)
    trace = read_trace(kept_run)
    ends = trace[(trace["kind"].astype(str) == "token_end") & (trace["src"].astype(str) == "trained")]
    recorded = dict(zip(ends["pos"].astype(int), ends["value"], strict=True))
    n_ctx = model.config.n_ctx
    checked = 0
    for start in (0, 8):
        _, tokens = attention_arrays(table, start, n_ctx)
        logp = log_softmax(model.forward(tokens[None, :])[0][0])
        for i in range(n_ctx - 1):
            assert -logp[i, tokens[i + 1]] == pytest.approx(recorded[start + i], abs=1e-12)
            checked += 1
    assert checked == 14


def test_stream_keeps_every_input_symbol_with_its_attention() -> None:
    """With keep_attention every token's input symbol stays after its window is retired (they are the symbols
    the trace's token_start events carry); without it only the retained windows' symbols remain."""
    config = ModelConfig(vocab=4, n_ctx=4, d_model=8, n_layers=2, n_heads=2)
    run = Run(0)
    source = MarkovSource.random(run.rng, V=4)
    model = AttentionModel.init(config, run.rng)
    world = AttentionWorld(run, model, source, keep_attention=True)
    world.process_now(10)
    cols = world.attention_table()
    assert sorted(set(cols["pos"].tolist())) == list(range(10))
    symbols = world.attention.symbols()
    trace = run.trace.to_frame()
    starts = trace[trace["kind"].astype(str) == "token_start"]
    assert {int(p): int(v) for p, v in zip(starts["pos"], starts["value"], strict=True)} == symbols
    plain = AttentionWorld(Run(0), model, source)
    plain.process_now(10)
    assert sorted(plain.attention.symbols()) == list(range(8, 10))
