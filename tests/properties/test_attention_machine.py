"""Stateful property test of the attention world: any sequence of training, streaming and perturbations keeps
its laws (token accounting, probability mass, rollout rows, entropy bounds, cross-entropy floor, the clock)."""

import math

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from analysis.attention_graph import attention_rollout, layer_matrices
from analysis.attention_replay import replay_attention_counters
from world.attention.model import softmax
from world.attention.stream import AttentionWorld
from world.attention.training import Trainer, build_source_and_model, evaluate
from world.clock import Run


class AttentionMachine(RuleBasedStateMachine):
    """Drives one small attention world through hypothesis-chosen rules on one run clock."""

    @initialize(
        seed=st.integers(0, 2**16),
        V=st.integers(2, 6),
        n_layers=st.integers(1, 2),
        n_heads=st.integers(1, 3),
        alpha=st.sampled_from([0.3, 1.0, 5.0]),
    )
    def build(self, seed: int, V: int, n_layers: int, n_heads: int, alpha: float) -> None:
        self.run = Run(seed)
        self.V, self.L, self.H = V, n_layers, n_heads
        self.source, self.model = build_source_and_model(
            self.run, V=V, alpha=alpha, n_ctx=8, d_model=8, n_layers=n_layers, n_heads=n_heads
        )
        self.world = AttentionWorld(self.run, self.model, self.source, head_capacity=1, token_interval=0.3)
        self.last_now = 0.0
        self.trained = 0

    def _advance(self, span: float) -> None:
        self.run.run_until(self.run.now + span)

    @rule(k=st.integers(1, 15))
    def train(self, k: int) -> None:
        """Train k optimiser steps, then let the clock pass them."""
        trainer = Trainer(self.run, self.model, self.source, steps=k, batch_size=8, lr=2e-2, dt=0.1, warmup=0)
        trainer.start()
        self._advance(k * 0.1 + 0.05)
        self.trained += k

    @rule(n=st.integers(1, 12))
    def emit_tokens(self, n: int) -> None:
        """Stream n tokens and run until they have all completed (they may queue for head slots)."""
        target = self.world.tokens_done + n
        self.world.start(n)
        for _ in range(100):
            self._advance(1.0)
            if self.world.tokens_done == target:
                break
        assert self.world.tokens_done == target, "tokens still in flight after 100 time units"

    @rule(tau=st.floats(0.25, 4.0), out=st.floats(0.25, 4.0))
    def change_temperature(self, tau: float, out: float) -> None:
        """Change the attention and output softmax temperatures."""
        self.world.set_temperature(tau, out)

    @rule(data=st.data())
    def ablate(self, data: st.DataObject) -> None:
        """Ablate a hypothesis-chosen set of heads (possibly none)."""
        heads = data.draw(st.sets(st.tuples(st.integers(0, self.L - 1), st.integers(0, self.H - 1))))
        self.world.ablate_heads(sorted(heads))

    @rule()
    def restore(self) -> None:
        """Restore every head."""
        self.world.restore_heads()

    @rule(p=st.floats(0.0, 1.0))
    def corrupt(self, p: float) -> None:
        """Corrupt a fraction p of context tokens from now on."""
        self.world.corrupt_context(p)

    @invariant()
    def clock_never_goes_back(self) -> None:
        """Simulated time is monotone and every trace row is stamped in order."""
        assert self.run.now >= self.last_now
        self.last_now = self.run.now

    @invariant()
    def every_token_started_ends_exactly_once(self) -> None:
        """Between rules no token is in flight; every token_start has exactly one token_end."""
        trace = self.run.trace.to_frame()
        assert trace["t"].is_monotonic_increasing
        tok = trace[trace.world == "attention"]
        starts = tok[tok.kind == "token_start"].entity_id.tolist()
        ends = tok[tok.kind == "token_end"].entity_id.tolist()
        assert sorted(starts) == sorted(ends) and len(set(ends)) == len(ends)
        assert self.world.tokens_started == self.world.tokens_done == len(ends)
        replay = replay_attention_counters(trace)
        assert replay["tokens_done"] == self.world.tokens_done

    @invariant()
    def entropy_bounds(self) -> None:
        """Every completed token's next-token entropy lies in [0, log V]."""
        ent = np.array([r[3] for r in self.world.records])
        assert np.all(ent >= -1e-12) and np.all(ent <= math.log(self.V) + 1e-9)

    @invariant()
    def probability_mass_and_rollout_rows(self) -> None:
        """Output softmax and attention rows of the current model sum to 1, and so do rollout rows of the graph."""
        x = self.source.sample_batch(np.random.default_rng(0), 2, 6)
        logits, cache = self.model.forward(x, temperature=self.world.temperature)
        np.testing.assert_allclose(softmax(logits).sum(-1), 1.0, atol=1e-9)
        for A in cache["attn"]:
            np.testing.assert_allclose(A.sum(-1), 1.0, atol=1e-9)
        G = self.world.graph
        tops = [n for n in G.nodes if n[0] == self.L]
        if tops:
            top = max(tops, key=lambda n: n[1])
            _, mats = layer_matrices(G, top)
            for A in mats:
                np.testing.assert_allclose(A.sum(1), 1.0, atol=1e-9)
            np.testing.assert_allclose(attention_rollout(mats).sum(1), 1.0, atol=1e-9)

    @precondition(lambda self: self.trained > 0)
    @invariant()
    def cross_entropy_at_least_entropy_rate(self) -> None:
        """On held-out data the cross-entropy is ≥ the entropy floor: exactly in expectation over the next token
        (KL ≥ 0), and for the sampled tokens within 4 standard errors where no transition is rarer than 1 %
        (rarer ones are seldom sampled at all, so the sampled mean has no usable error bar there)."""
        held = self.source.sample_batch(np.random.default_rng(1), 64, 9)
        ev = evaluate(self.model, self.source, held)
        assert ev["kl_nats"] >= -1e-12
        assert ev["expected_cross_entropy_nats"] >= ev["floor_nats"] - 1e-12
        if self.source.transition[self.source.transition > 0].min() >= 0.01:
            assert ev["cross_entropy_nats"] >= ev["floor_nats"] - 4 * ev["cross_entropy_se_nats"]


AttentionMachine.TestCase.settings = settings(stateful_step_count=12)  # examples: the dev/ci profile
TestAttentionMachine = AttentionMachine.TestCase
