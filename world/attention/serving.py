"""Serving: tokens of concurrent request streams queue for finite compute and draw ATP, on the run's clock.

A queueing model of inference, parameterised by an attention model's shape (`ModelConfig`), not a forward
pass: what it computes is *when* each token is served, not what it predicts (the stream in
`world.attention.stream` does that, and its per-token results never depend on time).

Time is the run's clock in **seconds**. Arrivals: bursts of ``burst`` tokens arrive as a Poisson process of
rate ``rate / burst`` (so tokens arrive at ``rate`` per second; ``burst = 1`` is a plain Poisson stream, the
superposition of many independent request streams). Each token then

1. draws ``atp_per_token`` ATP from ``energy`` (FIFO `simpy.Container` get, e.g. `world.coupling.CytosolicATP`,
   whose granted gets hydrolyse real cytosolic ATP); when ATP is short it stalls; with ``atp_timeout`` set,
   a token that has not got its ATP within that time is **dropped** (its get is cancelled, it takes nothing);
2. passes the layers in order; layer l is one `simpy.Resource` with ``capacity`` slots (the layer's heads are
   always taken together by a token, so one resource per layer is exactly one per head taken in a fixed
   order); a token holds a slot for the layer's service time ``s_l = layer_flops(config)[l] / compute_rate``;
   ``capacity=None`` removes the resources (infinite servers: no token ever waits);
3. ends (``token_served`` trace row, value = latency in s).

Batching (``batch_max`` B > 1): each layer is instead served by ``capacity`` server processes that take up to B
waiting tokens at once, in arrival order, and serve them together in ``s_l·(w + (1 − w)·b)`` for a batch of b,
with ``w = batch_shared`` the fraction of a lone token's service that a batch shares (reading the weights once);
``w = 0`` makes batching pointless, ``w > 0`` raises the capacity to ``c·B / (s_max·(w + (1 − w)·B))``.

Service times are deterministic: every token attends over a full KV window of ``context`` positions
(sliding-window serving in steady state). FLOPs per token and layer (multiply-add = 2 FLOPs): Q, K, V and
output projections ``8·d_model·H·d_head``, scores and weighted sum ``4·H·d_head·context``, MLP
``4·d_model·d_mlp`` if present; the unembedding ``2·d_model·V`` is charged to the last layer.

ATP unit conversion: the cost is ``atp_per_token`` = k whole ATP molecules per token (a `CytosolicATP` get
must be whole). With F = Σ_l layer FLOPs per token, the implied energy per FLOP is k·|ΔG_ATP| / F
(`ServingModel.joules_per_flop`); the membrane patch is tiny, so k is a scale choice, not a hardware figure.

Theory (``capacity = 1``): by Friedman's reduction (a tandem of deterministic single servers delays every
token exactly as one server of the slowest service time s_max, plus the other stages' service), the mean
latency is W_q + Σ s_l with W_q the M^X/D/1 mean wait of `mean_wait_theory`: (ρ·s + (b−1)·s) / (2(1−ρ)),
ρ = rate·s_max, which is Pollaczek–Khinchine's ρ·s/(2(1−ρ)) for b = 1.

Key names: `layer_flops`, `mean_wait_theory`, `ServingModel` (``start``, ``results``, ``counts``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import simpy

from world.attention.model import ModelConfig
from world.clock import Run

__all__ = ["ServingModel", "layer_flops", "mean_wait_theory"]

WORLD = "attention"


def layer_flops(config: ModelConfig, context: int | None = None) -> np.ndarray:
    """FLOPs of one token at each layer with a KV window of ``context`` positions (default ``n_ctx``).

    Returns:
        Array of length ``n_layers`` (float64); the unembedding is included in the last entry.
    """
    n = config.n_ctx if context is None else int(context)
    if n < 1:
        raise ValueError(f"context(={context}) must be ≥ 1")
    d, H, dh = config.d_model, config.n_heads, config.d_head
    per_layer = 8 * d * H * dh + 4 * H * dh * n + (4 * d * config.d_mlp if config.mlp else 0)
    out = np.full(config.n_layers, float(per_layer))
    out[-1] += 2.0 * d * config.vocab
    return out


def mean_wait_theory(rate: float, service: float, burst: int = 1) -> float:
    """Mean queueing wait of a token in M^X/D/1 with fixed batch size ``burst`` (P–K for ``burst = 1``).

    Args:
        rate: token arrival rate (1/s).
        service: deterministic service time of the single server (s).
        burst: tokens per Poisson arrival.

    Returns:
        (ρ·s + (b − 1)·s) / (2(1 − ρ)) with ρ = rate·s; ``inf`` when ρ ≥ 1.
    """
    rho = rate * service
    if rho >= 1.0:
        return math.inf
    return (rho * service + (burst - 1) * service) / (2.0 * (1.0 - rho))


class ServingModel:
    """Poisson token load on finite per-layer compute, paid in ATP.

    Args:
        run: the run (clock, generator, trace).
        config: the served model's shape (sets the FLOPs per token).
        rate: offered token rate (tokens/s, > 0).
        compute_rate: FLOP/s of one slot of a layer (> 0).
        capacity: slots per layer (integer ≥ 1), or None for infinite servers (no queue).
        burst: tokens per arrival (integer ≥ 1).
        context: KV window every token attends over (default ``config.n_ctx``).
        energy: optional container every token must ``get(atp_per_token)`` from before it is served.
        atp_per_token: whole ATP molecules per token (integer ≥ 0).
        atp_timeout: drop a token that waited this long for ATP (s, > 0); None waits for ever.
        name: ``src`` of this model's trace rows.
        batch_max: largest batch a layer serves at once (integer ≥ 1; 1 = no batching).
        batch_shared: fraction of a lone token's service time shared by a batch (in [0, 1]).
    """

    def __init__(
        self,
        run: Run,
        config: ModelConfig,
        *,
        rate: float,
        compute_rate: float = 1e7,
        capacity: int | None = 1,
        burst: int = 1,
        context: int | None = None,
        energy: simpy.Container | None = None,
        atp_per_token: int = 0,
        atp_timeout: float | None = None,
        name: str = "serving",
        batch_max: int = 1,
        batch_shared: float = 0.0,
    ) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate(={rate}) must be a finite number > 0 (tokens/s)")
        if not (math.isfinite(compute_rate) and compute_rate > 0):
            raise ValueError(f"compute_rate(={compute_rate}) must be a finite number > 0 (FLOP/s)")
        if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1):
            raise ValueError(f"capacity(={capacity!r}) must be an integer ≥ 1 or None (infinite)")
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst(={burst!r}) must be an integer ≥ 1")
        if isinstance(atp_per_token, bool) or not isinstance(atp_per_token, int) or atp_per_token < 0:
            raise ValueError(f"atp_per_token(={atp_per_token!r}) must be an integer ≥ 0 (whole ATP molecules)")
        if atp_timeout is not None and not (math.isfinite(atp_timeout) and atp_timeout > 0):
            raise ValueError(f"atp_timeout(={atp_timeout}) must be a finite number > 0 (s) or None")
        if isinstance(batch_max, bool) or not isinstance(batch_max, int) or batch_max < 1:
            raise ValueError(f"batch_max(={batch_max!r}) must be an integer ≥ 1")
        if not 0.0 <= batch_shared <= 1.0:
            raise ValueError(f"batch_shared(={batch_shared}) must lie in [0, 1]")
        if batch_max > 1 and capacity is None:
            raise ValueError("batch_max > 1 needs a finite capacity (batches form only where tokens wait)")
        self.run, self.env = run, run.env
        self.config = config
        self.rate = float(rate)
        self.compute_rate = float(compute_rate)
        self.capacity = capacity
        self.burst = burst
        self.flops = layer_flops(config, context)
        self.service = self.flops / self.compute_rate
        """Service time per layer (s)."""
        self.energy = energy if atp_per_token > 0 else None
        self.atp_per_token = atp_per_token
        self.atp_timeout = atp_timeout
        self.name = name
        self.batch_max = batch_max
        self.batch_shared = float(batch_shared)
        L = len(self.flops)
        self.layers = (
            None
            if capacity is None or batch_max > 1
            else [simpy.Resource(self.env, capacity=capacity) for _ in range(L)]
        )
        self.queues: list[list[simpy.Event]] = [[] for _ in range(L)]
        """Batching only: tokens waiting at each layer (an event each, succeeded when its batch is served)."""
        self._wake = [simpy.Event(self.env) for _ in range(L)]
        self.batches: list[list[tuple[float, float, int]]] = [[] for _ in range(L)]
        """Batching only: (start, end, size) of every batch served, per layer."""
        if batch_max > 1:
            for layer in range(L):
                for _ in range(capacity or 1):
                    self.env.process(self._server(layer))
        self.started = 0
        self.admitted = 0
        self.done = 0
        self.dropped = 0
        self.atp_drawn = 0
        self._arrive: list[float] = []
        self._admit: list[float] = []
        self._end: list[float] = []
        self._grant: list[tuple[float, ...]] = []
        self._request: list[tuple[float, ...]] = []

    @property
    def max_throughput(self) -> float:
        """Compute capacity (tokens/s): c·B / (s_max·(w + (1 − w)·B)); c / s_max without batching; inf without
        resources."""
        if self.capacity is None:
            return math.inf
        b = self.batch_max
        return self.capacity * b / (float(self.service.max()) * (self.batch_shared + (1 - self.batch_shared) * b))

    def _server(self, layer: int):  # type: ignore[no-untyped-def]
        """One server of a batching layer: take up to ``batch_max`` waiting tokens, serve them together."""
        env, queue, s = self.env, self.queues[layer], float(self.service[layer])
        w = self.batch_shared
        while True:
            while not queue:
                if self._wake[layer].triggered:
                    self._wake[layer] = simpy.Event(env)
                yield self._wake[layer]
            batch = queue[: self.batch_max]
            del queue[: self.batch_max]
            t0 = env.now
            for ev in batch:
                ev.succeed(t0)
            yield env.timeout(s * (w + (1 - w) * len(batch)))
            self.batches[layer].append((t0, env.now, len(batch)))
            for ev in batch:
                ev.value_done.succeed()  # type: ignore[attr-defined]

    @property
    def rho(self) -> float:
        """Offered load of the bottleneck layer (rate / max_throughput)."""
        return self.rate / self.max_throughput

    def joules_per_flop(self, dg_atp_j: float) -> float:
        """Energy per FLOP implied by the ATP cost, for a free energy of hydrolysis ``dg_atp_j`` (J per ATP)."""
        return self.atp_per_token * abs(dg_atp_j) / float(self.flops.sum())

    def start(self, until: float, at: float | None = None) -> simpy.Process:
        """Let tokens arrive from ``at`` (default now) until ``until`` (s); returns the arrival process."""
        at = float(self.env.now) if at is None else float(at)
        if not (self.env.now <= at < until):
            raise ValueError(f"arrival window ({at}, {until}) must satisfy now <= at < until")
        return self.env.process(self._arrivals(at, float(until)))

    def _arrivals(self, at: float, until: float):  # type: ignore[no-untyped-def]
        env, rng = self.env, self.run.rng
        mean_gap = self.burst / self.rate
        t = at + rng.exponential(mean_gap)
        while t < until:
            yield env.timeout(t - env.now)
            for _ in range(self.burst):
                env.process(self._token(self.started))
                self.started += 1
            t += rng.exponential(mean_gap)

    def _token(self, tid: int):  # type: ignore[no-untyped-def]
        env = self.env
        t_arr = env.now
        if self.energy is not None:
            get = self.energy.get(self.atp_per_token)
            if self.atp_timeout is None:
                yield get
            else:
                yield get | env.timeout(self.atp_timeout)
                if not get.triggered:
                    get.cancel()
                    self.dropped += 1
                    self.run.trace.emit(env.now, WORLD, "token_dropped", entity_id=tid, src=self.name)
                    return
            self.atp_drawn += self.atp_per_token
        self.admitted += 1
        t_adm = env.now
        req_t, grant_t = [], []
        if self.batch_max > 1:
            for layer in range(len(self.flops)):
                req_t.append(env.now)
                start, done = env.event(), env.event()
                start.value_done = done  # type: ignore[attr-defined]
                self.queues[layer].append(start)
                if not self._wake[layer].triggered:
                    self._wake[layer].succeed()
                grant_t.append((yield start))
                yield done
        elif self.layers is None:
            for s in self.service.tolist():
                req_t.append(env.now)
                grant_t.append(env.now)
                yield env.timeout(s)
        else:
            for res, s in zip(self.layers, self.service.tolist(), strict=True):
                req_t.append(env.now)
                with res.request() as req:
                    yield req
                    grant_t.append(env.now)
                    yield env.timeout(s)
        self.done += 1
        t_end = env.now
        self._arrive.append(t_arr)
        self._admit.append(t_adm)
        self._end.append(t_end)
        self._request.append(tuple(req_t))
        self._grant.append(tuple(grant_t))
        self.run.trace.emit(t_end, WORLD, "token_served", entity_id=tid, src=self.name, value=t_end - t_arr, unit="s")

    # ------------------------------------------------------------------ results
    def counts(self) -> dict[str, int]:
        """Token and ATP counts: started = done + dropped + in flight; ``atp_drawn`` = admitted × k."""
        return {
            "started": self.started,
            "admitted": self.admitted,
            "done": self.done,
            "dropped": self.dropped,
            "in_flight": self.started - self.done - self.dropped,
            "atp_drawn": self.atp_drawn,
        }

    def records(self) -> dict[str, np.ndarray]:
        """Completed tokens in completion order: ``arrive``, ``admit``, ``end`` (n,), ``request``, ``grant`` (n, L)."""
        L = len(self.flops)
        return {
            "arrive": np.array(self._arrive),
            "admit": np.array(self._admit),
            "end": np.array(self._end),
            "request": np.array(self._request).reshape(-1, L),
            "grant": np.array(self._grant).reshape(-1, L),
        }

    def results(self, t0: float, t1: float) -> dict[str, Any]:
        """Measured over tokens that arrived in [t0, t1): latency stats; over the window: throughput, queues.

        Queue length and utilisation per layer are time averages over [t0, t1) from the exact wait and
        service intervals of every completed token (tokens still in flight at t1 count up to t1 only if they
        completed, so use a window that ends before the run does).
        """
        r = self.records()
        span = t1 - t0
        sel = (r["arrive"] >= t0) & (r["arrive"] < t1)
        lat = r["end"][sel] - r["arrive"][sel]
        atp_wait = r["admit"][sel] - r["arrive"][sel]
        queue_wait = (r["grant"][sel] - r["request"][sel]).sum(axis=1) if len(lat) else np.array([])
        done_in = int(((r["end"] >= t0) & (r["end"] < t1)).sum())

        def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.clip(np.minimum(b, t1) - np.maximum(a, t0), 0.0, None).sum(axis=0)

        queue_len = overlap(r["request"], r["grant"]) / span
        if self.batch_max > 1:
            busy = (
                np.array(
                    [
                        overlap(np.array([b[0] for b in bs]), np.array([b[1] for b in bs])) if bs else 0.0
                        for bs in self.batches
                    ]
                )
                / span
            )
        else:
            busy = overlap(r["grant"], r["grant"] + self.service) / span
        cap = self.capacity if self.capacity is not None else math.inf
        return {
            "tokens": int(sel.sum()),
            "throughput": done_in / span,
            "latency_mean": float(lat.mean()) if len(lat) else math.nan,
            "latency_p50": float(np.percentile(lat, 50)) if len(lat) else math.nan,
            "latency_p99": float(np.percentile(lat, 99)) if len(lat) else math.nan,
            "queue_wait_mean": float(queue_wait.mean()) if len(lat) else math.nan,
            "atp_wait_mean": float(atp_wait.mean()) if len(lat) else math.nan,
            "queue_len": queue_len.tolist(),
            "utilisation": (busy / cap).tolist(),
        }
