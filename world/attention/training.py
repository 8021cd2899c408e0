"""Training of the attention model as a SimPy process: every optimiser step is an event on the run's clock.

Time unit: one optimiser step takes ``dt`` units of model time (default 1), so step k (1-based) happens at
``t_start + k·dt``. Each step samples a fresh batch from the source with the run's generator, scores it
*before* the update (prequential loss: the model has never seen these tokens), back-propagates and applies
Adam. The step is recorded as one trace event and one metrics sample.

Trace (world ``"attention"``): kind ``train_step``, ``entity_id`` = step number (1-based), ``src`` = trainer
name, ``value`` = ``loss_nats`` (prequential, full-context positions), ``unit`` = "nats", ``info_bits`` = bits
saved on this step's scored tokens against the uniform code, ``attrs`` = {grad_norm, n_tokens, lr}.
Metrics at the same t: ``loss_nats``, ``entropy_rate_nats``, ``excess_loss_nats``, ``grad_norm``,
``attention_entropy_norm`` (mean over heads), ``attention_entropy_norm_L{li}H{h}`` (per head), ``bits_saved``
(cumulative), ``train_steps`` (cumulative).

Scored positions: position t predicts token t+1 and is scored when it has a full context (t ≥ order − 1), so
the expected loss of a perfect model is exactly the source's entropy rate. The gradient uses every position
(the model must also learn the first tokens of a window).

Key names: `Trainer` (``start()`` → simpy.Process; ``counters()``: ``train_steps``, ``bits_saved``), `evaluate`
(held-out cross-entropy, its exact Rao-Blackwellised expectation and the exact KL to the source),
`attention_entropy_norm` (per-head normalised attention entropy of a forward cache),
`build_source_and_model` (the source and a fresh model from the run's generator, as scenarios use them).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import simpy

from world.attention.backward import cross_entropy, grad_norm, loss_and_grads
from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel, ModelConfig, entropy_nats, log_softmax
from world.attention.optim import Adam
from world.clock import Run

__all__ = [
    "Trainer",
    "attention_entropy_norm",
    "build_source_and_model",
    "check_training_memory",
    "evaluate",
    "step_bytes",
]

WORLD = "attention"
LN2 = math.log(2.0)


def attention_entropy_norm(attn: list[np.ndarray]) -> np.ndarray:
    """Mean normalised row entropy H(A_i)/log(i+1) per head, over batch and rows i ≥ 1.

    Args:
        attn: per layer, attention (B, H, T, T) from `AttentionModel.forward`.

    Returns:
        (L, H) array in [0, 1]; NaN when T = 1 (no row has a choice).
    """
    out = []
    for A in attn:
        T = A.shape[-1]
        if T < 2:
            out.append(np.full(A.shape[1], np.nan))
            continue
        ent = entropy_nats(A[:, :, 1:, :])  # (B, H, T-1)
        out.append((ent / np.log(np.arange(2, T + 1))).mean(axis=(0, 2)))
    return np.array(out)


def evaluate(
    model: AttentionModel,
    source: MarkovSource,
    tokens: np.ndarray,
    **forward_kwargs: Any,
) -> dict[str, float]:
    """Held-out scores of ``model`` on sequences ``tokens`` (B, T+1) of ``source``.

    Positions with a full context (t ≥ order − 1) are scored. Returns ``cross_entropy_nats`` (mean surprisal
    of the actual next tokens), ``cross_entropy_se_nats`` (its standard error), ``expected_cross_entropy_nats``
    (−Σ_b P(b|ctx) log q(b|ctx): the same quantity with the next token averaged out exactly),
    ``kl_nats`` (mean exact KL(P(·|ctx) ‖ q)), ``floor_nats`` (mean true conditional entropy of the scored
    contexts; → entropy rate), ``entropy_rate_nats``, ``excess_nats`` (cross_entropy − entropy rate),
    ``next_token_entropy_nats`` (mean H(q)), ``n_tokens``.
    """
    tokens = np.asarray(tokens)
    k = source.order - 1
    parts: dict[str, list[np.ndarray]] = {"nll": [], "exp_ce": [], "floor": [], "h_q": []}
    chunk = eval_chunk(model.config, tokens.shape[1] - 1)
    for lo in range(0, tokens.shape[0], chunk):  # bounded memory: the attention of `chunk` sequences at a time
        x, y = tokens[lo : lo + chunk, :-1], tokens[lo : lo + chunk, 1:]
        logits, _ = model.forward(x, **forward_kwargs)
        _, _, nll = cross_entropy(logits, y)
        logq = log_softmax(logits)[:, k:]
        P = source.conditional(x)[:, k:]
        with np.errstate(divide="ignore", invalid="ignore"):
            logP = np.where(P > 0, np.log(np.where(P > 0, P, 1.0)), 0.0)
        parts["nll"].append(nll[:, k:].ravel())
        parts["exp_ce"].append(-(P * logq).sum(-1).ravel())
        parts["floor"].append(-(P * logP).sum(-1).ravel())
        parts["h_q"].append(entropy_nats(np.exp(logq)).ravel())
    nll, exp_ce, floor, h_q = (np.concatenate(parts[name]) for name in ("nll", "exp_ce", "floor", "h_q"))
    n = nll.size
    ce = float(nll.mean())
    return {
        "cross_entropy_nats": ce,
        "cross_entropy_se_nats": float(nll.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
        "expected_cross_entropy_nats": float(exp_ce.mean()),
        "kl_nats": float((exp_ce - floor).mean()),
        "floor_nats": float(floor.mean()),
        "entropy_rate_nats": source.entropy_rate_nats,
        "excess_nats": ce - source.entropy_rate_nats,
        "next_token_entropy_nats": float(h_q.mean()),
        "n_tokens": int(n),
    }


EVAL_CHUNK_BYTES = 64 * 2**20
"""Held-out evaluation runs the forward pass on as many sequences at a time as fit in about this much memory."""
MAX_TRAIN_BYTES = 2 * 2**30
"""Largest estimated working set of one training step that a scenario accepts (checked before a run starts)."""


def step_bytes(config: ModelConfig, batch: int, seq_len: int) -> int:
    """Estimated bytes of the float64 arrays one forward + backward pass over ``batch`` sequences holds.

    Per layer: the attention probabilities and their gradient (2·B·H·T²), queries, keys, values, head outputs
    and residuals with their gradients (≈ 12·B·T·d), the MLP activations (2·B·T·d_mlp); plus the logits and
    their gradient (2·B·T·V). An estimate to refuse runs that cannot fit, not an exact account.
    """
    d_mlp = (config.d_mlp or 4 * config.d_model) if config.mlp else 0
    per_layer = 2 * config.n_heads * seq_len * seq_len + 12 * seq_len * config.d_model + 2 * seq_len * d_mlp
    return 8 * batch * (config.n_layers * per_layer + 2 * seq_len * config.vocab)


def eval_chunk(config: ModelConfig, seq_len: int) -> int:
    """Sequences per forward pass in `evaluate` so that one chunk stays within `EVAL_CHUNK_BYTES`."""
    return max(1, EVAL_CHUNK_BYTES // max(1, step_bytes(config, 1, seq_len)))


def check_training_memory(config: ModelConfig, batch: int) -> None:
    """Refuse a model/batch whose training step would need more than `MAX_TRAIN_BYTES`.

    Raises:
        ValueError: naming batch_size, n_ctx, n_heads, n_layers and the estimate.
    """
    need = step_bytes(config, batch, config.n_ctx)
    if need > MAX_TRAIN_BYTES:
        raise ValueError(
            f"batch_size(={batch}) × n_ctx(={config.n_ctx}) with n_heads(={config.n_heads}), "
            f"n_layers(={config.n_layers}), d_model(={config.d_model}) needs ≈ {need / 2**30:.1f} GiB per "
            f"training step; at most {MAX_TRAIN_BYTES / 2**30:.0f} GiB is allowed: make one of them smaller"
        )


def build_source_and_model(
    run: Run,
    *,
    V: int = 8,
    order: int = 1,
    alpha: float = 0.5,
    n_ctx: int = 32,
    d_model: int = 32,
    n_layers: int = 1,
    n_heads: int = 2,
    mlp: bool = False,
) -> tuple[MarkovSource, AttentionModel]:
    """Draw the source (first) and initialise the model (second) from the run's generator."""
    source = MarkovSource.random(run.rng, V=V, order=order, alpha=alpha)
    config = ModelConfig(vocab=V, n_ctx=n_ctx, d_model=d_model, n_layers=n_layers, n_heads=n_heads, mlp=mlp)
    return source, AttentionModel.init(config, run.rng)


class Trainer:
    """Trains ``model`` on ``source`` as a SimPy process on ``run.env``.

    Args:
        run: the run (clock, generator, recorders).
        model: updated in place.
        source: the Markov source batches are drawn from.
        steps: optimiser steps (≥ 0).
        batch_size: sequences per step (≥ 1).
        seq_len: tokens scored per sequence (1..n_ctx; default n_ctx).
        lr: peak Adam learning rate (≥ 0).
        warmup: steps of linear warm-up; the rate then decays by a cosine to ``lr_final_frac·lr``.
        lr_final_frac: final learning rate as a fraction of ``lr``.
        frozen: score and record every step but never update the weights ("no substrate").
        dt: model time per step (> 0).
        name: ``src`` of the trace events.
        record_every: metrics sample every this many steps (trace events are written every step).
    """

    def __init__(
        self,
        run: Run,
        model: AttentionModel,
        source: MarkovSource,
        *,
        steps: int = 600,
        batch_size: int = 32,
        seq_len: int | None = None,
        lr: float = 1e-2,
        warmup: int = 20,
        lr_final_frac: float = 0.02,
        frozen: bool = False,
        dt: float = 1.0,
        name: str = "train",
        record_every: int = 1,
    ) -> None:
        n_ctx = model.config.n_ctx
        seq_len = n_ctx if seq_len is None else seq_len
        if model.config.vocab != source.V:
            raise ValueError(f"model vocab(={model.config.vocab}) must equal the source's V(={source.V})")
        if not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps(={steps!r}) must be an integer ≥ 0")
        if batch_size < 1:
            raise ValueError(f"batch_size(={batch_size}) must be ≥ 1")
        if not source.order <= seq_len <= n_ctx:
            raise ValueError(f"seq_len(={seq_len}) must lie in [order={source.order}, n_ctx={n_ctx}]")
        if not (math.isfinite(dt) and dt > 0):
            raise ValueError(f"dt(={dt}) must be a finite number > 0")
        if warmup < 0 or not 0 <= lr_final_frac <= 1:
            raise ValueError(f"warmup(={warmup}) must be ≥ 0 and lr_final_frac(={lr_final_frac}) in [0, 1]")
        if record_every < 1:
            raise ValueError(f"record_every(={record_every}) must be ≥ 1")
        check_training_memory(model.config, batch_size)
        self.run, self.model, self.source = run, model, source
        self.steps, self.batch_size, self.seq_len = steps, batch_size, seq_len
        self.optimizer = Adam(lr=lr, clip_norm=5.0)
        self.lr, self.warmup, self.lr_final_frac = float(lr), warmup, lr_final_frac
        self.frozen = frozen
        self.dt = float(dt)
        self.name = name
        self.record_every = record_every
        self.steps_done = 0
        self.bits_saved = 0.0
        self.tokens_scored = 0
        self.losses: list[float] = []
        self.process: simpy.Process | None = None
        self.t_start: float | None = None
        self._weights = np.zeros((batch_size, seq_len))
        self._weights[:, source.order - 1 :] = 1.0

    @property
    def duration(self) -> float:
        """Model time the whole training takes (steps · dt)."""
        return self.steps * self.dt

    def lr_at(self, step: int) -> float:
        """Learning rate of (0-based) step ``step``: linear warm-up, then cosine decay."""
        if self.frozen:
            return 0.0
        if step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        frac = (step - self.warmup) / max(1, self.steps - self.warmup)
        lo = self.lr * self.lr_final_frac
        return lo + 0.5 * (self.lr - lo) * (1.0 + math.cos(math.pi * min(frac, 1.0)))

    def start(self) -> simpy.Process:
        """Schedule the training process on the run's environment (first step at now + dt)."""
        if self.process is not None:
            raise ValueError("this Trainer was already started")
        self.t_start = float(self.run.env.now)
        self.process = self.run.env.process(self._loop())
        return self.process

    def _loop(self):  # type: ignore[no-untyped-def]
        env = self.run.env
        t0 = env.now
        for k in range(1, self.steps + 1):
            yield env.timeout(max(0.0, t0 + k * self.dt - env.now))
            self.step()

    def step(self) -> float:
        """One optimiser step now: sample, score (before the update), back-propagate, update, record.

        Returns:
            The prequential loss (nats) of this step's batch.
        """
        rng = self.run.rng
        batch = self.source.sample_batch(rng, self.batch_size, self.seq_len + 1)
        x, y = batch[:, :-1], batch[:, 1:]
        loss_all, grads, nll, cache = loss_and_grads(self.model, x, y)
        del loss_all
        scored = nll[:, self.source.order - 1 :]
        loss = float(scored.mean())
        gnorm = grad_norm(grads)
        lr = self.lr_at(self.steps_done)
        if not self.frozen:
            self.optimizer.step(self.model.params, grads, lr=lr)
        self.steps_done += 1
        n = int(scored.size)
        bits = n * (self.source.uniform_entropy_nats - loss) / LN2
        self.bits_saved += bits
        self.tokens_scored += n
        self.losses.append(loss)
        t = self.run.now
        self.run.trace.emit(
            t,
            WORLD,
            "train_step",
            entity_id=self.steps_done,
            src=self.name,
            value=loss,
            unit="nats",
            info_bits=bits,
            attrs={"grad_norm": gnorm, "n_tokens": n, "lr": lr},
        )
        if self.steps_done % self.record_every == 0 or self.steps_done == self.steps:
            self._record(t, loss, gnorm, attention_entropy_norm(cache["attn"]))
        return loss

    def _record(self, t: float, loss: float, gnorm: float, ent: np.ndarray) -> None:
        h = self.source.entropy_rate_nats
        sample: dict[str, tuple[float, str]] = {
            "loss_nats": (loss, "nats"),
            "entropy_rate_nats": (h, "nats"),
            "excess_loss_nats": (loss - h, "nats"),
            "grad_norm": (gnorm, "1"),
            "attention_entropy_norm": (float(np.nanmean(ent)) if np.isfinite(ent).any() else math.nan, "1"),
            "bits_saved": (self.bits_saved, "bits"),
            "train_steps": (float(self.steps_done), "steps"),
        }
        for (li, hd), v in np.ndenumerate(ent):
            sample[f"attention_entropy_norm_L{li}H{hd}"] = (float(v), "1")
        self.run.metrics.record_many(t, WORLD, sample)

    def counters(self) -> dict[str, float]:
        """Cumulative counters (rebuildable from the trace: `analysis.attention_replay`)."""
        return {"train_steps": self.steps_done, "bits_saved": self.bits_saved}

    def summary(self) -> dict[str, float]:
        """Counters and the last losses: steps, tokens scored, bits saved, mean loss of the last 10% of steps."""
        tail = self.losses[-max(1, len(self.losses) // 10) :] if self.losses else [math.nan]
        return {
            "train_steps": self.steps_done,
            "tokens_scored": self.tokens_scored,
            "bits_saved": self.bits_saved,
            "final_train_loss_nats": float(np.mean(tail)),
        }
