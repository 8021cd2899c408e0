"""Run a registered scenario into an output directory, honouring the run-output contract.

Key names: `execute`, `prepare_out_dir`, `make_run_id`, `package_versions`, `BLAS_THREADS`.

Order of work: resolve and check parameters (nothing is written if they are bad) → refuse a directory that
holds a complete run unless forced, and clear old outputs → stream trace and metrics while the scenario runs →
close the recorders (a failure still leaves a readable trace prefix) → write the report if the scenario has
one → write ``summary.json`` last, atomically, with ``"complete": true``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from scenarios.params import ParameterError, resolve_params
from scenarios.registry import get
from world.clock import Run, make_rng
from world.outputs import OUTPUT_NAMES, is_complete, jsonable, read_summary, write_summary

BLAS_THREADS = 1
"""BLAS threads while a scenario runs: fixed, because the thread count changes a matrix product's summation order
(and so the trace) — a run's numbers must not depend on the caller's OPENBLAS_NUM_THREADS."""

_VERSIONED = ("gradient-engines", "mesa", "simpy", "numpy", "networkx", "pandas", "pyarrow", "scipy")


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a run's numbers depend on."""
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def make_run_id(name: str, seed: int, params: Mapping[str, Any]) -> str:
    """A deterministic id: scenario, seed and a short digest of the parameters."""
    digest = hashlib.sha256(json.dumps(jsonable(dict(params)), sort_keys=True).encode()).hexdigest()[:8]
    return f"{name}-s{seed}-{digest}"


def prepare_out_dir(out_dir: Path, force: bool) -> None:
    """Refuse a directory holding a complete run (unless `force`); remove any previous outputs.

    Raises:
        ParameterError: `out_dir` is a file, or holds a complete run and `force` is False.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"--out {out_dir} is a file, not a directory")
    if is_complete(out_dir) and not force:
        previous = (read_summary(out_dir) or {}).get("scenario", "?")
        raise ParameterError(
            f"--out {out_dir} already holds a complete run of {previous!r}; pass --force to replace it"
        )
    for name in OUTPUT_NAMES:
        p = out_dir / name
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def execute(
    name: str,
    out_dir: Path | str,
    *,
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    trace_format: str = "parquet",
    force: bool = False,
    flush_every: int = 65536,
    progress: Callable[[float, float], None] | None = None,
) -> dict[str, Any]:
    """Run scenario `name` into `out_dir` and return the summary written to ``summary.json``.

    Args:
        name: a registered scenario.
        out_dir: output directory (created if needed).
        seed: the run's seed.
        overrides: ``--set`` values (strings or typed), applied after `config`.
        config: the ``[params]`` table of a config file.
        trace_format: ``"parquet"`` or ``"jsonl"``.
        force: replace a complete run already in `out_dir`.
        flush_every: trace rows per flush / row group.
        progress: callback ``progress(now, target)``.

    Raises:
        ParameterError: unknown scenario, bad parameter, bad seed or format, or an occupied `out_dir`.
    """
    sc = get(name)
    params = resolve_params(name, sc.params, config, overrides)
    if sc.check is not None:
        try:
            sc.check(params)
        except ValueError as exc:
            raise ParameterError(str(exc)) from None
    try:
        make_rng(seed)
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    if not 1 <= flush_every <= 10_000_000:
        raise ParameterError(f"--flush-every {flush_every} is not allowed: must be between 1 and 10000000")
    if trace_format not in ("parquet", "jsonl"):
        raise ParameterError(f"--trace-format {trace_format!r} is not allowed: must be parquet or jsonl")
    out = Path(out_dir)
    prepare_out_dir(out, force)
    run_id = make_run_id(name, seed, params)
    run = Run(seed, out_dir=out, run_id=run_id, trace_format=trace_format, flush_every=flush_every, progress=progress)
    try:
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            results = sc.func(run, **params)
    finally:
        run.close()
    summary: dict[str, Any] = {
        "scenario": name,
        "description": sc.description,
        "run_id": run_id,
        "seed": seed,
        "params": params,
        "t_end": run.now,
        "trace_events": run.trace.events,
        "trace_format": trace_format,
        "versions": package_versions(),
        "results": results,
    }
    summary = jsonable(summary)
    if sc.report is not None:
        sc.report(out, summary)
    write_summary(out, summary)
    summary["complete"] = True
    return summary
