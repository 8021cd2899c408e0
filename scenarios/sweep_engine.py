"""The sweep engine: one task per run, executed serially or on Dask, with a progress bar over runs.

Key names: `run_one` (the task), `open_scheduler`, `execute_runs`, `Preload`, `WORKER_CONFIG`, `PARTIAL`.

A task receives only names, a seed and parameter overrides (plain Python values): a driven `Run` or world
cannot be pickled, and a registry object would need cloudpickle. It runs `scenarios.runner.execute` into a
fresh temporary directory under ``SWEEP/.partial/`` and renames it to ``SWEEP/RUN`` once the run is complete,
so a worker wrongly declared dead on a real cluster can never write into the directory of its rerun, and a
run directory that exists under its final name is complete. A failure inside the run becomes a ``failed``
row with a one-line error; a run that kills its worker every time ends as Dask's `KilledWorker` after
``distributed.scheduler.allowed-failures`` replacement workers, and is recorded as failed too.

Dask is imported only when a cluster is used, so ``--scheduler serial`` and the rest of the CLI never load it.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from world.clock import RunInterruptedError
from world.errors import SimulationError
from world.outputs import is_complete, read_summary

PARTIAL = ".partial"
"""Sub-directory of a sweep holding runs still being written and incomplete runs set aside (removed at the start and
end of a call)."""

WORKER_CONFIG: dict[str, Any] = {
    # the 10 ms sampling profiler and glibc's aggressive malloc trimming slow numpy-heavy runs by ~25%
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
    # one run per worker thread, none queued on a worker: a worker that dies takes only its own run with it
    "distributed.scheduler.worker-saturation": 1.0,
}
"""Dask configuration of the local cluster's workers (a remote cluster's workers keep their own)."""


class SweepEnvironmentError(SimulationError):
    """The cluster cannot be reached or started (CLI exit code 1)."""


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message`` — the error recorded for a failed run."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def scalar_results(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level results of a summary that are numbers, booleans, strings or null."""
    return {k: v for k, v in summary.get("results", {}).items() if v is None or isinstance(v, bool | int | float | str)}


def _publish(tmp: Path, final: Path) -> None:
    """Rename a complete run from its temporary directory to its final name (once, whoever comes first)."""
    for _ in range(3):
        try:
            os.rename(tmp, final)
            return
        except OSError:
            if is_complete(final):  # a duplicate of this task (its worker was declared dead) finished first
                shutil.rmtree(tmp, ignore_errors=True)
                return
            with contextlib.suppress(OSError):  # an incomplete run under this name (summary removed): set it aside
                os.rename(final, tmp.with_name(f"{tmp.name}.stale"))
    raise OSError(f"cannot rename {tmp} to {final}")


def run_one(scenario: str, seed: int, overrides: dict[str, Any], sweep_dir: str, run_name: str) -> dict[str, Any]:
    """The task: run one scenario into ``sweep_dir/run_name`` and return its status and scalar results.

    Args:
        scenario: registered scenario name.
        seed: the run's seed.
        overrides: typed parameter values (already validated by the driver).
        sweep_dir: the sweep's output directory.
        run_name: the run's directory name inside it.

    Returns:
        ``{"status": "ok" | "failed", "error": str | None, "results": {name: scalar}}``.
    """
    from scenarios.runner import execute

    final = Path(sweep_dir) / run_name
    if is_complete(final):
        return {"status": "ok", "error": None, "results": scalar_results(read_summary(final) or {})}
    tmp = Path(sweep_dir) / PARTIAL / f"{run_name}.{uuid.uuid4().hex[:12]}"
    try:
        summary = execute(scenario, tmp, seed=seed, overrides=overrides)
        _publish(tmp, final)
    except RunInterruptedError:  # SIGINT/SIGTERM in this process (a serial sweep): stop the sweep, not one run
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except Exception as exc:  # any failure of the run is recorded, the sweep goes on
        shutil.rmtree(tmp, ignore_errors=True)
        return {"status": "failed", "error": one_line(exc), "results": {}}
    return {"status": "ok", "error": None, "results": scalar_results(summary)}


def import_preload(entries: Sequence[str]) -> None:
    """Import each entry: a module name, or the path of a ``.py`` file (loaded under a private name)."""
    for entry in entries:
        if entry.endswith(".py"):
            name = f"_sweep_preload_{Path(entry).stem}"
            spec = importlib.util.spec_from_file_location(name, entry)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {entry}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            importlib.import_module(entry)


def _preload_plugin(entries: Sequence[str]) -> Any:
    from distributed.diagnostics.plugin import WorkerPlugin

    class Preload(WorkerPlugin):
        """Imports the preload entries on every worker, including those that replace a dead one."""

        name = "gradient-sweep-preload"

        def __init__(self, entries: Sequence[str]) -> None:
            self.entries = list(entries)

        def setup(self, worker: Any) -> None:
            import_preload(self.entries)

    return Preload(entries)


@contextlib.contextmanager
def open_scheduler(scheduler: str, workers: int | None = None, preload: Sequence[str] = ()) -> Iterator[Any]:
    """A Dask client for ``"local"`` or a ``tcp://HOST:PORT`` scheduler, or None for ``"serial"``.

    The local cluster runs `workers` single-threaded worker processes (default: the usable cores), every
    listener bound to 127.0.0.1 (scheduler, workers, nannies; the dashboard on a free port, when bokeh is
    installed), with a temporary local directory removed on close.

    Raises:
        SweepEnvironmentError: the scheduler cannot be reached or the cluster cannot start.
    """
    if scheduler == "serial":
        import_preload(preload)
        yield None
        return
    import dask
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        try:
            if scheduler == "local":
                stack.enter_context(dask.config.set(WORKER_CONFIG))
                local_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="gradient-sweep-"))
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=workers or default_workers(),
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address="127.0.0.1:0",
                        worker_dashboard_address="127.0.0.1:0",
                        local_directory=local_dir,
                        silence_logs=logging.ERROR,
                    )
                )
                client = stack.enter_context(Client(cluster))
            else:
                client = stack.enter_context(Client(scheduler, timeout="10s"))
        except (OSError, TimeoutError) as exc:
            raise SweepEnvironmentError(f"cannot use the Dask scheduler {scheduler!r}: {one_line(exc)}") from None
        if preload:
            client.register_plugin(_preload_plugin(preload))
        yield client


def default_workers() -> int:
    """The number of cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


Task = tuple[str, int, dict[str, Any], str, str]
"""The arguments of `run_one` for one run."""


def execute_runs(
    client: Any, tasks: Mapping[str, Task], on_update: Callable[[str | None, dict[str, Any] | None, int], None]
) -> None:
    """Run every task (serially when `client` is None) and report each outcome as it arrives.

    `on_update(run_name, outcome, running)` is called with each finished run's outcome, and with
    ``(None, None, running)`` while waiting, `running` being the number of runs executing now.
    """
    if client is None:
        for run_name, task in tasks.items():
            on_update(None, None, 1)
            on_update(run_name, run_one(*task), 0)
        return
    from distributed import KilledWorker, wait

    futures = {
        client.submit(run_one, *t, key=f"run-{n}-{uuid.uuid4().hex[:8]}", pure=False): n for n, t in tasks.items()
    }
    pending = set(futures)
    while pending:
        try:
            done, _ = wait(list(pending), timeout=0.5, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = set()
        for fut in done:
            pending.discard(fut)
            try:
                outcome = fut.result()
            except KilledWorker as exc:
                outcome = {"status": "failed", "error": f"the run killed its worker every time ({one_line(exc)})"}
            except Exception as exc:  # an error of the cluster itself: recorded, retried on the next call
                outcome = {"status": "failed", "error": one_line(exc)}
            on_update(futures[fut], {"results": {}, **outcome}, _running(client, pending))
        on_update(None, None, _running(client, pending))


def _running(client: Any, pending: set[Any]) -> int:
    """Runs executing now: tasks being processed by a worker, at most one per worker thread."""
    if not pending:
        return 0
    try:
        keys = {f.key for f in pending}
        nthreads = client.nthreads()
        return sum(min(len(keys.intersection(ks)), nthreads.get(w, 1)) for w, ks in client.processing().items())
    except (OSError, TimeoutError):
        return 0
