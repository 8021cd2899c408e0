"""Validation of the membrane world at its defaults: the acceptance runs, made (or resumed) and judged.

Key names: `PARTS`, `validate`, `missed`, `validate_command`.

``gradient validate [--seeds 0-2] [--out runs/validation] [--only PART ...] [--scheduler ...] [--workers N]``
makes every run the acceptance table of ``docs/membrane.md`` reads, each scenario at its own defaults, once per
seed, and judges them with `analysis.acceptance` (the table of ``gradient acceptance``). Each part is a sweep
(`scenarios.sweep.run_sweep`) in ``OUT/PART/`` with one run directory per seed (``sSEED``): a complete run is
reused on the next call, an interrupted one is rerun, and nothing outside OUT is touched. The judgement is
written to ``OUT/acceptance.json`` (the rows of `analysis.acceptance.evaluate`).

The parts (`PARTS`): ``respiratory_control``; ``p_o_nadh`` and ``p_o_succinate``, respiratory_control without the
leak (the P/O limit, read in state 3 only, so with shorter state-4 windows); ``demand_titration``;
``mito_stress_test``; ``control_analysis``. At the defaults on one core they take ≈ 7, 1, 1, 7, 8 and 90
minutes per seed.

Exit codes: 0 every target met; 3 a target missed (the table is printed and written first); 2 bad input;
1 a run failed (it is rerun on the next call).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import typer

from scenarios.params import ParameterError
from world.outputs import is_complete, jsonable, read_summary

_PO = {"k_leak": 0.0, "t_pulse": 30.0, "state4_window": 20.0, "t_end": 80.0}
PARTS: dict[str, tuple[str, dict[str, Any]]] = {
    "respiratory_control": ("respiratory_control", {}),
    "p_o_nadh": ("respiratory_control", dict(_PO)),
    "p_o_succinate": ("respiratory_control", {**_PO, "substrate": "succinate"}),
    "demand_titration": ("demand_titration", {}),
    "mito_stress_test": ("mito_stress_test", {}),
    "control_analysis": ("control_analysis", {}),
}
"""Each part of the validation: the scenario and the parameters it sets (all others at their defaults)."""

SPEC = "validate.json"
"""The file that marks a directory as a validation's (its seeds and parts)."""


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out} is a file, not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / SPEC).is_file():
        raise ParameterError(f"--out {out} is not empty and is not a validation (no {SPEC}); choose another")


def validate(
    seeds: str | Sequence[int] = "0-2",
    out: Path | str = "runs/validation",
    *,
    parts: Sequence[str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    scheduler: Any = "local",
    workers: int | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Make (or resume) the runs of `parts` for every seed in ``out/PART/sSEED`` and return the acceptance rows.

    Args:
        seeds: ``"0-2"``, ``"0,3"`` or a list of non-negative ints.
        out: the validation's directory (new, empty, or an earlier validation's).
        parts: names from `PARTS` (default: all of them).
        overrides: extra parameters per part, on top of the part's own (e.g. short protocols in tests).
        scheduler, workers: as for `scenarios.sweep.run_sweep` (one cluster serves every part).
        progress: a progress bar per part on stderr.

    Returns:
        The rows of `analysis.acceptance.evaluate` over the finished runs of `parts` and `seeds`, as written to
        ``out/acceptance.json``. ``out/validate.json`` records every seed and part the directory has run.

    Raises:
        ParameterError: an unknown part, bad seeds or parameters, or an `out` that is not a validation's; every
            part is checked before anything is written.
        SweepFailedError: some runs failed (after every part was tried and the table of the finished runs was
            written; the failed runs are rerun on the next call).
    """
    from analysis.acceptance import evaluate
    from scenarios.sweep import SweepFailedError, _check_scheduler, parse_seeds, plan_sweep
    from scenarios.sweep_engine import default_workers, open_scheduler

    names = list(PARTS) if parts is None else list(dict.fromkeys(parts))
    unknown = [p for p in names if p not in PARTS]
    if unknown or not names:
        raise ParameterError(f"--only {', '.join(unknown) or '(none)'} is not allowed: parts are {', '.join(PARTS)}")
    extra = dict(overrides or {})
    if extra.keys() - set(names):
        raise ParameterError(f"overrides for parts not run: {sorted(extra.keys() - set(names))}")
    seed_list = parse_seeds(seeds)
    out = Path(out)
    _check_out(out)
    _check_scheduler(scheduler, workers)
    plans = {}
    for name in names:  # every part checked before anything is written
        scenario, params = PARTS[name]
        plans[name] = plan_sweep(scenario, seed_list, None, {**params, **extra.get(name, {})}, out / name)
    out.mkdir(parents=True, exist_ok=True)
    spec = _read_spec(out)
    spec["seeds"] = sorted(set(spec["seeds"]) | set(seed_list))
    spec["parts"].update({n: {"scenario": PARTS[n][0], **plans[n].fixed} for n in names})
    (out / SPEC).write_text(json.dumps(jsonable(spec), indent=2) + "\n", encoding="utf-8")
    todo = sum(len(p.runs) - len(p.done) for p in plans.values())
    if todo and not hasattr(scheduler, "submit") and scheduler != "serial":
        with open_scheduler(scheduler, min(workers or default_workers(), todo)) as client:
            failures = _run_parts(plans, seed_list, client, progress)
    else:
        failures = _run_parts(plans, seed_list, scheduler, progress)
    summaries = []
    for plan in plans.values():
        for r in plan.runs:
            path = plan.out / r.name
            if is_complete(path):
                summaries.append(read_summary(path))
    rows = evaluate(summaries)
    (out / "acceptance.json").write_text(json.dumps(jsonable({"rows": rows}), indent=2) + "\n", encoding="utf-8")
    if failures:
        raise SweepFailedError(
            f"runs failed in {len(failures)} part(s): {'; '.join(failures)}; the table judges the runs that finished"
        )
    return rows


def _read_spec(out: Path) -> dict[str, Any]:
    """The directory's record of the seeds and parts run so far (empty for a new directory)."""
    try:
        spec = json.loads((out / SPEC).read_text(encoding="utf-8"))
        return {"seeds": list(spec["seeds"]), "parts": dict(spec["parts"])}
    except (OSError, ValueError, KeyError, TypeError):
        return {"seeds": [], "parts": {}}


def _run_parts(plans: Mapping[str, Any], seeds: list[int], scheduler: Any, progress: bool) -> list[str]:
    """Run every part's sweep, one after the other; a part whose runs fail does not stop the next one. Returns
    one line per part with failed runs."""
    from scenarios.sweep import SweepFailedError, run_sweep

    failures = []
    for name, plan in plans.items():
        try:
            run_sweep(plan.scenario, seeds, None, plan.fixed, out=plan.out, scheduler=scheduler, report=False,
                      progress=progress)  # fmt: skip
        except SweepFailedError as exc:
            failures.append(f"{name}: {exc}")
    return failures


def missed(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The criteria of `rows` not met by every run, or (for a pooled judgement) not met pooled."""
    bad = [r["criterion"] for r in rows if r["verdict"] != "met"]
    bad += [f"{r['criterion']}, runs pooled" for r in rows if r["pooled"] is not None and not r["pooled"]["met"]]
    return bad


def validate_command(
    seeds: str = typer.Option("0-2", "--seeds", help="Seeds: 0-2, or 0,3,5-7."),
    out: Path = typer.Option(Path("runs/validation"), "--out", help="The validation's directory."),
    only: list[str] = typer.Option([], "--only", help=f"Run and judge only this part (repeatable): {', '.join(PARTS)}"),
    scheduler: str = typer.Option(
        "local", "--scheduler", help="local (Dask on 127.0.0.1), serial, or tcp://HOST:PORT."
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Worker processes of the local cluster [default: cores]."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
) -> None:
    """Make the membrane world's acceptance runs at their defaults (resuming finished ones) and judge them.

    Every part (respiratory_control, its leak-free P/O runs on NADH and succinate, demand_titration,
    mito_stress_test, control_analysis) runs once per seed in OUT/PART/sSEED; the table of `gradient acceptance`
    is printed and written to OUT/acceptance.json. Exit code 3 when a target is missed. At the defaults the whole
    validation takes ≈ 2 CPU-hours per seed (control_analysis ≈ 90 min of it).
    """
    from scenarios.cli import _error, print_acceptance

    rows = validate(seeds, out, parts=only or None, scheduler=scheduler, workers=workers, progress=not quiet)
    print_acceptance(rows)
    bad = missed(rows)
    if bad:
        table = out / "acceptance.json"
        raise typer.Exit(_error(f"{len(bad)} target(s) missed: {'; '.join(bad)}; table in {table}", 3))
    typer.echo(f"every target met ({len(rows)} criteria); table in {out / 'acceptance.json'}")
