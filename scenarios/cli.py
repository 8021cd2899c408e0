"""The `gradient` command line (typer + rich).

Key names: `app`, `main`, `main_for`.

Commands: ``gradient list``, ``gradient show SCENARIO``, ``gradient run SCENARIO --out DIR [--seed N]
[--set key=value ...] [--config file.toml] [--trace-format parquet|jsonl] [--force]``,
``gradient export-perfetto DIR``, ``gradient report DIR``, ``gradient view [PAGE] [--port N]``,
``gradient --version``.

Exit codes: 0 success; 1 the simulation failed; 2 bad input (unknown scenario, unknown or invalid parameter,
unreadable config, occupied output directory, command-line usage). Bad input is reported as one line on
stderr, ``error: ...``, with no traceback, and before anything is written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.exceptions import TyperException

from scenarios.guard import check_packages
from scenarios.params import ParameterError, load_config, parse_set
from scenarios.registry import all_scenarios, get
from world.errors import SimulationError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Two gradient engines, a mitochondrion and a language model, simulated on one clock.",
)
out_console = Console()
err_console = Console(stderr=True)


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
    table = Table("scenario", "description", box=None)
    for name, sc in all_scenarios().items():
        table.add_row(name, sc.description)
    out_console.print(table)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Scenario name."),
    markdown: bool = typer.Option(False, "--markdown", help="Print the parameters as a Markdown table (README)."),
) -> None:
    """Show a scenario's parameters: type, default and what is allowed."""
    sc = get(name)
    if markdown:
        typer.echo(_markdown_params(sc))
        return
    out_console.print(f"[bold]{sc.name}[/bold]: {sc.description}")
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


@app.command("run")
def run(
    name: str = typer.Argument(..., help="Scenario name (see `gradient list`)."),
    out: Path | None = typer.Option(None, "--out", help="Output directory [default: runs/SCENARIO]."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the run's one random generator [default: 0]."),
    set_: list[str] = typer.Option([], "--set", help="Override a parameter: key=value (repeatable)."),
    config: Path | None = typer.Option(None, "--config", help="TOML file: scenario, seed, [params]."),
    trace_format: str = typer.Option("parquet", "--trace-format", help="parquet or jsonl."),
    force: bool = typer.Option(False, "--force", help="Replace a complete run already in --out."),
    flush_every: int = typer.Option(65536, "--flush-every", help="Trace rows per flush (Parquet row group)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar or result table."),
) -> None:
    """Run a scenario and write trace, metrics, summary (and report) into --out."""
    from scenarios.runner import execute

    sc = get(name)
    overrides = parse_set(set_)
    cfg: dict[str, Any] = load_config(config) if config is not None else {}
    if cfg.get("scenario", name) != name:
        raise ParameterError(f"config file {config} is for scenario {cfg['scenario']!r}, not {name!r}")
    seed_value = seed if seed is not None else cfg.get("seed", 0)
    out_dir = out if out is not None else Path("runs") / name
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
    out_console.print(f"outputs in {out_dir}/ ({summary['trace_events']} trace events)")


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _print_results(summary: dict[str, Any]) -> None:
    """Print the scalar results, then every table a scenario returns under ``results["tables"]``."""
    results = summary["results"]
    table = Table("result", "value", box=None, title=f"{summary['scenario']} (seed {summary['seed']})")
    for key, value in results.items():
        if isinstance(value, int | float | str | bool) or value is None:
            table.add_row(key, _fmt(value))
    out_console.print(table)
    for name, rows in (results.get("tables") or {}).items():
        if rows:
            t = Table(*rows[0].keys(), title=name)
            for row in rows:
                t.add_row(*(_fmt(v) for v in row.values()))
            out_console.print(t)
    verdict = results.get("verdict")
    if isinstance(verdict, dict) and "statement" in verdict:
        out_console.print(f"verdict: {verdict['statement']}")


@app.command("export-perfetto")
def export_perfetto(
    run_dir: Path = typer.Argument(..., help="A run's output directory."),
    out: Path | None = typer.Option(None, "--out", help="Output file [default: RUN_DIR/trace.json]."),
) -> None:
    """Write the run's trace as Chrome Trace Event JSON (open it in ui.perfetto.dev)."""
    from analysis.perfetto import export_perfetto as export

    if not run_dir.is_dir():
        raise ParameterError(f"run directory {run_dir} does not exist")
    try:
        path, n = export(run_dir, out)
    except FileNotFoundError as exc:
        raise ParameterError(str(exc)) from None
    out_console.print(f"wrote {path} ({n} trace events); open it at https://ui.perfetto.dev")


@app.command("report")
def report(run_dir: Path = typer.Argument(..., help="A run's output directory.")) -> None:
    """Re-render report.md and figures/ from a run's outputs, without re-running it."""
    from world.outputs import read_summary

    if not run_dir.is_dir():
        raise ParameterError(f"run directory {run_dir} does not exist")
    summary = read_summary(run_dir)
    if not summary or summary.get("complete") is not True:
        raise IncompleteRunError(
            f"the run in {run_dir} is incomplete (no summary.json with complete: true): it was interrupted or is "
            "still running; its trace prefix can be read with world.trace.read_trace, but there is no report"
        )
    sc = get(summary["scenario"])
    if sc.report is None:
        raise ParameterError(f"scenario {sc.name!r} has no report; scenarios with one: {_with_report()}")
    sc.report(run_dir, summary)
    out_console.print(f"wrote {run_dir / 'report.md'}")


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


class IncompleteRunError(SimulationError):
    """`gradient report` was pointed at a run that did not finish."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `gradient` console script; returns the exit code.

    Set ``GRADIENT_DEBUG=1`` to get the traceback of a failure instead of the one-line message.
    """
    args = (sys.argv[1:] if argv is None else argv) or ["--help"]
    try:
        check_packages()
        app(args=args, prog_name="gradient", standalone_mode=False)
    except ValueError as exc:  # ParameterError, and world constructors rejecting a parameter combination
        if os.environ.get("GRADIENT_DEBUG"):
            raise
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except TyperException as exc:  # command-line usage: missing argument, unknown option, ...
        err_console.print(f"error: {exc.format_message()}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("error: interrupted; the run is incomplete (no summary.json)", markup=False)
        return 130
    except (SimulationError, RuntimeError) as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 1
    return 0


def main_for(name: str) -> None:
    """`python -m scenarios.NAME [--out DIR] [--seed N] [--set k=v ...]`: the same as `gradient run NAME`."""
    sys.exit(main(["run", name, *sys.argv[1:]]))


if __name__ == "__main__":
    sys.exit(main())
