"""Sweep planning and bookkeeping without a cluster: bad input rejected before anything is written, seeds and
grids parsed, a run published once by rename, the serial scheduler's outputs and report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.cli import main
from scenarios.params import ParameterError
from scenarios.sweep import parse_seeds, plan_sweep, run_sweep
from scenarios.sweep_engine import _publish, run_one
from world.outputs import is_complete

FAST = ["--set", "n_balls=200", "--set", "steps=20", "--quiet"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--grid", "p_hop=0.02,0.9"], "parameter p_hop=0.9 is not allowed: must be a finite number between"),
        (["--grid", "p_hop=0.02,abc"], "parameter p_hop=abc is not allowed"),
        (["--grid", "nope=1,2"], "unknown parameter 'nope' for scenario 'ehrenfest'"),
        (["--grid", "p_hop=0.02,0.020"], "repeats a value"),
        (["--grid", "p_hop=0.02", "--grid", "p_hop=0.03"], "--grid p_hop is given twice"),
        (["--grid", "steps=5,6"], "steps is both swept (--grid) and set (--set)"),
        (["--grid", "p_hop"], "--grid 'p_hop' must have the form key=v1,v2"),
        (["--seeds", "3-1"], "--seeds '3-1' is not allowed"),
        (["--seeds", "1,1"], "--seeds '1,1' is not allowed"),
        (["--seeds", "-2"], "--seeds '-2' is not allowed"),
        (["--scheduler", "mars"], "--scheduler 'mars' is not allowed: must be local, serial or tcp://HOST:PORT"),
        (["--workers", "0"], "--workers 0 is not allowed"),
    ],
)
def test_bad_sweep_input_exits_2_and_writes_nothing(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Each bad value exits 2 with one `error:` line naming it, and the output directory is not created."""
    out = tmp_path / "sw"
    assert main(["sweep", "ehrenfest", "--out", str(out), *args, *FAST]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and needle in err and "\n" not in err, err
    assert not out.exists()


def test_combination_rejected_by_the_scenario_check_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A grid point the scenario's check refuses (a 2 GiB training step) stops the sweep before any run."""
    big = ["--set", "n_ctx=256", "--set", "n_heads=8", "--set", "n_layers=4", "--set", "d_model=256"]
    args = ["sweep", "training_builds_gradient", "--out", str(tmp_path / "sw"), "--grid", "batch_size=1,1024", *big]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: batch_size=1024: batch_size(=1024)") and "GiB" in err
    assert not (tmp_path / "sw").exists()


def test_refuses_a_non_empty_directory_that_is_not_a_sweep(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A folder holding other files is refused (exit 2) and left as it was."""
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["sweep", "ehrenfest", "--out", str(tmp_path), "--scheduler", "serial", *FAST]) == 2
    assert "is not empty and is not a sweep" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_parse_seeds_ranges_and_lists() -> None:
    """Ranges are inclusive and lists keep their order."""
    assert parse_seeds("0-3") == [0, 1, 2, 3]
    assert parse_seeds("5,0-1,9") == [5, 0, 1, 9]
    assert parse_seeds([7, 2]) == [7, 2]


def test_plan_names_runs_by_grid_values_and_seed(tmp_path: Path) -> None:
    """Run directories are named key=value_..._sSEED in grid × seed order, with typed overrides."""
    plan = plan_sweep("ehrenfest", "0-1", ["p_hop=0.02,0.05", "n_balls=100"], {"steps": "10"}, tmp_path / "sw")
    assert [r.name for r in plan.runs] == [
        "p_hop=0.02_n_balls=100_s0",
        "p_hop=0.02_n_balls=100_s1",
        "p_hop=0.05_n_balls=100_s0",
        "p_hop=0.05_n_balls=100_s1",
    ]
    assert plan.runs[3].overrides == {"steps": 10, "p_hop": 0.05, "n_balls": 100}
    assert not (tmp_path / "sw").exists()


def test_points_run_their_own_seeds_and_are_checked_before_writing(tmp_path: Path) -> None:
    """Explicit points replace the grid: each runs for its own seed (or every seed), named from its values; a
    bad value in a point, or a grid and points together, is refused before anything is written."""
    pts = [{"seed": 5, "p_hop": 0.02}, {"seed": 9, "p_hop": 0.05}, {"p_hop": 0.1}]
    plan = plan_sweep("ehrenfest", "1", None, {"steps": 10}, tmp_path / "sw", points=pts)
    assert [(r.name, r.seed) for r in plan.runs] == [("p_hop=0.02_s5", 5), ("p_hop=0.05_s9", 9), ("p_hop=0.1_s1", 1)]
    assert plan.grid == {"p_hop": [0.02, 0.05, 0.1]} and plan.seeds == (5, 9, 1)
    with pytest.raises(ParameterError, match=r"p_hop=0\.9 is not allowed"):
        plan_sweep("ehrenfest", [], None, None, tmp_path / "sw", points=[{"seed": 1, "p_hop": 0.9}])
    with pytest.raises(ParameterError, match="either a grid or points"):
        plan_sweep("ehrenfest", "0", ["p_hop=0.02"], None, tmp_path / "sw", points=pts)
    assert not (tmp_path / "sw").exists()


def test_replace_stale_swaps_a_run_of_other_parameters(tmp_path: Path) -> None:
    """A complete run of other parameters under a run's name is refused, or with `replace_stale` run again
    with the new parameters (what a parent run that owns its sweep directory needs)."""
    out = tmp_path / "sw"
    run_sweep("ehrenfest", "0", None, {"steps": 10}, out=out, scheduler="serial", report=False, progress=False)
    with pytest.raises(ParameterError, match="holds a run with other parameters"):
        plan_sweep("ehrenfest", "0", None, {"steps": 12}, out)
    plan = plan_sweep("ehrenfest", "0", None, {"steps": 12}, out, replace_stale=True)
    assert plan.stale == {"s0"} and not plan.done
    run_sweep("ehrenfest", "0", None, {"steps": 12}, out=out, scheduler="serial", report=False, progress=False,
              replace_stale=True)  # fmt: skip
    assert json.loads((out / "s0" / "summary.json").read_text())["params"]["steps"] == 12
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["s0", "sweep.json", "sweep.parquet"]


def test_a_changed_set_value_is_refused_on_resume(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A second call whose --set differs would mix parameters under one run name: refused, exit 2."""
    out = str(tmp_path / "sw")
    assert main(["sweep", "ehrenfest", "--out", out, "--scheduler", "serial", *FAST]) == 0
    assert main(["sweep", "ehrenfest", "--out", out, "--scheduler", "serial", *FAST, "--set", "p_hop=0.1"]) == 2
    assert "s0 holds a run with other parameters" in capsys.readouterr().err


def test_publish_keeps_the_first_complete_copy(tmp_path: Path) -> None:
    """When a duplicate of a run (a worker wrongly declared dead) finishes second, its copy is discarded."""
    first, second = tmp_path / "a", tmp_path / "b"
    run_one("ehrenfest", 1, {"n_balls": 50, "steps": 5}, str(tmp_path / "sw"), "x")
    for d in (first, second):
        d.mkdir()
        (d / "summary.json").write_text(json.dumps({"complete": True, "who": d.name}))
    final = tmp_path / "final"
    _publish(first, final)
    _publish(second, final)
    assert json.loads((final / "summary.json").read_text())["who"] == "a" and not second.exists()
    assert is_complete(tmp_path / "sw" / "x") and not any((tmp_path / "sw" / ".partial").iterdir())


def test_publish_replaces_an_incomplete_run(tmp_path: Path) -> None:
    """A run directory whose summary was removed is set aside (next to the temporary one) for the complete rerun."""
    final, tmp = tmp_path / "final", tmp_path / "tmp"
    final.mkdir()
    (final / "trace.parquet").write_text("old")
    tmp.mkdir()
    (tmp / "summary.json").write_text(json.dumps({"complete": True}))
    _publish(tmp, final)
    assert is_complete(final) and not (final / "trace.parquet").exists() and not tmp.exists()
    assert (tmp_path / "tmp.stale" / "trace.parquet").read_text() == "old"


def test_serial_sweep_writes_table_report_and_runs(tmp_path: Path) -> None:
    """A serial sweep writes one complete run per (grid point, seed), sweep.parquet rows and a report."""
    out = tmp_path / "sw"
    table = run_sweep("ehrenfest", "0-1", {"p_hop": [0.02, 0.1]}, {"n_balls": 200, "steps": 20}, out=out,
                      scheduler="serial", progress=False)  # fmt: skip
    assert len(table) == 4 and (table["status"] == "ok").all() and not table["resumed"].any()
    assert table["p_hop"].tolist() == [0.02, 0.02, 0.1, 0.1] and table["seed"].tolist() == [0, 1, 0, 1]
    assert table["result.hops"].dtype.name == "Int64" and table["error"].isna().all()
    assert all(is_complete(out / r) for r in table["run"])
    report = (out / "report.md").read_text()
    assert "## `hops` (1)" in report and "figures/hops__vs__p_hop.png" in report
    assert (out / "figures" / "hops__vs__p_hop.png").stat().st_size > 0
    assert json.loads((out / "sweep.json").read_text())["grid"] == {"p_hop": [0.02, 0.1]}


def test_an_interrupt_stops_a_serial_sweep_instead_of_failing_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGINT during a run of a serial sweep (a run that raises `RunInterruptedError`) stops the whole sweep and
    leaves no partial run behind; any other error only marks that run failed."""
    import signal

    import scenarios.runner
    from world.clock import RunInterruptedError

    def interrupted(name: str, out: Path, **kw: object) -> None:
        Path(out).mkdir(parents=True)
        raise RunInterruptedError(signal.SIGINT, 0.5)

    monkeypatch.setattr(scenarios.runner, "execute", interrupted)
    (tmp_path / ".partial").mkdir()
    with pytest.raises(RunInterruptedError):
        run_one("ehrenfest", 0, {}, str(tmp_path), "s0")
    assert list((tmp_path / ".partial").iterdir()) == [] and not (tmp_path / "s0").exists()
    monkeypatch.setattr(scenarios.runner, "execute", lambda *a, **k: 1 / 0)
    assert run_one("ehrenfest", 0, {}, str(tmp_path), "s0")["status"] == "failed"
