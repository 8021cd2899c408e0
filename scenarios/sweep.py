"""Sweeps and ensembles: one scenario over seeds × a parameter grid, each run an ordinary run directory.

Key names: `run_sweep`, `plan_sweep`, `parse_seeds`, `parse_grid`, `SweepPlan`, `RunSpec`, `sweep_command`.

``gradient sweep SCENARIO --seeds 0-9 [--grid key=v1,v2 ...] [--set key=value ...] --out DIR
[--scheduler local|serial|tcp://HOST:PORT] [--workers N]`` writes into DIR:

- one run directory per (grid point, seed), named ``key=value_..._sSEED`` (``sSEED`` without a grid), with
  exactly the files of ``gradient run``;
- ``sweep.json``: the sweep's specification (marks DIR as a sweep);
- ``sweep.parquet``: one row per run — ``run, seed, status ("ok"|"failed"), error, resumed``, every scalar
  parameter, and every scalar result as ``result.NAME``;
- ``report.md`` + ``figures/`` (`analysis.report_sweep`): each chosen result against each swept parameter,
  mean and 95% confidence band over seeds.

Every combination is checked (`resolve_params` and the scenario's ``check``) before anything is written or
submitted. Complete runs are skipped on the next call (resume); failed runs are retried.

From Python, ``points=`` replaces the product grid by a list of parameter combinations (a one-at-a-time grid,
say), each optionally with its own ``"seed"``: that is how `side_by_side` runs its replicates (one seed each,
the first ones with the blocked converters) and `analogy_robustness` its grid points.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from scenarios.params import ParameterError, parse_set, resolve_params
from scenarios.registry import get
from world.clock import make_rng
from world.errors import SimulationError
from world.outputs import is_complete, jsonable, read_summary

if TYPE_CHECKING:
    import pandas as pd

MAX_RUNS = 100_000
_SAFE = re.compile(r"[^A-Za-z0-9.+-]")


class SweepFailedError(SimulationError):
    """Some runs of a sweep failed (CLI exit code 1); they are retried on the next call."""


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: its directory name, seed, the typed overrides passed to `execute`, all parameters."""

    name: str
    seed: int
    overrides: dict[str, Any]
    params: dict[str, Any]


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: scenario, output directory, swept keys and every run, in grid × seed order."""

    scenario: str
    out: Path
    seeds: tuple[int, ...]
    grid: dict[str, list[Any]]
    fixed: dict[str, Any]
    runs: tuple[RunSpec, ...]
    done: frozenset[str]
    stale: frozenset[str] = frozenset()

    @property
    def swept(self) -> tuple[str, ...]:
        """The swept parameter names, in grid order."""
        return tuple(self.grid)


def parse_seeds(spec: str | Sequence[int]) -> list[int]:
    """``"0-9"``, ``"0,3,5-7"`` or a list of ints → the seeds, in order, without duplicates.

    Raises:
        ParameterError: not of that form, a negative seed, a duplicate or more than `MAX_RUNS` seeds.
    """
    allowed = "integers and ranges like 0-9 or 0,3,5-7 (non-negative, no duplicates)"
    if isinstance(spec, str):
        seeds: list[int] = []
        for part in spec.replace(" ", "").split(","):
            m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
            if not m or (m[2] is not None and int(m[2]) < int(m[1])):
                raise ParameterError(f"--seeds {spec!r} is not allowed: must be {allowed}")
            lo, hi = int(m[1]), int(m[2] if m[2] is not None else m[1])
            if hi - lo >= MAX_RUNS or len(seeds) > MAX_RUNS:
                raise ParameterError(f"--seeds {spec!r} is not allowed: at most {MAX_RUNS} seeds")
            seeds.extend(range(lo, hi + 1))
    else:
        seeds = list(spec)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ParameterError(f"--seeds {spec!r} is not allowed: must be {allowed}")
    for s in seeds:
        try:
            make_rng(s)
        except ValueError:
            raise ParameterError(f"--seeds {spec!r} is not allowed: must be {allowed}") from None
    return [int(s) for s in seeds]


def parse_grid(items: Sequence[str] | Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """``["key=v1,v2", ...]`` (or a mapping key → values) → ``{key: [values]}`` (raw, not yet checked)."""
    if isinstance(items, Mapping):
        return {str(k): list(v) for k, v in items.items()}
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise ParameterError(f"--grid {item!r} must have the form key=v1,v2,...")
        if key in grid:
            raise ParameterError(f"--grid {key} is given twice; give all its values in one --grid {key}=v1,v2")
        grid[key] = values.split(",")
    return grid


def _label(value: Any) -> str:
    text = (
        ("true" if value else "false")
        if isinstance(value, bool)
        else repr(value)
        if isinstance(value, float)
        else str(value)
    )
    return _SAFE.sub("~", text)


def _run_name(combo: Mapping[str, Any], seed: int) -> str:
    return "_".join([*(f"{k}={_label(v)}" for k, v in combo.items()), f"s{seed}"])


def plan_sweep(
    scenario: str,
    seeds: str | Sequence[int],
    grid: Sequence[str] | Mapping[str, Sequence[Any]] | None = None,
    overrides: Mapping[str, Any] | None = None,
    out: Path | str = "runs/sweep",
    *,
    points: Sequence[Mapping[str, Any]] | None = None,
    replace_stale: bool = False,
) -> SweepPlan:
    """Check everything a sweep needs and list its runs; nothing is written.

    `points` (instead of `grid`): the parameter combinations to run, each for every seed or, when it holds a
    ``"seed"`` key, for that seed only. `replace_stale`: a complete run of other parameters under a run's name
    is listed in ``plan.stale`` (`run_sweep` replaces it) instead of refused.

    Raises:
        ParameterError: unknown scenario, bad seeds, a bad grid or ``--set`` value (or combination rejected by
            the scenario's check), a key both swept and set, a sweep of a list parameter, colliding run names,
            or an `out` that is not a sweep directory (or holds a run of other parameters under a run's name).
    """
    sc = get(scenario)
    seed_list = parse_seeds(seeds) if points is None or any("seed" not in pt for pt in points) else []
    if points is not None and grid:
        raise ParameterError("give either a grid or points, not both")
    fixed = dict(overrides or {})
    fixed_typed = {k: v for k, v in resolve_params(scenario, sc.params, None, fixed).items() if k in fixed}
    combos = _combos(scenario, sc.params, parse_grid(grid or {}), fixed, seed_list, points)
    n = sum(len(s) for _, s in combos)
    if n > MAX_RUNS:
        raise ParameterError(f"the sweep has {n} runs; at most {MAX_RUNS} are allowed")
    runs: list[RunSpec] = []
    for combo, combo_seeds in combos:
        params = resolve_params(scenario, sc.params, None, {**fixed_typed, **combo})
        if sc.check is not None:
            try:
                sc.check(params)
            except ValueError as exc:
                raise ParameterError(f"{_run_name(combo, 0)[:-3] or 'the sweep'}: {exc}") from None
        runs.extend(RunSpec(_run_name(combo, s), s, {**fixed_typed, **combo}, params) for s in combo_seeds)
    if len({r.name for r in runs}) != len(runs):
        raise ParameterError(
            "two grid values give the same run directory name; use values that differ in [A-Za-z0-9.+-]"
        )
    out = Path(out)
    done, stale = _check_out(scenario, out, runs, replace_stale)
    grid_values: dict[str, list[Any]] = {}
    for combo, _ in combos:
        for k, v in combo.items():
            if v not in grid_values.setdefault(k, []):
                grid_values[k].append(v)
    used_seeds = tuple(dict.fromkeys(r.seed for r in runs)) if points is not None else tuple(seed_list)
    return SweepPlan(
        scenario, out, used_seeds, grid_values, fixed_typed, tuple(runs), frozenset(done), frozenset(stale)
    )


def _combos(
    scenario: str,
    declared: Mapping[str, Any],
    raw_grid: dict[str, list[Any]],
    fixed: Mapping[str, Any],
    seeds: list[int],
    points: Sequence[Mapping[str, Any]] | None,
) -> list[tuple[dict[str, Any], list[int]]]:
    """The typed parameter combinations of a grid (all of them) or of explicit points, each with its seeds."""
    keys = list(raw_grid) if points is None else list(dict.fromkeys(k for pt in points for k in pt if k != "seed"))
    for key in keys:
        if key in fixed:
            raise ParameterError(f"parameter {key} is both swept (--grid) and set (--set); choose one")
        if key in declared and declared[key].many:
            raise ParameterError(f"--grid {key}: {key} takes a list; set it with --set, it cannot be swept")
    if points is not None:
        out = []
        for pt in points:
            combo = {k: resolve_params(scenario, declared, None, {k: v})[k] for k, v in pt.items() if k != "seed"}
            out.append((combo, parse_seeds([pt["seed"]]) if "seed" in pt else seeds))
        return out
    typed_grid: dict[str, list[Any]] = {}
    for key, values in raw_grid.items():
        typed = [resolve_params(scenario, declared, None, {key: v})[key] for v in values]
        if len(set(typed)) != len(typed):
            raise ParameterError(f"--grid {key}={','.join(map(str, values))} repeats a value")
        typed_grid[key] = typed
    return [(dict(zip(typed_grid, values, strict=True)), seeds) for values in itertools.product(*typed_grid.values())]


def _check_out(scenario: str, out: Path, runs: Sequence[RunSpec], replace_stale: bool) -> tuple[list[str], list[str]]:
    """Refuse an `out` that is not (or not yet) a sweep of `scenario`; return the runs already complete and the
    complete runs of other parameters (only with `replace_stale`; otherwise they are refused)."""
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out} is a file, not a directory")
    if out.is_dir() and any(out.iterdir()):
        spec = _read_json(out / "sweep.json")
        if spec is None:
            raise ParameterError(f"--out {out} is not empty and is not a sweep (no sweep.json); choose another")
        if spec.get("scenario") != scenario:
            raise ParameterError(f"--out {out} holds a sweep of {spec.get('scenario')!r}, not {scenario!r}")
    done, stale = [], []
    for r in runs:
        path = out / r.name
        if is_complete(path):
            summary = read_summary(path) or {}
            if (
                summary.get("scenario") != scenario
                or summary.get("seed") != r.seed
                or summary.get("params") != jsonable(r.params)
            ):
                if not replace_stale:
                    raise ParameterError(f"--out {out}: {r.name} holds a run with other parameters; use a new --out")
                stale.append(r.name)
            else:
                done.append(r.name)
        elif path.exists() and not path.is_dir():
            raise ParameterError(f"--out {out}: {r.name} exists and is not a run directory")
    return done, stale


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_sweep(
    scenario: str,
    seeds: str | Sequence[int] = "0",
    grid: Sequence[str] | Mapping[str, Sequence[Any]] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    out: Path | str,
    points: Sequence[Mapping[str, Any]] | None = None,
    replace_stale: bool = False,
    scheduler: Any = "local",
    workers: int | None = None,
    results: Sequence[str] | None = None,
    preload: Sequence[str] = (),
    report: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """Run `scenario` for every seed × grid point into `out` and return the ``sweep.parquet`` table.

    Args:
        scenario: a registered scenario.
        seeds: ``"0-9"``, ``"0,3,5-7"`` or a list of non-negative ints.
        grid: ``["key=v1,v2", ...]`` or ``{key: [v1, v2]}``: the swept parameters (all combinations).
        overrides: fixed parameter values for every run (like ``--set``).
        out: the sweep's directory.
        points: explicit parameter combinations instead of `grid` (each may carry its own ``"seed"``).
        replace_stale: replace complete runs of other parameters under a run's name (a parent run that owns
            the sweep directory, rerun with new parameters) instead of refusing them.
        scheduler: ``"local"`` (a Dask cluster on 127.0.0.1), ``"serial"`` (this process), a scheduler address
            ``"tcp://HOST:PORT"``, or a `distributed.Client` already connected.
        workers: worker processes of the local cluster (default: the usable cores, at most the runs to do).
        results: results to plot in the report (default: up to 4 numeric results that vary).
        preload: modules or ``.py`` files every worker imports before running (e.g. scenarios registered
            outside the package: import them in this process too, so the sweep can be checked here).
        report: write ``report.md`` and ``figures/``.
        progress: show a progress bar on stderr.

    Returns:
        A `pandas.DataFrame`, one row per run, as written to ``sweep.parquet``.

    Raises:
        ParameterError: bad input (see `plan_sweep`); nothing is written.
        SweepFailedError: some runs failed; the table and report are written first.
    """
    from scenarios.sweep_engine import PARTIAL, default_workers, execute_runs, open_scheduler, scalar_results
    from scenarios.sweep_table import SweepProgress, sweep_table, write_sweep

    _check_scheduler(scheduler, workers)
    plan = plan_sweep(scenario, seeds, grid, overrides, out, points=points, replace_stale=replace_stale)
    plan.out.mkdir(parents=True, exist_ok=True)
    with open(plan.out / ".sweep.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ParameterError(f"--out {plan.out} is being written by another sweep") from None
        spec = {"scenario": scenario, "seeds": plan.seeds, "grid": plan.grid, "overrides": plan.fixed}
        if points is not None:
            spec["points"] = [{"seed": r.seed, **{k: r.params[k] for k in plan.grid}} for r in plan.runs]
        (plan.out / "sweep.json").write_text(json.dumps(jsonable(spec), indent=2) + "\n", encoding="utf-8")
        shutil.rmtree(plan.out / PARTIAL, ignore_errors=True)
        if plan.stale:  # set aside under PARTIAL (removed below with it), as an interrupted run is
            (plan.out / PARTIAL).mkdir()
            for name in plan.stale:
                os.rename(plan.out / name, plan.out / PARTIAL / f"{name}.stale")
        outcomes: dict[str, dict[str, Any]] = {
            name: {"status": "ok", "resumed": True, "results": scalar_results(read_summary(plan.out / name) or {})}
            for name in plan.done
        }
        todo = {
            r.name: (scenario, r.seed, r.overrides, str(plan.out), r.name) for r in plan.runs if r.name not in plan.done
        }
        with SweepProgress(scenario, len(plan.runs), len(plan.done), enabled=progress) as bar:

            def on_update(name: str | None, outcome: dict[str, Any] | None, running: int) -> None:
                if name is not None and outcome is not None:
                    outcomes[name] = outcome
                bar.update(outcome, running)

            if todo and hasattr(scheduler, "submit"):
                execute_runs(scheduler, todo, on_update)
            elif todo:
                n_workers = min(workers or default_workers(), len(todo))
                with open_scheduler(scheduler, n_workers, preload) as client:
                    execute_runs(client, todo, on_update)
        shutil.rmtree(plan.out / PARTIAL, ignore_errors=True)
        table = sweep_table(plan, outcomes)
        write_sweep(plan, table, results=results, report=report)
    failed = table[table["status"] == "failed"]
    if len(failed):
        first = failed.iloc[0]
        raise SweepFailedError(
            f"{len(failed)} of {len(table)} runs failed (first: {first['run']}: {first['error']}); "
            f"they are retried on the next call; see {plan.out / 'sweep.parquet'}"
        )
    return table


def _check_scheduler(scheduler: Any, workers: int | None) -> None:
    named = isinstance(scheduler, str) and (
        scheduler in ("local", "serial") or re.fullmatch(r"(tcp|tls)://[^\s/]+:\d+", scheduler) is not None
    )
    if not named and not hasattr(scheduler, "submit"):
        raise ParameterError(f"--scheduler {scheduler!r} is not allowed: must be local, serial or tcp://HOST:PORT")
    if workers is not None and not 1 <= workers <= 1024:
        raise ParameterError(f"--workers {workers} is not allowed: must be between 1 and 1024")


def sweep_command(
    name: str = typer.Argument(..., help="Scenario name (see `gradient list`)."),
    out: Path = typer.Option(..., "--out", help="The sweep's directory (one run directory per run inside)."),
    seeds: str = typer.Option("0", "--seeds", help="Seeds: 0-9, or 0,3,5-7."),
    grid: list[str] = typer.Option(
        [], "--grid", help="Sweep a parameter: key=v1,v2,... (repeatable; all combinations)."
    ),
    set_: list[str] = typer.Option([], "--set", help="Fix a parameter for every run: key=value (repeatable)."),
    scheduler: str = typer.Option(
        "local", "--scheduler", help="local (Dask on 127.0.0.1), serial, or tcp://HOST:PORT."
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Worker processes of the local cluster [default: cores]."
    ),
    results: str | None = typer.Option(
        None, "--results", help="Results to plot, comma-separated [default: up to 4 that vary]."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Run a scenario over seeds × a parameter grid (on Dask) and collect sweep.parquet and a report."""
    table = run_sweep(
        name,
        seeds,
        grid,
        parse_set(set_),
        out=out,
        scheduler=scheduler,
        workers=workers,
        results=[r.strip() for r in results.split(",")] if results else None,
        progress=not quiet,
    )
    resumed = int(table["resumed"].sum())
    typer.echo(f"{len(table)} runs ok ({resumed} already complete) in {out}/; table: {out / 'sweep.parquet'}")
    if os.environ.get("GRADIENT_DEBUG"):
        typer.echo(table.to_string())
