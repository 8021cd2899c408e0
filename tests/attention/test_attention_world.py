"""The SimPy inference stream: token life cycles, queueing, the graph window, perturbations, determinism."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import simpy

from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, ModelConfig
from world.attention.stream import AttentionWorld
from world.clock import Run


def _world(seed: int = 0, n_ctx: int = 8, L: int = 1, H: int = 2, **kw):
    run = Run(seed)
    source = MarkovSource.random(run.rng, V=5, order=1, alpha=0.5)
    model = AttentionModel.init(ModelConfig(vocab=5, n_ctx=n_ctx, d_model=8, n_layers=L, n_heads=H), run.rng)
    return run, AttentionWorld(run, model, source, **kw)


def test_every_token_start_has_exactly_one_end() -> None:
    """With queueing on the heads, every token_start id appears exactly once as a token_end, after its start."""
    run, w = _world(layer_time=0.9, L=2)
    w.start(30)
    run.run_until(200)
    tr = run.trace.to_frame()
    starts = tr[tr.kind == "token_start"].set_index("entity_id").t
    ends = tr[tr.kind == "token_end"].set_index("entity_id").t
    assert sorted(starts.index) == sorted(ends.index) == list(range(30))
    assert ends.index.is_unique and (ends.loc[starts.index] >= starts).all()


def test_trace_log_with_a_busy_head() -> None:
    """Tokens every 1.0 and one head busy 1.5 per token: starts, attends and ends follow the queue exactly."""
    run, w = _world(H=1, layer_time=1.5)
    w.start(3)
    run.run_until(10)
    tr = run.trace.to_frame()
    log = [(round(t, 6), k, int(e)) for t, k, e in zip(tr.t, tr.kind.astype(str), tr.entity_id, strict=True)]
    assert log == [
        (0.0, "token_start", 0),
        (0.0, "attend", 0),
        (1.0, "token_start", 1),
        (1.5, "token_end", 0),
        (1.5, "attend", 1),
        (2.0, "token_start", 2),
        (3.0, "token_end", 1),
        (3.0, "attend", 2),
        (4.5, "token_end", 2),
    ]
    waits = [json.loads(a)["wait"] for a in tr[tr.kind == "token_end"]["attrs"]]
    assert waits == [0.0, 0.5, 1.0]


def test_same_seed_gives_identical_trace_frame() -> None:
    """Two runs with the same seed (poisson arrivals, corruption) produce identical trace frames."""
    frames = []
    for _ in range(2):
        run, w = _world(seed=11, arrival="poisson", layer_time=0.8)
        w.corrupt_context(0.3)
        w.start(25)
        run.run_until(100)
        frames.append(run.trace.to_frame())
    pd.testing.assert_frame_equal(frames[0], frames[1])


def test_simpy_stream_equals_plain_loop() -> None:
    """The SimPy stream and the synchronous plain loop give the same surprisal and entropy for every token."""
    out = []
    for sync in (False, True):
        run, w = _world(seed=5, L=2)
        if sync:
            w.process_now(40)
        else:
            w.start(40)
            run.run_until(100)
        out.append(np.array([(r[2], r[3]) for r in w.records]))
    assert np.allclose(out[0], out[1], atol=1e-12)


def test_graph_holds_only_the_current_window() -> None:
    """After 2.5 windows the graph holds exactly the current half window's nodes and causal edges."""
    n_ctx, L = 8, 2
    run, w = _world(n_ctx=n_ctx, L=L)
    w.start(20)
    run.run_until(50)
    current = list(range(16, 20))
    assert sorted(w.graph.nodes) == sorted((layer, p) for layer in range(L + 1) for p in current)
    assert w.graph.number_of_edges() == L * len(current) * (len(current) + 1) // 2
    for node in w.graph.nodes:
        if node[0] > 0:
            weights = [d["weight"] for _, _, d in w.graph.in_edges(node, data=True)]
            assert math.isclose(sum(weights), 1.0, abs_tol=1e-12)


def test_energy_container_gates_tokens() -> None:
    """Tokens that must get 1 unit each from an empty container wait until a refill, one per unit."""
    run = Run(0)
    energy = simpy.Container(run.env, capacity=10, init=0)
    source = MarkovSource.random(run.rng, V=4, order=1, alpha=1.0)
    model = AttentionModel.init(ModelConfig(vocab=4, n_ctx=8, d_model=8, n_heads=1), run.rng)
    w = AttentionWorld(run, model, source, energy=energy, cost_per_token=1.0, layer_time=0.0)
    w.start(5)

    def refill(env):  # type: ignore[no-untyped-def]
        yield env.timeout(10)
        yield energy.put(3)

    run.env.process(refill(run.env))
    run.run_until(9)
    assert w.tokens_done == 0 and w.tokens_started == 5
    run.run_until(20)
    assert w.tokens_done == 3 and energy.level == 0


def test_ablating_every_head_equals_attention_free_prediction() -> None:
    """With every head ablated the prediction depends only on the current token and position."""
    run, w = _world(seed=3, H=2)
    w.ablate_heads([(0, 0), (0, 1)])
    w.process_now(8)
    m = w.model
    for rec in w.records:
        pos = rec[0]
        h = m.embed_one(
            int(run.trace.to_frame().query("kind == 'token_start' and entity_id == @pos").value.iloc[0]),
            pos % m.config.n_ctx,
        )
        q = np.exp(m.logits_one(h) - m.logits_one(h).max())
        q /= q.sum()
        assert math.isclose(rec[3], float(-(q * np.log(q)).sum()), rel_tol=1e-9)


def test_perturbation_arguments_are_validated() -> None:
    """Bad temperatures, corruption fractions and head indices raise ValueError naming the value."""
    _, w = _world()
    with pytest.raises(ValueError, match=r"temperature\(=0"):
        w.set_temperature(0.0)
    with pytest.raises(ValueError, match=r"p\(=1.5\)"):
        w.corrupt_context(1.5)
    with pytest.raises(ValueError, match="head"):
        w.ablate_heads([(0, 7)])


def test_graph_edges_carry_head_mean_and_attend_values_are_row_entropies() -> None:
    """Each edge's weight is the mean of its per-head weights, and each attend event's value is that head's row
    entropy / log n, across window boundaries and head counts."""
    for H in (1, 2, 3):
        run, w = _world(seed=8, n_ctx=8, L=2, H=H)
        w.process_now(11)
        tr = run.trace.to_frame()
        att = tr[tr.kind == "attend"]
        for node in w.graph.nodes:
            if node[0] == 0:
                continue
            data = [d for _, d in sorted(w.graph.pred[node].items())]
            A = np.array([d["heads"] for d in data]).T  # (H, n), as the layer returned it
            np.testing.assert_allclose([d["weight"] for d in data], A.mean(axis=0), rtol=1e-12)
            np.testing.assert_allclose(A.sum(axis=1), 1.0, atol=1e-12)
            layer, pos = node[0] - 1, node[1]
            got = att[(att.layer == layer) & (att.entity_id == pos)].sort_values("head").value.tolist()
            if A.shape[1] == 1:
                assert all(pd.isna(v) for v in got)
            else:
                ent = -(A * np.log(np.maximum(A, 1e-300))).sum(axis=1) / math.log(A.shape[1])
                np.testing.assert_allclose(got, ent, rtol=1e-12)


def test_graph_window_drop_survives_a_foreign_edge() -> None:
    """An edge added to the graph from outside the world does not break retiring an old window."""
    _, w = _world(n_ctx=4, L=1)
    w.process_now(3)
    w.graph.add_edge((1, 2), "outside")
    w.process_now(6)
    assert sorted(n for n in w.graph.nodes if n != "outside") == [(0, 8), (1, 8)]
    assert w.graph.number_of_edges() == 1


def test_stream_layer_queue_obeys_pollaczek_khinchine() -> None:
    """Poisson arrivals (mean gap 1) on one layer held 0.7 per token: the stream's mean wait lies in the 99 %
    batch-means interval of the M/D/1 mean wait ρs/(2(1 − ρ)); the same tokens at regular gaps never wait."""
    from analysis.queueing import batch_means_ci

    waits = {}
    for arrival in ("poisson", "regular"):
        run, w = _world(seed=2, L=1, arrival=arrival, layer_time=0.7, record_graph=False)
        w.start(4000)
        run.run_until(6000)
        tr = run.trace.to_frame()
        waits[arrival] = np.array([json.loads(a)["wait"] for a in tr[tr.kind == "token_end"]["attrs"]])
    mean, half = batch_means_ci(waits["poisson"][400:], 20, 0.99)
    assert abs(mean - 0.7 * 0.7 / (2 * 0.3)) <= half
    assert waits["regular"].max() == 0.0


def test_lazy_graph_equals_a_graph_read_after_every_token() -> None:
    """Reading `graph` once at the end gives the same nodes, edges and edge data as reading it after every token;
    `attention_table` holds the same weights as the edges' per-head tuples."""
    graphs = []
    for every in (True, False):
        _, w = _world(seed=6, n_ctx=6, L=2, H=3)
        for _ in range(14):
            w.process_now(1)
            if every:
                _ = w.graph
        graphs.append(w.graph)
    a, b = graphs
    assert sorted(a.nodes(data=True)) == sorted(b.nodes(data=True))
    assert sorted(a.edges(data=True)) == sorted(b.edges(data=True))
    table = w.attention_table()
    for pos, layer, head, src, weight in zip(
        *(table[k] for k in ("pos", "layer", "head", "src", "weight")), strict=True
    ):
        assert b.edges[(int(layer), int(src)), (int(layer) + 1, int(pos))]["heads"][int(head)] == weight


def test_keep_attention_keeps_every_token() -> None:
    """With keep_attention every token's rows stay (rows of each head sum to 1) after their window is dropped."""
    run, w = _world(seed=1, n_ctx=4, L=2, H=2, keep_attention=True)
    w.start(10)
    run.run_until(30)
    rows = w.attention_rows()
    assert [(p, layer) for p, layer, _ in rows] == [(p, layer) for p in range(10) for layer in range(2)]
    for pos, _, A in rows:
        assert A.shape == (2, pos % 4 + 1)
        np.testing.assert_allclose(A.sum(axis=1), 1.0, atol=1e-12)
    assert len(w.attention_table()["weight"]) == sum(A.size for _, _, A in rows)


def test_starting_inside_the_arrival_keeps_the_order_of_start_events() -> None:
    """Tokens start inside their arrival except the first (its arrival runs in a process start) and the last:
    the trace equals that of starting every token by a start event (a process start's priority), with other
    processes started at coinciding instants. Starting the first token inside its arrival too puts it before a
    process started just after the stream, which a process per token would not."""
    from world.attention.stream import _Start

    def emitter(run: Run):  # type: ignore[no-untyped-def]
        run.trace.emit(run.env.now, "membrane", "other_start", value=run.env.now)
        yield run.env.timeout(0)

    def driver(run: Run):  # type: ignore[no-untyped-def]
        while True:
            yield run.env.timeout(1.0)
            run.env.process(emitter(run))

    traces = {}
    for how in ("as built", "start event", "always inside"):
        run, w = _world(seed=4, L=2, token_interval=0.5, layer_time=0.2)
        if how == "start event":
            w._begin = lambda tok, inside, env=run.env: _Start(env, tok.begin)  # type: ignore[method-assign]
        elif how == "always inside":
            w._begin = lambda tok, inside: tok.begin()  # type: ignore[method-assign]
        w.start(20)
        run.env.process(emitter(run))
        run.env.process(driver(run))
        run.run_until(12)
        traces[how] = run.trace.to_table()
    kinds = traces["as built"].column("kind").to_pylist()
    assert kinds.count("token_end") == 20 and kinds.count("other_start") == 13  # at t = 0, 1, 2, ..., 12
    assert traces["as built"].equals(traces["start event"])
    assert not traces["always inside"].equals(traces["start event"])


def test_a_lone_token_that_never_waits_costs_one_event_per_layer_besides_its_arrival() -> None:
    """Regular arrivals that never queue (one slot per layer): each further token costs the clock its arrival
    timeout and one hold per layer, nothing else (no start, request or release events; with a grant hop after
    every release it would be 1 + 2L)."""

    def events(n: int, L: int) -> int:
        run, w = _world(seed=2, L=L, token_interval=1.0)
        steps = 0
        step = run.env.step

        def counting_step() -> None:
            nonlocal steps
            steps += 1
            step()

        run.env.step = counting_step  # type: ignore[method-assign]
        w.start(n)
        run.run_until(n + 5)
        assert w.tokens_done == n
        return steps

    for L in (1, 3):
        assert events(50, L) - events(20, L) == 30 * (1 + L)


def test_start_returns_an_event_that_succeeds_at_the_last_arrival() -> None:
    """`start` returns an event that succeeds when the last token has arrived (not completed); a process can wait
    for it. Zero tokens: it succeeds at once."""
    run, w = _world(layer_time=0.5)
    done = w.start(5, at=2.0)
    seen: list[float] = []

    def waiter(env: simpy.Environment):  # type: ignore[no-untyped-def]
        yield done
        seen.append(env.now)

    run.env.process(waiter(run.env))
    run.run_until(20)
    assert seen == [6.0] and w.tokens_done == 5
    empty = w.start(0)
    run.run_until(21)
    assert empty.processed and w.tokens_started == 5
