"""Scenarios from outside the project tree: the docs/FOUNDATION_API.md example as a file, a module on the path,
an entry point of an installed package; misspelled names; the registry-wide lists stay the project's."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.catalog import catalog, read_declarations
from scenarios.cli import main
from scenarios.registry import ENTRY_POINT_GROUP, all_scenarios, available, get

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ["--set", "t_pulse=0.1", "--set", "t_end=0.2"]


def _example_source() -> str:
    doc = (ROOT / "docs" / "FOUNDATION_API.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Scenarios") :]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)[0]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The FOUNDATION_API example saved as a file outside the tree (once: a name registers from one file)."""
    path = tmp_path_factory.mktemp("user") / "my_adp_pulse.py"
    path.write_text(_example_source(), encoding="utf-8")
    return path


def test_foundation_api_example_runs_from_a_file(example: Path, tmp_path: Path, capsys) -> None:
    """`gradient run path/to/file.py` runs the documented example: summary, report with its figure, and the
    console table of its `tables=`."""
    assert main(["run", str(example), "--out", str(tmp_path / "r"), *SMOKE]) == 0
    out = capsys.readouterr().out
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["scenario"] == "my_adp_pulse" and summary["complete"] is True
    assert set(summary["results"]["windows"]) == {"before", "after"}
    assert "window means" in out and "my_adp_pulse (seed 0)" in out
    png = tmp_path / "r" / "figures" / "psi.png"
    assert png.read_bytes()[:4] == b"\x89PNG" and "figures/psi.png" in (tmp_path / "r" / "report.md").read_text()


def test_example_check_rejects_before_writing(example: Path, tmp_path: Path, capsys) -> None:
    """The example's check refuses t_pulse ≥ t_end with exit 2, one error line, and writes nothing."""
    assert main(["run", str(example), "--out", str(tmp_path / "r"), "--set", "t_pulse=0.5", "--set", "t_end=0.2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: t_pulse(=0.5)")
    assert not (tmp_path / "r").exists()


def test_example_declaration_is_read_without_importing(example: Path) -> None:
    """`gradient show` reads the example's parameters from its source (literal decorator arguments)."""
    infos = read_declarations(example, "m")
    assert infos is not None and [i.name for i in infos] == ["my_adp_pulse"]
    assert infos[0].params["adp"].bounds == (0, 100_000) and infos[0].smoke == {"t_pulse": 0.1, "t_end": 0.2}


def test_a_file_outside_the_tree_runs_in_a_fresh_process(example: Path, tmp_path: Path) -> None:
    """From another working directory, `python -m scenarios.cli run FILE` exits 0 and writes a complete run."""
    proc = subprocess.run(
        [sys.executable, "-m", "scenarios.cli", "run", str(example), "--out", "out", "--quiet", *SMOKE],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["complete"] is True


def test_module_path_and_name_selection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module on sys.path runs by its dotted or plain name; a module with two scenarios needs :NAME."""
    pkg = tmp_path / "userpkg_a"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "two.py").write_text(
        "from scenarios.params import Param\nfrom scenarios.registry import scenario\n"
        + "".join(
            f"@scenario(name='user_two_{n}', description='d', params={{'k': Param(1, int, bounds=(0, 9))}})\n"
            f"def f{n}(run, *, k):\n    return {{'k': k * {n}}}\n"
            for n in (1, 2)
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="several scenarios"):
        get("userpkg_a.two")
    assert get("userpkg_a.two:user_two_2").name == "user_two_2"
    assert main(["run", "userpkg_a.two:user_two_1", "--out", str(tmp_path / "r"), "--quiet", "--set", "k=3"]) == 0
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["results"] == {"k": 3}
    assert "user_two_1" not in all_scenarios() and "user_two_1" in available()


def test_entry_point_scenarios_are_listed_and_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """A module declared in the entry-point group appears in `gradient list` and runs by name."""
    (tmp_path / "userpkg_ep.py").write_text(
        "from scenarios.params import Param\nfrom scenarios.registry import scenario\n"
        "@scenario(name='user_ep', description='from an installed package', params={'k': Param(2, int)})\n"
        "def f(run, *, k):\n    return {'k2': k * k}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = importlib.metadata.EntryPoint(name="mine", value="userpkg_ep", group=ENTRY_POINT_GROUP)
    real = importlib.metadata.entry_points
    monkeypatch.setattr(
        importlib.metadata, "entry_points", lambda **kw: [ep] if kw.get("group") == ENTRY_POINT_GROUP else real(**kw)
    )
    assert "user_ep" in catalog() and "user_ep" not in all_scenarios()
    assert main(["list"]) == 0 and "from an installed package" in capsys.readouterr().out
    assert main(["run", "user_ep", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["results"] == {"k2": 4}


@pytest.mark.parametrize(
    ("typo", "meant"), [("ehrenfst", "ehrenfest"), ("c_rnig", "c_ring"), ("inhibitor", "inhibitors")]
)
def test_misspelled_scenario_suggests_the_name(typo: str, meant: str, capsys) -> None:
    """An unknown name exits 2 with one line that suggests the close registered name."""
    assert main(["show", typo]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"did you mean '{meant}'" in err


def test_missing_file_and_module_are_bad_input(tmp_path: Path, capsys) -> None:
    """A .py path that does not exist or a module that cannot be found exits 2 naming it."""
    assert main(["run", str(tmp_path / "nope.py")]) == 2
    assert "nope.py does not exist" in capsys.readouterr().err
    assert main(["run", "no_such_pkg.mod"]) == 2
    assert "no_such_pkg.mod" in capsys.readouterr().err
