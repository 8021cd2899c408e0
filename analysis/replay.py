"""Replay every cumulative counter of a run from its trace alone, and check it against metrics and summary.

Key names: `replay`, `replay_frame`, `check_run`, `check_metrics`, `check_summary`, `ReplayCheck`,
`COUNTER_METRICS`, `MEMBRANE_COUNTERS`, `ATTENTION_COUNTERS`, `PIPE_COUNTERS`.

The trace loses nothing (README, "Laws we test"): `replay(run_dir)` rebuilds from ``trace.parquet`` (or ``trace.jsonl``)
alone, with pandas,

* ``membrane`` — every counter of `analysis.membrane_replay` summed over the run's membrane worlds (one
  ``membrane_config`` row each), ``worlds`` and their ``c_rings``; ``rotor_turns`` is rotor steps / n when all
  worlds share one c-ring, else None (the trace does not say which world a row came from, see Limits);
* ``attention`` — `analysis.attention_replay`: totals plus per trainer / per stream (the events' ``src``);
* ``pipe`` — ``hops``, the number of ``hop`` rows (the Ehrenfest urn);
* ``trace_events`` — the number of rows.

`check_run(run_dir)` compares these with ``metrics.parquet`` at **every** sample time and with
``summary.json``:

* membrane counter metrics (`COUNTER_METRICS`): at a sample time t the values of the worlds that sampled at
  t are summed and compared with the replay of every membrane row with time ≤ t (a sample sees everything
  stamped ≤ t, `world.clock.Run.every`). Only times at which every membrane world alive then sampled can be
  checked this way; others are counted as unchecked. ``rotor_turns`` of worlds with different c-rings is
  paired with the worlds' ``membrane_config`` rows in creation order (samples at one instant run in the
  order the worlds were created). Integer-valued counters must be equal exactly; ``heat_J`` within
  1e-9 relative to Σ|energy_J| so far (the world adds its heat in another order than the rows);
* attention counter metrics: each sample (t, value) must be one of the replayed cumulative values of some
  stream / trainer right after one of its events at t (bit for bit: sums are taken in ``seq`` order);
* pipe ``hops`` at t: the number of ``hop`` rows with time ≤ t;
* ``summary.json``: ``trace_events`` equals the row count, and every number in ``results`` (nested dicts
  are walked; lists are not) whose key names a counter is compared with the replay. Name mapping: a key
  equal to a counter of `ATTENTION_COUNTERS` is the total over streams / trainers; ``<counter>_<src>``
  with ``src`` a stream or trainer of the trace is that stream's counter (``inference_bits_saved_trained``);
  a key equal to a counter of `MEMBRANE_COUNTERS` is the membrane total (checked only when the run has
  one traced membrane world); ``hops`` is the pipe counter. Such keys must therefore hold run totals, not
  window differences.

Limits: replicate worlds made with ``Run.replica`` record nothing by design, so numbers that include them
are not replayable (their keys must not use counter names). Membrane rows carry no world identity (proton
ids are per Mesa model and overlap), so with several membrane worlds only totals replay.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.attention_replay import replay_attention_counters
from analysis.membrane_replay import COUNTERS as MEMBRANE_ROW_COUNTERS
from analysis.membrane_replay import replay_membrane_counters, row_increments
from world.outputs import read_summary
from world.trace import read_metrics, read_trace

MEMBRANE_COUNTERS = (*MEMBRANE_ROW_COUNTERS, "rotor_turns")
"""Cumulative membrane counters the trace determines (those `analysis.membrane_replay` rebuilds)."""
ATTENTION_COUNTERS = ("train_steps", "bits_saved", "tokens_started", "tokens_done", "inference_bits_saved")
"""Cumulative attention counters the trace determines (totals and per ``src``)."""
PIPE_COUNTERS = ("hops",)
"""Cumulative counters of the Ehrenfest pipe check."""
COUNTER_METRICS = {
    "membrane": ("h_pumped", "charges_moved", "electrons_to_o2", "atp_made", "rotor_turns", "heat_J", "hops"),
    "attention": ("train_steps", "bits_saved", "tokens_done", "inference_bits_saved"),
}
"""Metrics (per world column of ``metrics.parquet``) that are cumulative counters and are checked."""


@dataclass
class ReplayCheck:
    """Outcome of comparing replayed counters with recorded ones.

    Attributes:
        checked: ``"metric:<world>/<name>"`` or ``"summary:<path>"`` → number of values compared.
        mismatches: one line per value that differs.
        unchecked: ``reason`` → number of values that could not be compared.
    """

    checked: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    unchecked: dict[str, int] = field(default_factory=dict)

    def ok(self, key: str) -> None:
        """Count one successful comparison under `key`."""
        self.checked[key] = self.checked.get(key, 0) + 1

    def skip(self, reason: str) -> None:
        """Count one value that could not be compared, under `reason`."""
        self.unchecked[reason] = self.unchecked.get(reason, 0) + 1


def _by_seq(trace: pd.DataFrame) -> pd.DataFrame:
    return trace.sort_values("seq", kind="stable") if "seq" in trace else trace


def _membrane_configs(mem: pd.DataFrame) -> pd.DataFrame:
    return mem[mem["kind"].astype(str) == "membrane_config"]


def _segments(mem: pd.DataFrame, configs: pd.DataFrame) -> list[dict[str, Any]]:
    """Counters of the rows from each ``membrane_config`` row to the next: per world, if worlds run one after
    another (the trace cannot tell; with overlapping worlds these numbers mean nothing)."""
    starts = [*configs["seq"].astype(int).tolist(), None]
    seq = mem["seq"].astype(int)
    out = []
    for a, b in itertools.pairwise(starts):
        part = mem[(seq >= a) & (seq < b)] if b is not None else mem[seq >= a]
        counters = replay_membrane_counters(part)
        counters["rotor_turns"] = counters["rotor_steps"] / counters["c_ring"] if counters["c_ring"] else None
        out.append(counters)
    return out


def replay_frame(trace: pd.DataFrame) -> dict[str, Any]:
    """Every cumulative counter of a run rebuilt from its trace table (see the module docstring)."""
    trace = _by_seq(trace)
    world = trace["world"].astype(str)
    kind = trace["kind"].astype(str)
    out: dict[str, Any] = {"trace_events": len(trace)}
    mem = trace[world == "membrane"]
    configs = _membrane_configs(mem)
    if len(configs):
        rings = [int(v) for v in configs["value"].astype(float)]
        counters = replay_membrane_counters(trace)
        uniform = len(set(rings)) == 1
        counters["rotor_turns"] = counters["rotor_steps"] / rings[0] if uniform else None
        counters.pop("c_ring")
        out["membrane"] = {**counters, "worlds": len(rings), "c_rings": rings, "segments": _segments(mem, configs)}
    hops = int(((world == "membrane") & (kind == "hop")).sum())
    if hops:
        out["pipe"] = {"hops": hops}
    if (world == "attention").any():
        out["attention"] = replay_attention_counters(trace)
    return out


def replay(run_dir: Path | str) -> dict[str, Any]:
    """Every cumulative counter of the run in `run_dir`, rebuilt from its trace file alone."""
    return replay_frame(read_trace(run_dir))


# ------------------------------------------------------------------------------------------ metrics
def _membrane_cumulative(mem: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Times of the membrane rows (seq order) and the cumulative counters after each row."""
    parts = row_increments(mem)
    parts["hops"] = (mem["kind"].astype(str) == "hop").to_numpy(dtype=float)
    parts["heat_scale"] = np.abs(parts["heat_J"])
    return mem["t"].astype(float).to_numpy(), {k: np.cumsum(v) for k, v in parts.items()}


def _at(times: np.ndarray, cum: np.ndarray, t: float) -> float:
    i = int(np.searchsorted(times, t, side="right"))
    return float(cum[i - 1]) if i else 0.0


def _check_membrane(trace: pd.DataFrame, metrics: pd.DataFrame, report: ReplayCheck) -> None:
    mem = trace[trace["world"].astype(str) == "membrane"]
    times, cum = _membrane_cumulative(mem)
    configs = _membrane_configs(mem)
    cfg_t = configs["t"].astype(float).to_numpy()
    cfg_row = np.searchsorted(mem["seq"].astype(int).to_numpy(), configs["seq"].astype(int).to_numpy())
    rings = configs["value"].astype(float).to_numpy()
    m = metrics[(metrics["world"].astype(str) == "membrane")]
    m = m[m["metric"].astype(str).isin(COUNTER_METRICS["membrane"])]
    for (name, t), rows in m.groupby([m["metric"].astype(str), m["t"].astype(float)], sort=True):
        key = f"metric:membrane/{name}"
        values = rows["value"].astype(float).to_numpy()
        if name == "hops":
            got, want = float(values.sum()), _at(times, cum["hops"], t)
            _compare(report, key, f"{name} at t={t}", got, want, exact=True)
            continue
        alive = int((cfg_t <= t).sum())
        if len(values) != alive:
            # a world created at t has not stepped yet: the sample at t may be the previous world's last one
            cands = [i for i in (alive - 1, alive - 2) if i >= 0 and (i == alive - 1 or cfg_t[alive - 1] == t)]
            if len(values) == 1 and any(
                _since_newest(times, cum, name, t, float(values[0]), cfg_row[i], rings[i]) for i in cands
            ):
                report.ok(key)  # worlds one after another: the newest world's counter is the replay since its start
            else:
                report.skip(f"{name}: not every membrane world sampled at that time")
            continue
        if name == "rotor_turns":
            got, want = float((values * rings[:alive]).sum()), _at(times, cum["rotor_steps"], t)
            _compare(report, key, f"{name} at t={t} (x c-ring)", got, want, abs_tol=1e-6)
        elif name == "heat_J":
            tol = 1e-9 * _at(times, cum["heat_scale"], t)
            _compare(report, key, f"{name} at t={t}", float(values.sum()), _at(times, cum[name], t), abs_tol=tol)
        else:
            _compare(report, key, f"{name} at t={t}", float(values.sum()), _at(times, cum[name], t), exact=True)


def _since_newest(
    times: np.ndarray, cum: dict[str, np.ndarray], name: str, t: float, value: float, row: int, ring: float
) -> bool:
    """Whether one sample `value` at `t` equals the replay of the rows from the newest world's config row to `t`."""

    def since(key: str) -> float:
        return _at(times, cum[key], t) - (float(cum[key][row - 1]) if row else 0.0)

    if name == "rotor_turns":
        return math.isclose(value * ring, since("rotor_steps"), rel_tol=0.0, abs_tol=1e-6)
    if name == "heat_J":
        return math.isclose(value, since("heat_J"), rel_tol=0.0, abs_tol=1e-9 * since("heat_scale"))
    return value == since(name)


def _attention_points(trace: pd.DataFrame) -> dict[str, set[tuple[float, float]]]:
    """Every (t, cumulative value) a stream / trainer holds right after one of its events, per metric."""
    att = trace[trace["world"].astype(str) == "attention"]
    kind = att["kind"].astype(str)
    src = att["src"].astype("string").fillna("")
    points: dict[str, set[tuple[float, float]]] = {k: set() for k in COUNTER_METRICS["attention"]}
    for event, (count_name, bits_name) in {
        "train_step": ("train_steps", "bits_saved"),
        "token_end": ("tokens_done", "inference_bits_saved"),
    }.items():
        rows = att[kind == event]
        for _, g in rows.groupby(src[kind == event], sort=True):
            t = g["t"].astype(float).tolist()
            counts = np.arange(1, len(g) + 1, dtype=float).tolist()
            bits = np.cumsum(g["info_bits"].astype(float).to_numpy()).tolist()  # sequential, as the world adds
            points[count_name].update(zip(t, counts, strict=True))
            points[bits_name].update(zip(t, bits, strict=True))
    return points


def _check_attention(trace: pd.DataFrame, metrics: pd.DataFrame, report: ReplayCheck) -> None:
    m = metrics[metrics["world"].astype(str) == "attention"]
    m = m[m["metric"].astype(str).isin(COUNTER_METRICS["attention"])]
    if not len(m):
        return
    points = _attention_points(trace)
    for name, t, value in zip(m["metric"].astype(str), m["t"].astype(float), m["value"].astype(float), strict=True):
        key = f"metric:attention/{name}"
        if (t, value) in points[name]:
            report.ok(key)
        else:
            report.mismatches.append(f"{key} at t={t}: {value!r} is not a replayed value of any stream at t")


def check_metrics(trace: pd.DataFrame, metrics: pd.DataFrame) -> ReplayCheck:
    """Compare every counter metric sample of `metrics` with the replay of `trace` up to its time."""
    report = ReplayCheck()
    trace = _by_seq(trace)
    _check_membrane(trace, metrics, report)
    _check_attention(trace, metrics, report)
    return report


# ------------------------------------------------------------------------------------------ summary
def _compare(
    report: ReplayCheck, key: str, what: str, got: float, want: float, exact: bool = False, abs_tol: float = 0.0
) -> None:
    same = got == want if exact else math.isclose(got, want, rel_tol=0.0 if abs_tol else 1e-9, abs_tol=abs_tol)
    if same:
        report.ok(key)
    else:
        report.mismatches.append(f"{what}: recorded {got!r}, replayed {want!r}")


def _close(got: float, want: float | None, exact: bool) -> bool:
    if want is None:
        return False
    return got == want if exact else math.isclose(got, want, rel_tol=1e-9, abs_tol=0.0)


def _leaves(obj: Any, path: str = "", siblings: tuple[str, ...] = ()) -> list[tuple[str, str, float, list[str]]]:
    """(dotted path, last key, number, string values beside it or in its parent dict) of every number in
    nested dicts (lists are not walked)."""
    out: list[tuple[str, str, float, list[str]]] = []
    if isinstance(obj, dict):
        here = (*siblings, *(v for v in obj.values() if isinstance(v, str)))
        for k, v in obj.items():
            p = f"{path}.{k}" if path else str(k)
            if isinstance(v, dict):
                out += _leaves(v, p, here)
            elif isinstance(v, int | float) and not isinstance(v, bool):
                out.append((p, str(k), float(v), list(here)))
    return out


def _attention_target(key: str, att: dict[str, Any], siblings: list[str]) -> float | None:
    if key in ATTENTION_COUNTERS:
        named = [s for s in siblings if s in att["streams"] or s in att["trainers"]]
        if len(named) == 1:  # {"attention": "temperature", "tokens_done": 160}: that stream's counter
            group = att["trainers"] if key in ("train_steps", "bits_saved") else att["streams"]
            return float(group[named[0]][key]) if named[0] in group else None
        return float(att[key])
    for counter in sorted(ATTENTION_COUNTERS, key=len, reverse=True):
        if key.startswith(counter + "_"):
            src = key[len(counter) + 1 :]
            group = att["trainers"] if counter in ("train_steps", "bits_saved") else att["streams"]
            if src in group:
                return float(group[src][counter])
    return None


def check_summary(replayed: dict[str, Any], summary: dict[str, Any], report: ReplayCheck | None = None) -> ReplayCheck:
    """Compare ``summary.json`` (``trace_events`` and counter-named ``results``) with `replayed`."""
    report = report or ReplayCheck()
    _compare(report, "summary:trace_events", "trace_events", summary["trace_events"], replayed["trace_events"], True)
    mem, att, pipe = replayed.get("membrane"), replayed.get("attention"), replayed.get("pipe")
    for path, key, value, siblings in _leaves(summary.get("results", {})):
        want: float | None = None
        exact = key not in ("heat_J", "rotor_turns", "atp_spent_J")
        if att is not None and (want := _attention_target(key, att, siblings)) is not None:
            exact = True
        elif key in MEMBRANE_COUNTERS and mem is not None:
            if mem["worlds"] == 1 and mem[key] is not None:
                want = mem[key]
            elif any(_close(value, seg[key], exact) for seg in mem["segments"]):
                report.ok(f"summary:{path}")  # worlds one after another: one world's segment of the trace
                continue
            else:
                report.skip(f"{key}: several membrane worlds share the trace")
                continue
        elif key in PIPE_COUNTERS and pipe is not None:
            want = float(pipe[key])
        if want is None:
            continue
        tol = 0.0 if exact else 1e-9 * max(abs(want), 1e-30)
        _compare(report, f"summary:{path}", f"results.{path}", value, want, exact=exact, abs_tol=tol)
    return report


def check_run(run_dir: Path | str) -> ReplayCheck:
    """Replay the run in `run_dir` from its trace and compare with its metrics and ``summary.json``."""
    trace = _by_seq(read_trace(run_dir))
    report = check_metrics(trace, read_metrics(run_dir))
    summary = read_summary(run_dir)
    if summary is None:
        raise FileNotFoundError(f"no summary.json in {run_dir}")
    return check_summary(replay_frame(trace), summary, report)
