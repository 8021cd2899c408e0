"""The `gradient` command line (typer + rich).

Key names: `app`, `main`, `main_for`.

Commands: ``gradient list``, ``gradient show SCENARIO``, ``gradient run SCENARIO --out DIR [--seed N]
[--set key=value ...] [--config file.toml] [--trace-format parquet|jsonl] [--force]``,
``gradient export-perfetto DIR``, ``gradient report DIR``, ``gradient acceptance DIR...``,
``gradient sweep SCENARIO ...`` (`scenarios.sweep`), ``gradient validate ...`` (`scenarios.validate`),
``gradient view [PAGE] [--port N]`` (`scenarios.view`),
``gradient --version``.

Exit codes: 0 success; 1 the simulation failed; 2 bad input (unknown scenario, unknown or invalid parameter,
unreadable config, occupied output directory, command-line usage); 3 ``gradient validate``: a target missed.
Bad input is reported as one line on stderr, ``error: ...``, with no traceback, and before anything is written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
import typer.core
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from typer.exceptions import TyperException

from scenarios.guard import check_packages
from scenarios.params import ParameterError, load_config, parse_set
from scenarios.registry import _REGISTRY, all_scenarios, get
from world.errors import SimulationError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # help texts hold literal brackets ([default: ...], [params]), not rich markup
    help="Two gradient engines, a mitochondrion and a language model, simulated on one clock.",
)
# User text (paths, values) is never parsed as markup; piped output gets whole tables, not 80 columns.
out_console = Console(width=None if sys.stdout.isatty() else 160, markup=False, highlight=False)
err_console = Console(stderr=True, markup=False, highlight=False)


def _say(text: str) -> None:
    """Print `text` to stdout as it is (no markup, no highlighting, no wrapping)."""
    out_console.print(text, markup=False, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        from scenarios.runner import package_versions

        typer.echo(f"gradient-engines {package_versions()['gradient-engines']}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Two gradient engines, a mitochondrion and a language model, simulated on one clock."""


@app.command("list")
def list_scenarios() -> None:
    """List the registered scenarios with a one-line description."""
    from scenarios.catalog import catalog

    table = Table("scenario", "description", box=None)
    for name, sc in catalog().items():
        table.add_row(name, sc.description)
    out_console.print(table)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Scenario name."),
    markdown: bool = typer.Option(False, "--markdown", help="Print the parameters as a Markdown table (README)."),
) -> None:
    """Show a scenario's parameters: type, default and what is allowed."""
    from scenarios.catalog import catalog

    sc = catalog().get(name) or get(name)  # a file or module path, or a misspelled name (get explains)
    if markdown:
        typer.echo(_markdown_params(sc))
        return
    out_console.print(Text.assemble((sc.name, "bold"), f": {sc.description}"))
    table = Table("parameter", "default", "allowed", "meaning", box=None)
    for key, p in sc.params.items():
        default = ",".join(map(str, p.default)) if p.many else str(p.default)
        table.add_row(key, default, p.allowed(), p.help)
    out_console.print(table)


def _markdown_params(sc: Any) -> str:
    """The README section of a scenario: heading, description, and its parameters as a Markdown table."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [f"#### `{sc.name}`", "", cell(sc.description), "", "| parameter | default | allowed | meaning |"]
    lines.append("|---|---|---|---|")
    for key, p in sc.params.items():
        default = ",".join(map(str, p.default)) if p.many else str(p.default)
        lines.append(f"| `{key}` | {cell(default)} | {cell(p.allowed())} | {cell(p.help)} |")
    return "\n".join(lines)


class _RunCommand(typer.core.TyperCommand):
    """`gradient run` that explains ``--set key value`` (a space instead of ``=``) instead of reporting an
    "unexpected extra argument"."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        for i, arg in enumerate(args[:-2]):
            key, value = args[i + 1], args[i + 2]
            if arg == "--set" and "=" not in key and not value.startswith("-"):
                raise ParameterError(
                    f"--set takes key=value as one word: write --set {key}={value}, not --set {key} {value}"
                )
        return super().parse_args(ctx, args)


@app.command("run", cls=_RunCommand)
def run(
    name: str = typer.Argument(..., help="Scenario name (see `gradient list`)."),
    out: str | None = typer.Option(None, "--out", help="Output directory [default: runs/SCENARIO]."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the run's one random generator [default: 0]."),
    set_: list[str] = typer.Option([], "--set", help="Override a parameter: key=value (repeatable)."),
    config: Path | None = typer.Option(None, "--config", help="TOML file: scenario, seed, [params]."),
    trace_format: str = typer.Option("parquet", "--trace-format", help="parquet or jsonl."),
    force: bool = typer.Option(False, "--force", help="Replace a complete run already in --out."),
    flush_every: int = typer.Option(65536, "--flush-every", help="Trace rows per flush (Parquet row group)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar or result table."),
) -> None:
    """Run a scenario and write trace, metrics, summary (and report) into --out."""
    import time

    from scenarios.runner import check_out_dir, execute

    sc = get(name)
    name = sc.name  # NAME may be a file or module path that defines the scenario
    overrides = parse_set(set_)
    cfg: dict[str, Any] = load_config(config) if config is not None else {}
    if cfg.get("scenario", name) != name:
        raise ParameterError(f"config file {config} is for scenario {cfg['scenario']!r}, not {name!r}")
    seed_value = seed if seed is not None else cfg.get("seed", 0)
    out_dir = check_out_dir(out) if out is not None else Path("runs") / name
    total = None
    if sc.duration is not None:
        from scenarios.params import resolve_params

        total = float(sc.duration(resolve_params(name, sc.params, cfg.get("params"), overrides)))
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("t = {task.completed:.4g} / {task.total:.4g}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
    )
    task = progress.add_task(name, total=total, start=False)

    def report(now: float, target: float) -> None:
        if not progress.live.is_started:  # started on the first report: bad input never shows a bar
            progress.start()
            progress.start_task(task)
        progress.update(task, completed=now, total=total if total is not None else max(target, now))

    started = time.perf_counter()
    try:
        summary = execute(
            name,
            out_dir,
            seed=seed_value,
            overrides=overrides,
            config=cfg.get("params"),
            trace_format=trace_format,
            force=force,
            flush_every=flush_every,
            progress=report,
        )
    finally:
        progress.stop()
    if not quiet:
        _print_results(summary)
    wall = time.perf_counter() - started  # printed, never stored: summary.json stays byte-identical per seed
    _say(f"outputs in {out_dir}/ ({summary['trace_events']} trace events; wall time {wall:.3g} s)")


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def console_tables(summary: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The tables ``gradient run`` prints after the scalars: ``results["tables"]``, then the scenario's
    ``tables(results)`` (its main numbers derived from the results)."""
    results = summary["results"]
    out = dict(results.get("tables") or {})
    sc = _REGISTRY.get(summary["scenario"])
    if sc is not None and sc.tables is not None:
        out.update(sc.tables(results))
    return out


def _print_results(summary: dict[str, Any]) -> None:
    """Print the scalar results, then every table of `console_tables`."""
    results = summary["results"]
    out_console.print(Text(f"{summary['scenario']} (seed {summary['seed']})", style="bold"))
    table = Table("result", "value", box=None)
    for key, value in results.items():
        if isinstance(value, int | float | str | bool) or value is None:
            table.add_row(key, _fmt(value))
    out_console.print(table)
    for name, rows in console_tables(summary).items():
        if rows:
            t = Table(*rows[0].keys(), title=name)
            for row in rows:
                t.add_row(*(_fmt(v) for v in row.values()))
            out_console.print(t)
    verdict = results.get("verdict")
    if isinstance(verdict, dict) and "statement" in verdict:
        _say(f"verdict: {verdict['statement']}")


@app.command("acceptance")
def acceptance(
    run_dirs: list[Path] = typer.Argument(..., help="Finished runs of membrane scenarios (several seeds each)."),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON instead of a table."),
) -> None:
    """Judge the membrane world by its acceptance targets on finished runs (writes nothing).

    Reads the summary.json of every run given (respiratory_control, demand_titration, mito_stress_test,
    control_analysis; runs of other scenarios are ignored) and prints one row per target whose scenario is
    among them: the value per seed and whether it is met (`analysis.acceptance`); for a target judged on
    replicates (the summation theorem) a further row judges all runs' replicates as one sample.
    """
    import json

    from analysis.acceptance import CRITERIA, evaluate
    from world.outputs import jsonable, read_summary

    summaries = []
    for d in run_dirs:
        _check_run_dir(d)
        summary = read_summary(d)
        if not isinstance(summary, dict) or summary.get("complete") is not True:
            raise ParameterError(
                f"run directory {str(d)!r} holds no finished run (no summary.json with complete: true)"
            )
        _summary_scenario(d, summary)
        summaries.append(summary)
    scenarios = {c.scenario for c in CRITERIA}
    if not any(s["scenario"] in scenarios for s in summaries):
        raise ParameterError(
            f"none of the runs is of a scenario with acceptance targets ({', '.join(sorted(scenarios))})"
        )
    rows = evaluate(summaries)
    if as_json:
        _say(json.dumps(jsonable({"rows": rows})))
        return
    print_acceptance(rows)


def print_acceptance(rows: list[dict[str, Any]]) -> None:
    """The acceptance table of `analysis.acceptance.evaluate`'s rows on stdout (a pooled row under a target judged
    on replicates, when it has more than one run)."""
    table = Table("criterion", "target", "values (runs)", "verdict", "source", title="membrane acceptance")
    for row in rows:
        values = ", ".join("—" if v is None else _fmt(float(v)) for v in row["values"])
        table.add_row(row["criterion"], row["target"], f"{values}  ({', '.join(row['runs'])})", row["verdict"],
                      row["source"])  # fmt: skip
        if row["pooled"] is not None and len(row["runs"]) > 1:
            pooled = row["pooled"]
            verdict = "met" if pooled["met"] else "missed"
            table.add_row(f"{row['criterion']}, runs pooled", row["target"], pooled["detail"], verdict, row["source"])
    out_console.print(table)


@app.command("export-perfetto")
def export_perfetto(
    run_dir: Path = typer.Argument(..., help="A run's output directory."),
    out: Path | None = typer.Option(None, "--out", help="Output file [default: RUN_DIR/trace.json]."),
) -> None:
    """Write the run's trace as Chrome Trace Event JSON (open it in ui.perfetto.dev)."""
    from analysis.perfetto import export_perfetto as export
    from world.rundir import RunDirLock

    _check_run_dir(run_dir)
    try:
        with RunDirLock(run_dir) if out is None else contextlib.nullcontext():
            path, n = export(run_dir, out)
    except FileNotFoundError as exc:
        raise ParameterError(str(exc)) from None
    except (KeyError, TypeError, ArithmeticError) as exc:
        raise SimulationError(f"the trace or metrics in {run_dir} cannot be read: {_cause(exc)}") from None
    _say(f"wrote {path} ({n} trace events); open it at https://ui.perfetto.dev")


@app.command("report")
def report(run_dir: Path = typer.Argument(..., help="A run's output directory.")) -> None:
    """Re-render report.md and figures/ from a run's outputs, without re-running it."""
    from world.outputs import read_summary
    from world.rundir import RunDirLock

    _check_run_dir(run_dir)
    summary = read_summary(run_dir)
    if not isinstance(summary, dict) or summary.get("complete") is not True:
        raise IncompleteRunError(
            f"the run in {run_dir} is incomplete (no summary.json with complete: true): it was interrupted or is "
            "still running; its trace prefix can be read with world.trace.read_trace, but there is no report"
        )
    sc = _summary_scenario(run_dir, summary)
    if sc.report is None:
        raise ParameterError(f"scenario {sc.name!r} has no report; scenarios with one: {_with_report()}")
    with RunDirLock(run_dir):
        try:
            sc.report(run_dir, summary)
        except (KeyError, TypeError, IndexError, AttributeError, ArithmeticError) as exc:
            raise SimulationError(
                f"the report of {run_dir} failed on its recorded outputs ({_cause(exc)}); were summary.json, "
                "trace or metrics changed after the run?"
            ) from exc
    _say(f"wrote {run_dir / 'report.md'}")


def _check_run_dir(run_dir: Path) -> None:
    if str(run_dir).strip() and run_dir.exists() and not run_dir.is_dir():
        raise ParameterError(f"run directory {str(run_dir)!r} is a file, not a run's output directory")
    if not str(run_dir).strip() or not run_dir.is_dir():
        raise ParameterError(f"run directory {str(run_dir)!r} does not exist")


def _summary_scenario(run_dir: Path, summary: dict[str, Any]) -> Any:
    """The scenario a complete summary names, after checking the keys every report reads.

    Raises:
        ParameterError: a key is missing or has the wrong type, or the scenario or its parameters are unknown.
    """
    expected = {"scenario": str, "seed": int, "run_id": str, "t_end": float | int, "trace_events": int}
    expected |= {"params": dict, "results": dict}
    for key, typ in expected.items():
        if not isinstance(summary.get(key), typ) or isinstance(summary.get(key), bool):
            raise ParameterError(f"{run_dir / 'summary.json'} is not a run summary: {key!r} is missing or not a {typ}")
    sc = get(summary["scenario"])
    from scenarios.params import resolve_params

    resolve_params(sc.name, sc.params, summary["params"])
    return sc


def _cause(exc: BaseException) -> str:
    """`ExceptionName: message` on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@app.command("view")
def view(
    page: str = typer.Argument("membrane", help="Page at /: membrane, attention or coupled."),
    port: int = typer.Option(8765, "--port", help="TCP port on 127.0.0.1 (0 = any free port)."),
) -> None:
    """Serve live SolaraViz pages on 127.0.0.1 (/membrane, /attention, /coupled) until Ctrl-C."""
    from scenarios.view.server import serve  # lazy: solara loads only for this command

    serve(page, port)


def _with_report() -> str:
    return ", ".join(n for n, s in all_scenarios().items() if s.report is not None) or "(none)"


def _register_sweep() -> None:
    from scenarios.sweep import sweep_command  # dask is imported only when a sweep uses a cluster
    from scenarios.validate import validate_command

    app.command("sweep")(sweep_command)
    app.command("validate")(validate_command)


_register_sweep()


class IncompleteRunError(SimulationError):
    """`gradient report` was pointed at a run that did not finish."""


def _os_message(exc: OSError) -> str:
    """One line naming the path and the cause of an environment error."""
    cause = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    code = errno.errorcode.get(exc.errno or 0)
    if code and code not in cause:
        cause += f" ({code})"
    path = exc.filename if exc.filename is not None else None
    if path is None:
        return cause
    return f"{path}: {cause}" + (f" -> {exc.filename2}" if exc.filename2 else "")


class _Signalled(BaseException):
    """SIGINT or SIGTERM outside a running clock (click turns a KeyboardInterrupt into a silent exit 0)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGINT and SIGTERM raise `_Signalled` (a running clock defers them to its next instant instead)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise _Signalled(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _error(message: str, code: int) -> int:
    """Print ``error: message`` as exactly one line on stderr and return `code`."""
    err_console.print("error: " + " ".join(message.split()), markup=False, highlight=False, soft_wrap=True)
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `gradient` console script; returns the exit code.

    Exit codes: 0 success; 2 bad input (nothing written); 1 an environment fault (the line names the path and
    the cause) or a failed simulation; 3 an acceptance target missed (``gradient validate``); 128 + N when
    signal N (SIGINT 130, SIGTERM 143) stopped a run. Every failure is one ``error:`` line on stderr; set
    ``GRADIENT_DEBUG=1`` to get the traceback instead.
    """
    args = (sys.argv[1:] if argv is None else argv) or ["--help"]
    debug = bool(os.environ.get("GRADIENT_DEBUG"))
    try:
        with _signals_raise():
            check_packages()
            code = app(args=args, prog_name="gradient", standalone_mode=False)
    except _Signalled as exc:
        name = signal.Signals(exc.signum).name
        return _error(f"interrupted by {name}; any run it started is incomplete (no summary.json)", 128 + exc.signum)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except (typer.Abort, KeyboardInterrupt):
        return _error("interrupted; the run is incomplete (no summary.json)", 130)
    except Exception as exc:
        if debug:
            raise
        signum = getattr(exc, "signum", None)
        if isinstance(exc, SimulationError) and isinstance(signum, int):  # world.clock.RunInterruptedError
            return _error(
                f"{exc}; the outputs are incomplete (no summary.json): the trace and metrics hold every instant "
                "up to that time",
                128 + signum,
            )
        if isinstance(exc, MemoryError):
            return _error("out of memory; choose smaller parameters", 1)
        if isinstance(exc, ValueError):  # ParameterError, and constructors rejecting a parameter combination
            return _error(str(exc), 2)
        if isinstance(exc, TyperException):  # command-line usage: missing argument, unknown option, ...
            return _error(exc.format_message(), 2)
        if isinstance(exc, OSError):
            return _error(_os_message(exc), 1)
        if isinstance(exc, SimulationError | RuntimeError):
            return _error(str(exc), 1)
        return _error(f"the run failed: {_cause(exc)} (set GRADIENT_DEBUG=1 for the traceback)", 1)
    return code if isinstance(code, int) else 0  # a command's `typer.Exit(code)` (click returns its code)


def main_for(name: str) -> None:
    """`python -m scenarios.NAME [--out DIR] [--seed N] [--set k=v ...]`: the same as `gradient run NAME`."""
    argv = sys.argv[1:]
    if "--help" in argv:
        sys.exit(_module_help(name))
    sys.exit(main(["run", name, *argv]))


def _module_help(name: str) -> int:
    """The help of `gradient run` for ``python -m scenarios.NAME``: its options, without the NAME argument."""
    import copy

    run_command = typer.main.get_command(app).commands["run"]  # type: ignore[attr-defined]
    command = copy.copy(run_command)
    command.params = [p for p in run_command.params if p.name != "name"]
    command.help = f"Run scenario {name} and write trace, metrics, summary (and report) into --out."
    return int(command.main(["--help"], prog_name=f"python -m scenarios.{name}", standalone_mode=False) or 0)


if __name__ == "__main__":
    sys.exit(main())
