"""The attention world's inference side: a token stream through the model on the run's SimPy clock.

Time unit ("model time"): one token slot = 1 unit. Tokens arrive one per ``token_interval`` (default 1 slot;
``arrival="poisson"`` draws exponential gaps from the run's generator); each layer is held for ``layer_time``
(default 0.5/L, so a lone token finishes within half a slot). Each layer is one `LayerSlots` with ``head_capacity``
slots (``layers``; it grants exactly as a ``simpy.Resource`` would, a free slot without an event): a token always
takes all H heads of a layer together, in the same order as every other token, so one resource per layer grants at
exactly the times H per-head resources would, with one request instead of H. When tokens come faster than a layer
serves them they queue, and the waits show in the trace (``attend`` is stamped when the slot is granted; ``wait`` in
``token_end``). A token is driven by callbacks on the SimPy events it waits for (`agents.token`), starting at its
arrival with a process start's priority. Where the queues matter: only for *when* things happen (latency, order of
ATP draws against the membrane's steps). What a token computes never depends on them: the forward is causal and the
KV cache enforces position order, so queueing, congestion and the plain loop (`process_now`) give bit-identical
per-token results. With regular arrivals every ``token_interval`` ≥ L·``layer_time`` (the defaults, and the
scenarios that use this stream) no token ever waits; the queueing model where compute binds is
`world.attention.serving`.

Context window, attention and graph: the stream is cut into windows of ``n_ctx`` tokens (the model's context).
A token at window position 0 clears the KV cache layer by layer as it passes, so attention never crosses a
window boundary. As tokens pass, their attention rows are kept in arrays (per window: (pos, layer, A) with A
the (H, n) head weights; `attention_rows`, `attention_table`); the networkx ``DiGraph`` `graph` is brought up
to date from them when it is read, incrementally (only rows computed since the last read are added), never per
token from scratch. Nodes are ``(layer, pos)`` with ``layer`` 0 = the input embedding and ``layer`` l+1 = the
residual after attention layer l, ``pos`` = stream position; an edge ``(l, j) → (l+1, i)`` carries ``weight``
= head-mean attention of i on j and ``heads`` = the per-head weights (a tuple). Input nodes carry ``token``
(the symbol the model saw). When the first token of a new window completes, the previous window's rows and
nodes are dropped, so at most two windows are held and, between tokens, exactly the current one.
``keep_attention=True`` also keeps every token's rows for the whole run (for writing them out).

Trace (world ``"attention"``, ``src`` = the world's ``name``, ``entity_id`` = ``pos`` = stream position; rows
kept as columns by `world.attention.token_log.TokenLog` and built at each flush, the same bytes as one row per
event):
``token_start`` (value = the input symbol), ``attend`` per (layer, head) (value = the row's attention entropy
/ log n, None at window position 0), ``token_end`` (value = surprisal of the true next symbol, nats;
``info_bits`` = log₂V − surprisal/ln 2, the bits saved against the uniform code; attrs = {entropy_nats, wait}).
Metrics at each ``token_end`` (every ``metrics_every`` tokens): ``next_token_entropy_nats``,
``surprisal_nats``, ``tokens_done``, ``inference_bits_saved`` (cumulative).

Perturbations (take effect for tokens that arrive afterwards): `set_temperature` (attention and/or output
softmax), `ablate_heads` / `restore_heads`, `corrupt_context` (a fraction p of input tokens replaced by
uniform random symbols; the true next symbol is still scored), `set_model` (e.g. untrained or frozen weights).
Coupling: an optional ``energy`` container from which every token must ``get(cost_per_token)`` first.

Key names: `AttentionWorld` (``start``, ``process_now``, ``counters``, ``summary``, ``records``, ``graph``,
``attention_rows``, ``attention_table``, ``layers``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import networkx as nx
import numpy as np
import simpy

from agents.token import Token
from world.attention.attention_rows import AttentionRows
from world.attention.markov import MarkovSource
from world.attention.model import AttentionModel
from world.attention.slots import LayerSlots
from world.attention.token_log import TokenLog
from world.clock import Run

__all__ = ["AttentionWorld"]

WORLD = "attention"
LN2 = math.log(2.0)


class _Start(simpy.events.Event):
    """Calls ``callback(event)`` at the current time with the priority of a process start (SimPy's own
    ``Initialize`` event does this for a ``simpy.Process``): a token begins where its process would have."""

    def __init__(self, env: simpy.Environment, callback: Callable[[simpy.events.Event], None]) -> None:
        self.env = env
        self.callbacks = [callback]
        self._value = None
        self._ok = True
        env.schedule(self, simpy.events.URGENT)


class _Arrivals:
    """The arrivals of one `AttentionWorld.start` call, driven by callbacks on their timeouts.

    The events, their order and the generator draws are those of an arrival *process* (a generator yielding a
    timeout per gap): it begins at process-start priority, waits for ``at``, then at each arrival creates the
    token (the Markov symbols are drawn at the first, a corruption draw at each), draws the next gap, schedules
    the next arrival and starts the token (`AttentionWorld._begin`). ``done`` succeeds where that process would
    end, after its last token's start event is scheduled; without the generator's resumption per token.
    """

    __slots__ = ("at", "done", "env", "inside", "left", "tokens", "world")

    def __init__(self, world: AttentionWorld, n: int, at: float) -> None:
        self.world, self.env, self.at, self.left = world, world.env, at, n
        self.tokens = world._tokens(n)
        self.inside = False
        self.done = simpy.Event(self.env)
        _Start(self.env, self._begin)

    def _begin(self, _event: simpy.events.Event) -> None:
        env = self.env
        if self.at > env.now:
            self.inside = True
            env.timeout(self.at - env.now).callbacks.append(self._arrive)
        else:
            self._arrive(None)

    def _arrive(self, _event: simpy.events.Event | None) -> None:
        tok = next(self.tokens, None)
        if tok is None:  # n = 0: the symbols were still drawn, as the process's first step would have
            self.done.succeed()
            return
        self.left -= 1
        env, world = self.env, self.world
        if not self.left:
            _Start(env, tok.begin)
            self.done.succeed()
            return
        gap = world.token_interval if world.arrival == "regular" else world.run.rng.exponential(world.token_interval)
        env.timeout(gap).callbacks.append(self._arrive)
        world._begin(tok, inside=self.inside)
        self.inside = True


class AttentionWorld:
    """Token stream, head resources, KV cache and attention graph of one model on one source.

    Args:
        run: the run (clock, generator, recorders).
        model: the attention model (read only; swap with `set_model`).
        source: the Markov source of the stream.
        name: ``src`` of this world's trace events (tell several streams apart).
        head_capacity: slots per head resource (≥ 1).
        token_interval: model time between arrivals (> 0).
        layer_time: model time a token holds a layer's heads (≥ 0; default 0.5 / n_layers).
        arrival: ``"regular"`` or ``"poisson"`` (exponential gaps with mean ``token_interval``).
        temperature: attention softmax temperature (> 0).
        out_temperature: output softmax temperature (> 0).
        energy: optional container; every token must ``get(cost_per_token)`` before it is processed.
        cost_per_token: amount taken from ``energy`` per token (≥ 0).
        record_graph: keep the current window's attention so that `graph` can be read (False keeps none).
        keep_attention: keep every token's attention rows for the whole run (`attention_rows`,
            `attention_table`), not only the current window's; implies ``record_graph``.
        metrics_every: metrics sample every this many completed tokens (≥ 1).
    """

    def __init__(
        self,
        run: Run,
        model: AttentionModel,
        source: MarkovSource,
        *,
        name: str = "attention",
        head_capacity: int = 1,
        token_interval: float = 1.0,
        layer_time: float | None = None,
        arrival: str = "regular",
        temperature: float = 1.0,
        out_temperature: float = 1.0,
        energy: simpy.Container | None = None,
        cost_per_token: float = 0.0,
        record_graph: bool = True,
        keep_attention: bool = False,
        metrics_every: int = 1,
    ) -> None:
        if model.config.vocab != source.V:
            raise ValueError(f"model vocab(={model.config.vocab}) must equal the source's V(={source.V})")
        if not isinstance(head_capacity, int) or head_capacity < 1:
            raise ValueError(f"head_capacity(={head_capacity!r}) must be an integer ≥ 1")
        if not (math.isfinite(token_interval) and token_interval > 0):
            raise ValueError(f"token_interval(={token_interval}) must be a finite number > 0")
        layer_time = 0.5 / model.config.n_layers if layer_time is None else layer_time
        if not (math.isfinite(layer_time) and layer_time >= 0):
            raise ValueError(f"layer_time(={layer_time}) must be a finite number ≥ 0")
        if arrival not in ("regular", "poisson"):
            raise ValueError(f"arrival(={arrival!r}) must be one of: regular, poisson")
        if not (math.isfinite(cost_per_token) and cost_per_token >= 0):
            raise ValueError(f"cost_per_token(={cost_per_token}) must be a finite number ≥ 0")
        if energy is not None and cost_per_token > energy.capacity:
            raise ValueError(f"cost_per_token(={cost_per_token}) exceeds the energy capacity(={energy.capacity})")
        if metrics_every < 1:
            raise ValueError(f"metrics_every(={metrics_every}) must be ≥ 1")
        self.run, self.env = run, run.env
        self.source = source
        self.name = name
        self.head_capacity = head_capacity
        self.token_interval = float(token_interval)
        self.layer_time = float(layer_time)
        self.arrival = arrival
        self.energy = energy
        self.cost_per_token = float(cost_per_token)
        self.record_graph = record_graph or keep_attention
        self.keep_attention = keep_attention
        self.metrics_every = metrics_every
        self.model = model
        self.cache = model.new_cache()
        L, H = model.config.n_layers, model.config.n_heads
        self.layers = [LayerSlots(self.env, head_capacity) for _ in range(L)]
        """One slot resource per layer: a token takes all H heads of a layer together (module docstring)."""
        self.temperature = 1.0
        self.out_temperature = 1.0
        self.set_temperature(temperature, out_temperature)
        self.head_mask = np.ones((L, H))
        self.corrupt_p = 0.0
        self.attention = AttentionRows(keep_all=keep_attention)
        """The kept attention rows (`world.attention.attention_rows`)."""
        self._history: np.ndarray | None = None  # last `order` symbols, the last one not yet emitted
        self._next_pos = 0
        self.tokens_started = 0
        self.tokens_done = 0
        self.bits_saved = 0.0
        self._since = [0.0, 0.0, 0]  # entropy sum, surprisal sum, count since the last metrics sample
        self.records: list[tuple[int, float, float, float, float, float, int]] = []
        """Per completed token: (pos, t_end, surprisal, entropy, temperature, out_temperature, heads ablated)."""
        self.in_flight = 0
        self.energy_used = 0.0
        self._log_v = math.log(source.V)
        self._mask_counted: tuple[np.ndarray | None, int] = (None, 0)
        """The last head mask seen at a token's end and its number of ablated heads (masks are replaced,
        never mutated, so the count is taken once per mask)."""
        self.log = TokenLog(run, name, model.config.n_ctx)
        """The per-token trace rows and metric samples, as columns until a flush (`world.attention.token_log`)."""

    # ------------------------------------------------------------------ perturbations
    def set_temperature(self, temperature: float | None = None, out_temperature: float | None = None) -> None:
        """Set the attention and/or the output softmax temperature (None leaves one unchanged)."""
        for label, v in (("temperature", temperature), ("out_temperature", out_temperature)):
            if v is not None and not (math.isfinite(v) and v > 0):
                raise ValueError(f"{label}(={v}) must be a finite number > 0")
        if temperature is not None:
            self.temperature = float(temperature)
        if out_temperature is not None:
            self.out_temperature = float(out_temperature)

    def ablate_heads(self, heads: Iterable[tuple[int, int]] | np.ndarray) -> None:
        """Zero the output of the given heads: (layer, head) pairs, or an (L, H) multiplier array."""
        L, H = self.head_mask.shape
        if isinstance(heads, np.ndarray) and heads.ndim == 2:
            if heads.shape != (L, H):
                raise ValueError(f"head mask shape {heads.shape} must be (n_layers, n_heads) = {(L, H)}")
            self.head_mask = heads.astype(np.float64).copy()
            return
        mask = self.head_mask.copy()
        for layer, head in heads:
            if not (0 <= layer < L and 0 <= head < H):
                raise ValueError(f"head (layer={layer}, head={head}) is outside {L} layers × {H} heads")
            mask[layer, head] = 0.0
        self.head_mask = mask  # replaced, not mutated: tokens in flight keep the mask they arrived with

    def restore_heads(self) -> None:
        """Undo every ablation."""
        self.head_mask = np.ones_like(self.head_mask)

    def corrupt_context(self, p: float) -> None:
        """Replace each arriving input token with probability ``p`` by a uniform random symbol (0 = off)."""
        if not (0.0 <= p <= 1.0):
            raise ValueError(f"p(={p}) must lie in [0, 1]")
        self.corrupt_p = float(p)

    def set_model(self, model: AttentionModel) -> None:
        """Use other weights (same config) for tokens that arrive from now on."""
        if model.config != self.model.config:
            raise ValueError(f"model config {model.config} differs from the world's {self.model.config}")
        self.model = model

    # ------------------------------------------------------------------ the stream
    def _symbols(self, n: int) -> np.ndarray:
        """The next n + 1 stream symbols (the last is kept as look-ahead for the next call)."""
        rng = self.run.rng
        if self._history is None:
            first = self.source.sample(rng, self.source.order)
            new = self.source.extend(rng, first, n)
            seq = np.concatenate([first[-1:], new])
            hist = np.concatenate([first, new])
        else:
            new = self.source.extend(rng, self._history, n)
            seq = np.concatenate([self._history[-1:], new])
            hist = np.concatenate([self._history, new])
        self._history = hist[-self.source.order :]
        return seq

    def start(self, n_tokens: int, at: float | None = None) -> simpy.Event:
        """Schedule a stream of ``n_tokens`` tokens, the first arriving at ``at`` (default now).

        Successive calls continue the same Markov chain and the same positions.

        Returns:
            An event that succeeds when the last token has arrived (not completed).
        """
        if not isinstance(n_tokens, int | np.integer) or n_tokens < 0:
            raise ValueError(f"n_tokens(={n_tokens!r}) must be an integer ≥ 0")
        at = float(self.env.now) if at is None else float(at)
        if at < self.env.now:
            raise ValueError(f"at(={at}) is before now (={self.env.now})")
        return _Arrivals(self, int(n_tokens), at).done

    def _tokens(self, n: int):  # type: ignore[no-untyped-def]
        """Create the next ``n`` tokens of the stream, one at a time (corruption is drawn here)."""
        rng = self.run.rng
        seq = self._symbols(n).tolist()
        n_ctx = self.model.config.n_ctx
        V = self.source.V
        for i in range(n):
            symbol = seq[i]
            seen = symbol
            if self.corrupt_p > 0 and rng.random() < self.corrupt_p:
                seen = int(rng.integers(V))
            pos = self._next_pos
            self._next_pos += 1
            yield Token(
                self,
                pos,
                symbol,
                seen,
                seq[i + 1],
                pos % n_ctx,
                self.temperature,
                self.out_temperature,
                self.head_mask,
            )

    def _begin(self, tok: Token, inside: bool) -> None:
        """Start ``tok`` now, ``inside`` the arrival or by a start event (a process start's priority).

        Inside is exact when the arrival was resumed by its timeout (a normal-priority event: no start event
        of another process can then be due at this instant, so the token's start event would be the next one
        processed); the first arrival of a stream started at once runs at a process start's priority, behind
        which other processes started at this instant may be due, so it takes a start event. The last token takes
        one too (`_Arrivals`), as the last token of an arrival process would.
        """
        if inside:
            tok.begin()
        else:
            _Start(self.env, tok.begin)

    def process_now(self, n_tokens: int) -> None:
        """Process ``n_tokens`` tokens synchronously at the current time, without SimPy processes.

        The same model, cache, graph, trace and counters as `start`, with no queueing and no time passing:
        the plain-loop reference for benchmarks and for checking the SimPy stream.
        """
        if not isinstance(n_tokens, int | np.integer) or n_tokens < 0:
            raise ValueError(f"n_tokens(={n_tokens!r}) must be an integer ≥ 0")
        if self.in_flight:
            raise ValueError(f"{self.in_flight} tokens are still in flight; process_now needs an idle stream")
        for tok in self._tokens(int(n_tokens)):
            tok.run_sync()

    # ------------------------------------------------------------------ callbacks from tokens
    def on_token_start(self, tok: Token) -> None:
        """Count and trace an arrival; keep its input symbol for the graph."""
        self.tokens_started += 1
        self.in_flight += 1
        self.log.start(self.env.now, tok.id, tok.input_symbol)
        if self.energy is not None and self.cost_per_token > 0:
            self.energy_used += self.cost_per_token
        if self.record_graph:
            self.attention.add_token(tok.id - tok.window_pos, tok.id, tok.input_symbol)

    def on_attend(self, tok: Token, layer: int, A: np.ndarray) -> None:
        """Trace one (layer, head) attention row per head (built at the next flush) and keep the row."""
        first = tok.id - tok.window_pos  # column j of A is stream position first + j
        self.log.attend(self.env.now, tok.id, layer, first, A)
        if self.record_graph:
            self.attention.add_row(first, tok.id, layer, A)

    def on_token_end(self, tok: Token, entropy: float, surprisal: float) -> None:
        """Count, trace and sample metrics for a completed token; retire the previous window's graph nodes."""
        self.in_flight -= 1
        self.tokens_done += 1
        bits = (self._log_v - surprisal) / LN2
        self.bits_saved += bits
        t = self.env.now
        self.log.end(t, tok.id, surprisal, bits, entropy, tok.wait)
        mask = tok.head_mask
        if mask is not self._mask_counted[0]:
            self._mask_counted = (mask, int(mask.size - np.count_nonzero(mask)))
        ablated = self._mask_counted[1]
        self.records.append((tok.id, t, surprisal, entropy, tok.temperature, tok.out_temperature, ablated))
        s = self._since
        s[0] += entropy
        s[1] += surprisal
        s[2] += 1
        if self.tokens_done % self.metrics_every == 0:
            self.log.sample(t, s[0] / s[2], s[1] / s[2], float(self.tokens_done), self.bits_saved)
            self._since = [0.0, 0.0, 0]
        if self.record_graph and tok.window_pos == 0:
            self.attention.retire(tok.id - self.model.config.n_ctx)

    # ------------------------------------------------------------------ attention, read on demand
    @property
    def graph(self) -> nx.DiGraph:
        """The attention graph of the retained windows, brought up to date from the kept rows now (incremental;
        see the module docstring)."""
        return self.attention.graph

    def attention_rows(self) -> list[tuple[int, int, np.ndarray]]:
        """Per token and layer, in the order computed: ``(pos, layer, A)`` with ``A`` (H, n) the heads' attention
        over stream positions ``pos − n + 1 … pos`` (the token itself last). Every token of the run with
        ``keep_attention``, else the retained windows' (empty without ``record_graph``)."""
        return self.attention.rows()

    def attention_table(self) -> dict[str, np.ndarray]:
        """`attention_rows` in long columnar form (`AttentionRows.table`): int64 ``pos``, ``layer``, ``head``,
        ``src`` and float64 ``weight``, one entry per (token, layer, head, attended position)."""
        return self.attention.table()

    # ------------------------------------------------------------------ results
    def counters(self) -> dict[str, float]:
        """Cumulative counters of this stream (rebuildable from the trace: `analysis.attention_replay`)."""
        return {
            "tokens_started": self.tokens_started,
            "tokens_done": self.tokens_done,
            "inference_bits_saved": self.bits_saved,
        }

    def summary(self, since: int = 0, until: int | None = None) -> dict[str, float]:
        """Means over completed tokens ``records[since:until]``: cross-entropy, entropy, bits saved."""
        recs = self.records[since:until]
        if not recs:
            return {
                "tokens": 0,
                "cross_entropy_nats": math.nan,
                "next_token_entropy_nats": math.nan,
                "bits_saved_per_token": math.nan,
            }
        arr = np.array([(r[2], r[3]) for r in recs])
        ce = float(arr[:, 0].mean())
        return {
            "tokens": len(recs),
            "cross_entropy_nats": ce,
            "cross_entropy_se_nats": float(arr[:, 0].std(ddof=1) / math.sqrt(len(recs))) if len(recs) > 1 else 0.0,
            "next_token_entropy_nats": float(arr[:, 1].mean()),
            "bits_saved_per_token": (math.log(self.source.V) - ce) / LN2,
            "excess_nats": ce - self.source.entropy_rate_nats,
        }
