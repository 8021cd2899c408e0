"""The `gradient` command: listing, running, refusing bad input with one line and exit code 2."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.cli import main
from world.trace import read_metrics, read_trace

FAST = ["--set", "steps=20", "--set", "n_balls=200", "--quiet"]


def _gradient(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenarios.cli", *args], capture_output=True, text=True, timeout=120)


def test_list_names_every_scenario(capsys: pytest.CaptureFixture) -> None:
    """`gradient list` prints each registered scenario."""
    from scenarios.registry import all_scenarios

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in all_scenarios():
        assert name in out


def test_run_writes_every_output(out_dir: Path) -> None:
    """A run writes trace.parquet, metrics.parquet and a complete summary.json."""
    assert main(["run", "ehrenfest", "--out", str(out_dir), "--seed", "4", *FAST]) == 0
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["complete"] is True and summary["seed"] == 4 and summary["params"]["steps"] == 20
    assert len(read_trace(out_dir)) == summary["trace_events"] == summary["results"]["hops"]
    assert not read_metrics(out_dir).empty


def test_jsonl_trace_format(out_dir: Path) -> None:
    """--trace-format jsonl writes trace.jsonl with the same events as Parquet."""
    assert main(["run", "ehrenfest", "--out", str(out_dir / "j"), "--trace-format", "jsonl", *FAST]) == 0
    assert main(["run", "ehrenfest", "--out", str(out_dir / "p"), *FAST]) == 0
    j, p = read_trace(out_dir / "j"), read_trace(out_dir / "p")
    assert (out_dir / "j" / "trace.jsonl").exists() and len(j) == len(p)
    assert j["entity_id"].tolist() == p["entity_id"].tolist()


def test_refuses_complete_run_without_force(out_dir: Path) -> None:
    """Running into a directory holding a complete run exits 2 unless --force."""
    assert main(["run", "ehrenfest", "--out", str(out_dir), *FAST]) == 0
    assert main(["run", "ehrenfest", "--out", str(out_dir), *FAST]) == 2
    assert main(["run", "ehrenfest", "--out", str(out_dir), "--force", *FAST]) == 0


def test_config_file_and_set_precedence(out_dir: Path, tmp_path: Path) -> None:
    """Config values apply, --set overrides them, and the config's seed is used."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('scenario = "ehrenfest"\nseed = 9\n[params]\nsteps = 15\nn_balls = 100\n')
    assert (
        main(["run", "ehrenfest", "--out", str(out_dir), "--config", str(cfg), "--set", "n_balls=50", "--quiet"]) == 0
    )
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["seed"] == 9 and summary["params"]["steps"] == 15 and summary["params"]["n_balls"] == 50


BAD = [
    (["run", "no_such_scenario"], "no_such_scenario"),
    (["run", "ehrenfest", "--set", "bogus=1"], "bogus"),
    (["run", "ehrenfest", "--set", "steps=many"], "steps=many"),
    (["run", "ehrenfest", "--set", "steps=0"], "steps=0"),
    (["run", "ehrenfest", "--set", "p_hop=nan"], "p_hop=nan"),
    (["run", "ehrenfest", "--set", "p_hop=inf"], "p_hop=inf"),
    (["run", "ehrenfest", "--set", "n_balls=10000000000"], "n_balls"),
    (["run", "ehrenfest", "--set", "steps"], "steps"),
    (["run", "ehrenfest", "--trace-format", "csv"], "csv"),
    (["run", "ehrenfest", "--seed", "-3"], "seed"),
]


@pytest.mark.parametrize(("args", "named"), BAD)
def test_bad_input_is_one_line_exit_2(args: list[str], named: str, out_dir: Path) -> None:
    """Bad input exits 2 with one stderr line naming the value, no traceback, and no summary.json."""
    proc = _gradient(*args, "--out", str(out_dir))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (out_dir / "summary.json").exists()


@pytest.mark.parametrize(
    "text",
    [
        "steps = [",
        "[params]\nsteps = 'ten'\n",
        "[params]\nnope = 1\n",
        "colour = 'red'\n",
        "seed = -1\n",
        "params = 3\n",
    ],
)
def test_bad_config_is_one_line_exit_2(text: str, tmp_path: Path, out_dir: Path) -> None:
    """Invalid TOML, wrong types and unknown keys in a config exit 2 with one line."""
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    proc = _gradient("run", "ehrenfest", "--out", str(out_dir), "--config", str(cfg))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (out_dir / "summary.json").exists()


def test_unreadable_config(out_dir: Path, tmp_path: Path) -> None:
    """A config path that does not exist is bad input naming the file."""
    proc = _gradient("run", "ehrenfest", "--out", str(out_dir), "--config", str(tmp_path / "missing.toml"))
    assert proc.returncode == 2 and "missing.toml" in proc.stderr


def test_python_m_scenario_module(out_dir: Path) -> None:
    """`python -m scenarios.ehrenfest` runs the scenario like `gradient run ehrenfest`."""
    proc = subprocess.run(
        [sys.executable, "-m", "scenarios.ehrenfest", "--out", str(out_dir), *FAST],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out_dir / "summary.json").read_text())["scenario"] == "ehrenfest"


def test_version(capsys: pytest.CaptureFixture) -> None:
    """`gradient --version` prints the package version."""
    assert main(["--version"]) == 0
    assert "gradient-engines 0." in capsys.readouterr().out
