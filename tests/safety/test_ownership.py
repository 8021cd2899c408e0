"""A run writes only what it owns: the manifest, refusals before writing, no link followed, one writer."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.safety.helpers import FAST, cli, one_error_line, snapshot
from world.outputs import is_complete
from world.rundir import MANIFEST, RunDirLock, is_run_dir, read_manifest


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One complete ehrenfest run (with report), made once and copied by the tests that need one."""
    out = tmp_path_factory.mktemp("complete") / "run"
    assert cli(["run", "ehrenfest", "--out", str(out), *FAST])[0] == 0
    return out


def _copy(run: Path, out_dir: Path) -> Path:
    shutil.copytree(run, out_dir, symlinks=True)
    return out_dir


def _user_files(d: Path) -> None:
    (d / "figures").mkdir(parents=True, exist_ok=True)
    (d / "figures" / "holiday.png").write_bytes(b"my photo")
    (d / "notes.txt").write_text("mine")


NOT_A_RUN = {
    "user figures": lambda d: _user_files(d),
    "a report.md": lambda d: (d / "report.md").write_text("my report"),
    "a trace.parquet": lambda d: (d / "trace.parquet").write_bytes(b"PAR1"),
    "complete summary, no manifest": lambda d: (d / "summary.json").write_text('{"complete": true}'),
    "a torn manifest": lambda d: (d / MANIFEST).write_text("{not json"),
}


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("case", sorted(NOT_A_RUN))
def test_non_empty_directory_that_is_not_a_run_is_refused(case: str, force: bool, tmp_path: Path) -> None:
    """A non-empty directory without a valid manifest is refused with one line (exit 2), even with --force,
    and every file in it is left as it was."""
    out = tmp_path / "somewhere"
    out.mkdir()
    NOT_A_RUN[case](out)
    before = snapshot(out)
    code, err = cli(["run", "ehrenfest", "--out", str(out), *FAST, *(["--force"] if force else [])])
    assert code == 2 and "holds no gradient run" in one_error_line(err)
    assert snapshot(out) == before


def test_empty_out_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--out ''`` (which would mean the current folder) is refused and the folder is untouched."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "report.md").write_text("mine")
    before = snapshot(tmp_path)
    code, err = cli(["run", "ehrenfest", "--out", "", *FAST])
    assert code == 2 and "--out ''" in one_error_line(err)
    assert snapshot(tmp_path) == before


def test_force_removes_only_the_files_in_the_manifest(out_dir: Path, complete_run: Path) -> None:
    """--force over a complete run removes the run's own files and keeps a file the user put there."""
    _copy(complete_run, out_dir)
    manifest = read_manifest(out_dir)
    assert manifest is not None and "figures/imbalance.png" in manifest["paths"]
    _user_files(out_dir)
    assert cli(["run", "ehrenfest", "--out", str(out_dir), "--seed", "5", *FAST, "--force"])[0] == 0
    assert (out_dir / "figures" / "holiday.png").read_bytes() == b"my photo"
    assert (out_dir / "notes.txt").read_text() == "mine"
    assert json.loads((out_dir / "summary.json").read_text())["seed"] == 5


def test_incomplete_run_is_replaced_without_force_keeping_user_files(out_dir: Path, complete_run: Path) -> None:
    """A directory holding an interrupted run (manifest, no summary) is reused; the user's files stay."""
    _copy(complete_run, out_dir)
    (out_dir / "summary.json").unlink()
    (out_dir / "notes.txt").write_text("mine")
    assert cli(["run", "ehrenfest", "--out", str(out_dir), *FAST])[0] == 0
    assert is_complete(out_dir) and (out_dir / "notes.txt").read_text() == "mine"


def test_a_user_file_under_an_output_name_is_refused(out_dir: Path, complete_run: Path) -> None:
    """A name the run writes that the manifest does not list (the user's own report.md) is never replaced."""
    _copy(complete_run, out_dir)
    (out_dir / "summary.json").unlink()
    (out_dir / "trace.json").write_text("my own trace.json")
    code, err = cli(["run", "ehrenfest", "--out", str(out_dir), *FAST])
    assert code == 2 and "not written by gradient" in one_error_line(err)
    assert (out_dir / "trace.json").read_text() == "my own trace.json"


# Parameter combinations inside every bound that only the scenario's check hook rejects (issue: each was
# rejected only after the outputs had been cleaned and written, destroying a previous run under --force).
COMBINATIONS = [
    ("demand_titration", ["window=1.0", "hold=0.5"], "window"),
    ("inhibitors", ["window=0.5", "warmup=0.3"], "window"),
    ("inhibitors", ["window=0.5", "after=0.2"], "window"),
    ("inhibitors", ["oligomycin_window=30", "after=28"], "oligomycin_window"),
    ("mito_stress_test", ["window=0.6", "phase=0.5"], "window"),
    ("mito_stress_test", ["window=0.6", "warmup=0.55"], "window"),
    ("perturbation_pairs", ["window=0.5", "warmup=0.5"], "window"),
    ("respiratory_control", ["t_pulse=3", "state4_window=1", "window=2", "t_end=6"], "t_end"),
    ("respiratory_control", ["t_pulse=0.5", "state4_window=0.6"], "state4_window"),
    ("coupled_budget", ["t_uncoupler=1.0", "t_warm=1.5"], "t_warm"),
    ("coupled_budget", ["t_oligomycin=19"], "t_oligomycin"),
    ("temperature", ["V=64", "order=3"], "V"),
    ("respiratory_control", ["world_params=k_rotor=3000"], "k_rotor"),
    ("demand_titration", ["world_params=kinetics=fermi"], "kinetics"),
    ("mito_stress_test", ["world_params=n_leak=x"], "n_leak"),
    ("c_ring", ["world_params=c_ring=10"], "c_ring"),
    ("inhibitors", ["world_params=nadh_supply=10"], "nadh_supply"),
    ("localized_coupling", ["world_params=proton_access=bulk"], "proton_access"),
    ("respiratory_control", ["site_events=batch", "world_params=proton_access=local"], "site_events"),
    ("control_analysis", ["world_params=carrier_reach_nm=100"], "site_events"),
    ("localized_coupling", ["world_params=site_events=batch"], "site_events"),
    ("head_ablation", ["order=3", "n_ctx=2"], "n_ctx"),
    ("training_builds_gradient", ["V=50", "order=3"], "V"),
]


@pytest.mark.parametrize(("name", "sets", "named"), COMBINATIONS, ids=[f"{c[0]}-{c[1][0]}" for c in COMBINATIONS])
def test_cross_parameter_constraint_is_checked_before_writing(
    name: str, sets: list[str], named: str, out_dir: Path, complete_run: Path
) -> None:
    """A combination rejected by the scenario's constraints exits 2 naming the parameter, and a complete run
    already in --out survives even with --force."""
    _copy(complete_run, out_dir)
    before = snapshot(out_dir)
    args = ["run", name, "--out", str(out_dir), "--force", "--quiet"]
    for s in sets:
        args += ["--set", s]
    code, err = cli(args)
    assert code == 2 and f"{named}(=" in one_error_line(err)
    assert snapshot(out_dir) == before


@pytest.mark.parametrize("link", ["figures", "report.md", "trace.parquet"])
def test_force_never_deletes_through_a_link(link: str, out_dir: Path, tmp_path: Path, complete_run: Path) -> None:
    """With a link in place of an output, --force refuses with one line and deletes nothing on either side."""
    _copy(complete_run, out_dir)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "imbalance.png").write_bytes(b"precious")
    target = out_dir / link
    if target.is_dir():
        for p in sorted(target.rglob("*"), reverse=True):
            p.unlink()
        target.rmdir()
    else:
        target.unlink()
    os.symlink(elsewhere if link == "figures" else elsewhere / "imbalance.png", target)
    before, before_elsewhere = snapshot(out_dir), snapshot(elsewhere)
    code, err = cli(["run", "ehrenfest", "--out", str(out_dir), "--force", *FAST])
    assert code == 2 and "symbolic link" in one_error_line(err)
    assert snapshot(out_dir) == before and snapshot(elsewhere) == before_elsewhere


@pytest.mark.parametrize("command", ["report", "export-perfetto"])
def test_report_and_export_never_write_through_a_link(
    command: str, out_dir: Path, tmp_path: Path, complete_run: Path
) -> None:
    """`gradient report` with a linked figures/ and `export-perfetto` with a linked trace.json refuse with one
    line and leave the link's target unchanged."""
    _copy(complete_run, out_dir)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "imbalance.png").write_bytes(b"precious")
    (elsewhere / "trace.json").write_bytes(b"precious")
    if command == "report":
        for p in (out_dir / "figures").iterdir():
            p.unlink()
        (out_dir / "figures").rmdir()
        os.symlink(elsewhere, out_dir / "figures")
    else:
        os.symlink(elsewhere / "trace.json", out_dir / "trace.json")
    before = snapshot(elsewhere)
    code, err = cli([command, str(out_dir)])
    assert code == 2 and "symbolic link" in one_error_line(err)
    assert snapshot(elsewhere) == before


def test_second_writer_fails_at_once(out_dir: Path) -> None:
    """While a run holds the directory's lock, another run into it exits 2 at once with one line naming the
    holder, and the directory is unchanged."""
    out_dir.mkdir()
    with RunDirLock(out_dir):
        before = snapshot(out_dir)
        code, err = cli(["run", "ehrenfest", "--out", str(out_dir), *FAST])
        assert code == 2 and f"pid {os.getpid()}" in one_error_line(err)
        assert snapshot(out_dir) == before
    assert cli(["run", "ehrenfest", "--out", str(out_dir), *FAST])[0] == 0
    assert is_run_dir(out_dir) and is_complete(out_dir)


def test_demand_titration_window_at_a_floating_point_end(out_dir: Path) -> None:
    """The issue's case: levels 0,100,200 with warmup 0.2 and hold 0.3 end at 0.2 + 3·0.3 = 1.0999999999999999,
    below the last window's end 1.1; every level is now measured (it crashed with KeyError 'ocr')."""
    assert 0.2 + 3 * 0.3 < (0.2 + 2 * 0.3) + 0.3  # the rounding that made the last window never close
    sets = ["levels=0,100,200", "warmup=0.2", "hold=0.3", "window=0.1", "state4_hold=0.3", "state4_window=0.1"]
    code, err = cli(
        ["run", "demand_titration", "--out", str(out_dir), "--quiet", *[a for s in sets for a in ("--set", s)]]
    )
    assert code == 0, err
    rows = json.loads((out_dir / "summary.json").read_text())["results"]["levels"]
    assert [r["demand"] for r in rows] == [0.0, 100.0, 200.0]
    assert all(isinstance(r["ocr"], float) and r["ocr"] > 0 for r in rows)


def test_a_rerun_keeps_owning_a_non_empty_directory_and_drops_an_empty_one(tmp_path: Path) -> None:
    """After a rerun removes the previous run's files, a listed directory that still holds other runs (a parent's
    child runs) stays in the new manifest, so the rerun may write into it again; one that became empty is
    removed and no longer listed; without the previous manifest neither would be owned."""
    from scenarios.runner import prepare_out_dir
    from world.rundir import claim, start_manifest

    out = tmp_path / "run"
    with prepare_out_dir(out, force=False):
        claim(out, "children").mkdir()
        claim(out, "children/sweep.json").write_text("{}")
        (out / "children" / "child").mkdir()  # a child run: owned by its own manifest, not by this one
        claim(out, "empty").mkdir()
    with prepare_out_dir(out, force=True):
        paths = read_manifest(out)["paths"]
        assert "children" in paths and "empty" not in paths and not (out / "empty").exists()
        assert (out / "children" / "child").is_dir() and not (out / "children" / "sweep.json").exists()
        claim(out, "children/sweep.json")  # owned again: no UnsafeOutputError
    start_manifest(out)
    assert "children" not in read_manifest(out)["paths"]
