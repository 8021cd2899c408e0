"""Help and usage of the `gradient` command: every option's help rendered whole (brackets included), `--set`
misuse explained, `python -m scenarios.NAME --help` without the NAME argument, a missing dependency named."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from scenarios.cli import app, main

ROOT = Path(__file__).resolve().parents[2]
BOX = re.compile(r"[│╭╮╰╯─┃━]")


def _flat(text: str) -> str:
    """Rendered help with the panel borders removed and whitespace collapsed (rich wraps long lines)."""
    return " ".join(BOX.sub(" ", text).split())


def _click(command: str):  # type: ignore[no-untyped-def]
    return typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", ["run", "show", "list", "export-perfetto", "report"])
def test_every_option_help_is_rendered_whole(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each option's and argument's help text appears in full in `gradient COMMAND --help`, including
    bracketed parts such as "[default: runs/SCENARIO]" and "[params]" (rendered as text, not markup)."""
    assert main([command, "--help"]) == 0
    shown = _flat(capsys.readouterr().out)
    for param in _click(command).params:
        text = " ".join((getattr(param, "help", None) or "").replace("`", "").split())
        assert text in shown, f"{command} --help lost {param.name}'s help: {text!r}"
    if command == "run":
        assert "[default: runs/SCENARIO]" in shown and "[params]" in shown


def test_set_with_a_space_is_explained(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`--set key value` (a space instead of =) exits 2 with one line that shows the right spelling."""
    assert main(["run", "ehrenfest", "--out", str(tmp_path / "r"), "--set", "steps", "20"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--set steps=20" in err[0]
    assert not (tmp_path / "r").exists()


def test_module_help_has_no_name_argument() -> None:
    """`python -m scenarios.ehrenfest --help` shows the run options and no scenario-name argument."""
    proc = subprocess.run(
        [sys.executable, "-m", "scenarios.ehrenfest", "--help"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    flat = _flat(proc.stdout)
    assert "python -m scenarios.ehrenfest [OPTIONS]" in flat and "--seed" in flat
    assert "Arguments" not in flat and "{name}" not in flat and "NAME" not in flat


def test_missing_dependency_names_the_environment() -> None:
    """Without site-packages (as outside the project's environment) the package stops with one line, exit 1,
    naming the missing modules and the environment to use — not a ModuleNotFoundError traceback."""
    proc = subprocess.run(
        [sys.executable, "-S", "-m", "scenarios.cli", "list"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1
    assert lines[0].startswith("error: numpy") and ".venv" in lines[0] and "Traceback" not in proc.stderr
