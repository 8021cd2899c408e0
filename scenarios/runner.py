"""Run a registered scenario into an output directory, honouring the run-output contract.

Key names: `execute`, `prepare_out_dir`, `check_out_dir`, `deferred_interrupts`, `make_run_id`,
`package_versions`, `BLAS_THREADS`.

Order of work: resolve every parameter and run the scenario's ``check`` hook (its cross-parameter
constraints), the seed and the formats — nothing is written if any is bad → inspect the directory without
writing (it must be new, empty, or a run directory with a manifest; a complete run only with ``force``) →
create and lock it, remove only the files the previous run's manifest lists → stream trace and metrics while
the scenario runs (SIGINT/SIGTERM stop it at the end of an instant) → close the recorders (a failure still
leaves a readable trace prefix) → write the report if the scenario has one → write ``summary.json`` last,
atomically, with ``"complete": true``.

A caller (a sweep, say) tells a finished run by `world.outputs.is_complete` and a directory the project owns by
`world.rundir.is_run_dir`; `execute` raises `ParameterError` before writing anything, `RunInterruptedError` or
`OSError` after.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import platform
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from scenarios.params import ParameterError, resolve_params
from scenarios.registry import get
from world.clock import Run, RunInterruptedError
from world.errors import SimulationError
from world.outputs import jsonable, write_summary
from world.rundir import RunDirLock, inspect, read_manifest, remove_owned, start_manifest

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


def check_out_dir(out_dir: Path | str) -> Path:
    """The output directory as a `Path`; an empty name (which would mean the current folder) is refused.

    Raises:
        ParameterError: `out_dir` is empty.
    """
    if not str(out_dir).strip():
        raise ParameterError("--out '' is not allowed: give a directory name (it must be new, empty or a run's)")
    return Path(out_dir)


def prepare_out_dir(out_dir: Path, force: bool) -> RunDirLock:
    """Take the directory for a run: check it (writing nothing), create it, lock it, remove the previous run's
    files listed in its manifest, and start a fresh manifest. Returns the held lock.

    Raises:
        ParameterError: see `world.rundir.inspect`; or another process holds the directory's lock.
    """
    inspect(out_dir, force)  # refuse before creating or deleting anything
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = RunDirLock(out_dir)
    try:
        previous = read_manifest(out_dir)
        remove_owned(inspect(out_dir, force))  # again under the lock: the directory may have changed
        start_manifest(out_dir, previous)
    except BaseException:
        lock.release()
        raise
    return lock


@contextlib.contextmanager
def deferred_interrupts(run: Run) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM ask `run` to stop at the end of the current instant instead of
    killing it mid-instant; a second signal acts at once. Only the main thread can install handlers; elsewhere
    (a worker thread of a sweep) the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: object) -> None:
        run.request_stop(signum)
        signal.signal(signum, previous[signum])

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


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
        ParameterError: unknown scenario, bad parameter, bad seed or format, or an occupied `out_dir`; raised
            before anything is written.
        RunInterruptedError: SIGINT/SIGTERM arrived; the trace and metrics hold every whole instant up to
            ``exc.t`` and there is no ``summary.json``.
        OSError: the directory cannot be written (the error names the path and the cause).
    """
    sc = get(name)
    params = resolve_params(name, sc.params, config, overrides)
    if sc.check is not None:
        try:
            sc.check(params)
        except ValueError as exc:
            raise ParameterError(str(exc)) from None
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise ParameterError(f"--seed {seed!r} is not allowed: must be an integer between 0 and {2**63 - 1}")
    if not 1 <= flush_every <= 10_000_000:
        raise ParameterError(f"--flush-every {flush_every} is not allowed: must be between 1 and 10000000")
    if trace_format not in ("parquet", "jsonl"):
        raise ParameterError(f"--trace-format {trace_format!r} is not allowed: must be parquet or jsonl")
    out = check_out_dir(out_dir)
    run_id = make_run_id(name, seed, params)
    with prepare_out_dir(out, force):
        run = Run(seed, out_dir=out, run_id=run_id, trace_format=trace_format, flush_every=flush_every)
        run.progress = progress
        with deferred_interrupts(run):
            try:
                with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
                    results = sc.func(run, **params)
            except ValueError as exc:  # a constraint the check hook misses: a bug, reported as a failed run
                raise SimulationError(
                    f"scenario {name!r} rejected its parameters only after it started writing ({exc}); its "
                    f"outputs in {out} are incomplete"
                ) from exc
            finally:
                run.close()
            if run.stop_requested is not None:  # the signal came after the clock's last instant
                raise RunInterruptedError(run.stop_requested, run.now)
            summary = _summary(sc, run, seed, params, trace_format, results)
            if sc.report is not None:
                sc.report(out, summary)
            if run.stop_requested is not None:
                raise RunInterruptedError(run.stop_requested, run.now)
            write_summary(out, summary)
    summary["complete"] = True
    return summary


def _summary(
    sc: Any, run: Run, seed: int, params: Mapping[str, Any], trace_format: str, results: dict[str, Any]
) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "scenario": sc.name,
        "description": sc.description,
        "run_id": run.run_id,
        "seed": seed,
        "params": params,
        "t_end": run.now,
        "trace_events": run.trace.events,
        "trace_format": trace_format,
        "versions": package_versions(),
        "results": results,
    }
    return jsonable(summary)
