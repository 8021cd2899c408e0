"""The examples in README.md and the worlds' docs run as written."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _blocks(path: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def _command(line: str) -> list[str]:
    """A README command line with the venv paths replaced by this interpreter."""
    words = shlex.split(line, comments=True)
    if words[0].endswith("gradient"):
        return [sys.executable, "-m", "scenarios.cli", *words[1:]]
    if words[0].endswith("python"):
        return [sys.executable, *words[1:]]
    raise AssertionError(f"unexpected README command {line!r}")


@pytest.mark.slow
def test_readme_commands_config_and_pandas_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command of 'Running scenarios', the TOML config and the pandas snippet work in a fresh directory."""
    readme = ROOT / "README.md"
    commands = [ln for ln in _blocks(readme, "bash")[1].splitlines() if ln.strip()]
    assert any("gradient run" in c for c in commands)
    for line in commands:
        proc = subprocess.run(_command(line), cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"{line}\n{proc.stderr}"
    (tmp_path / "c.toml").write_text(_blocks(readme, "toml")[0], encoding="utf-8")
    run_cfg = ["run", "ehrenfest", "--config", "c.toml", "--out", "runs/cfg", "--quiet"]
    proc = subprocess.run(
        [sys.executable, "-m", "scenarios.cli", *run_cfg], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "runs/urn/trace.json").exists() and (tmp_path / "runs/urn/report.md").exists()
    monkeypatch.chdir(tmp_path)
    exec(compile(_blocks(readme, "python")[0], "README.md", "exec"), {})


@pytest.mark.slow
@pytest.mark.parametrize("doc", ["membrane.md", "attention.md", "interp.md"])
def test_world_doc_examples_run(doc: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python examples of the worlds' documentation run as written."""
    monkeypatch.chdir(tmp_path)
    blocks = _blocks(ROOT / "docs" / doc, "python")
    assert blocks
    for code in blocks:
        exec(compile(code, doc, "exec"), {"__name__": f"doc_{doc}"})
