"""Every failure is one line: bad configs and numbers exit 2, environment faults exit 1 naming path and cause."""

from __future__ import annotations

import builtins
import contextlib
import errno
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.safety.helpers import FAST, cli, one_error_line
from world.trace import read_metrics, read_trace

ROOT = Path(__file__).resolve().parents[2]
HUGE = str(10**400)


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One complete ehrenfest run, made once; tests copy it."""
    out = tmp_path_factory.mktemp("complete") / "run"
    assert cli(["run", "ehrenfest", "--out", str(out), *FAST])[0] == 0
    return out


@pytest.mark.parametrize(
    "args",
    [
        ["--set", f"n_balls={HUGE}"],
        ["--set", f"p_hop={HUGE}"],
        ["--set", "n_balls=" + "9" * 5000],
        ["--seed", HUGE],
    ],
    ids=["int-param", "float-param", "5000-digits", "seed"],
)
def test_huge_integers_are_one_error_line(args: list[str], out_dir: Path) -> None:
    """Integers of 400 and 5000 digits exit 2 with one ``error:`` line and write nothing."""
    code, err = cli(["run", "ehrenfest", "--out", str(out_dir), "--quiet", *args])
    assert code == 2, err
    one_error_line(err)
    assert not out_dir.exists()


def _config(tmp_path: Path, kind: str) -> str:
    path = tmp_path / "cfg.toml"
    if kind == "device":
        return "/dev/zero"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "oversized":
        path.write_text("# " + "x" * (1 << 20) + "\n")
    elif kind == "nested":
        path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    elif kind == "huge-int":
        path.write_text(f"[params]\nn_balls = {HUGE}\n")
    elif kind == "huge-seed":
        path.write_text(f"seed = {HUGE}\n")
    elif kind == "5000-digit int":
        path.write_text("[params]\nn_balls = " + "9" * 5000 + "\n")
    return str(path)


CONFIGS = ["device", "fifo", "directory", "oversized", "nested", "huge-int", "huge-seed", "5000-digit int"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", CONFIGS)
def test_config_that_is_not_a_small_regular_file_is_refused(kind: str, tmp_path: Path) -> None:
    """A device, FIFO, directory, > 1 MiB or 100 000-deep config, or one with a 400-digit number, exits 2 at
    once with one ``error:`` line naming the file or key, and writes nothing."""
    out = tmp_path / "out"
    code, err = cli(["run", "ehrenfest", "--out", str(out), "--config", _config(tmp_path, kind), "--quiet"])
    assert code == 2, err
    one_error_line(err)
    assert not out.exists()


@pytest.mark.timeout(120)
def test_config_from_a_stdin_pipe_does_not_hang(tmp_path: Path) -> None:
    """``--config /dev/stdin`` with a pipe that never closes exits 2 at once (it used to wait forever)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scenarios.cli", "run", "ehrenfest", "--out", str(tmp_path / "o"), "--config",
         "/dev/stdin"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _, err = proc.communicate(timeout=90)
    finally:
        proc.kill()
        assert proc.stdin is not None
        proc.stdin.close()
    assert proc.returncode == 2 and "not a regular file" in one_error_line(err)


def test_name_too_long_is_one_line_exit_1(tmp_path: Path) -> None:
    """An --out whose name exceeds the file system's limit exits 1 with one line naming it and the cause."""
    out = tmp_path / ("x" * 300)
    code, err = cli(["run", "ehrenfest", "--out", str(out), *FAST])
    line = one_error_line(err)
    assert code == 1 and "x" * 300 in line and "ENAMETOOLONG" in line


def _refuse_writes_under(root: Path, code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every Python-level write under `root` fail with errno `code` (a read-only or immutable folder,
    simulated: the tests run as any user, and root ignores permission bits)."""
    real_open, real_os_open, real_mkdir, real_replace = builtins.open, os.open, os.mkdir, os.replace
    text = os.strerror(code)

    def under(p: Any) -> bool:
        try:
            return Path(os.fsdecode(p)).resolve().is_relative_to(root.resolve())
        except (TypeError, ValueError):
            return False

    def fake_open(file: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        if under(file) and any(c in mode for c in "wax+"):
            raise OSError(code, text, os.fsdecode(file))
        return real_open(file, mode, *a, **k)

    def fake_os_open(path: Any, flags: int, *a: Any, **k: Any) -> int:
        if under(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(code, text, os.fsdecode(path))
        return real_os_open(path, flags, *a, **k)

    def fake_mkdir(path: Any, *a: Any, **k: Any) -> None:
        if under(path):
            raise OSError(code, text, os.fsdecode(path))
        real_mkdir(path, *a, **k)

    def fake_replace(src: Any, dst: Any, *a: Any, **k: Any) -> None:
        if under(dst):
            raise OSError(code, text, os.fsdecode(dst))
        real_replace(src, dst, *a, **k)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
    monkeypatch.setattr(os, "replace", fake_replace)


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES, errno.EPERM], ids=["read-only", "denied", "immutable"])
def test_unwritable_out_is_one_line_exit_1(code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only, permission-denied or immutable parent of --out exits 1 with one line naming the path and
    the cause."""
    _refuse_writes_under(tmp_path, code, monkeypatch)
    code_, err = cli(["run", "ehrenfest", "--out", str(tmp_path / "run"), *FAST])
    line = one_error_line(err)
    assert code_ == 1 and str(tmp_path / "run") in line and errno.errorcode[code] in line


@pytest.mark.parametrize("command", ["report", "export-perfetto"])
def test_report_and_export_into_a_read_only_run_are_one_line(
    command: str, out_dir: Path, monkeypatch: pytest.MonkeyPatch, complete_run: Path
) -> None:
    """`gradient report` and `export-perfetto` on a run directory that became read-only exit 1 with one line."""
    shutil.copytree(complete_run, out_dir)
    _refuse_writes_under(out_dir, errno.EROFS, monkeypatch)
    code, err = cli([command, str(out_dir)])
    line = one_error_line(err)
    assert code == 1 and str(out_dir) in line and "EROFS" in line


TAMPER = {
    "not an object": lambda s: [1, 2],
    "params not a table": lambda s: {**s, "params": "x"},
    "unknown scenario": lambda s: {**s, "scenario": "nope"},
    "param out of bounds": lambda s: {**s, "params": {**s["params"], "n_balls": -5}},
    "results missing a key": lambda s: {**s, "results": {}},
    "seed a string": lambda s: {**s, "seed": "zero"},
    "t_end missing": lambda s: {k: v for k, v in s.items() if k != "t_end"},
}


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_tampered_summary_gives_one_line(case: str, out_dir: Path, complete_run: Path) -> None:
    """`gradient report` over a hand-edited summary.json exits 1 or 2 with one ``error:`` line."""
    shutil.copytree(complete_run, out_dir)
    path = out_dir / "summary.json"
    path.write_text(json.dumps(TAMPER[case](json.loads(path.read_text()))))
    code, err = cli(["report", str(out_dir)])
    assert code in (1, 2)
    one_error_line(err)


def test_ehrenfest_with_one_ball_reports(out_dir: Path) -> None:
    """n_balls = 1 (in bounds) runs and writes its report; the undefined entropy ratio shows as a dash."""
    code, err = cli(["run", "ehrenfest", "--out", str(out_dir), "--quiet", "--set", "n_balls=1", "--set", "steps=10"])
    assert code == 0, err
    assert "| final entropy / maximum | — | 1 |" in (out_dir / "report.md").read_text()


def test_markup_in_the_out_path_is_printed_as_is(tmp_path: Path) -> None:
    """A ``[/x]`` in --out (rich markup syntax) is printed verbatim after a complete run (it used to crash)."""
    out = tmp_path / "a[/x]" / "b[bold]"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code, err = cli(
            ["run", "ehrenfest", "--out", str(out), "--set", "steps=10", "--set", "n_balls=20"], quiet=False
        )
    assert code == 0, err
    assert f"outputs in {out}/" in stdout.getvalue()


class _DiskFull:
    """Let the first `after` Parquet writes succeed, then fail every write with ENOSPC."""

    def __init__(self, after: int) -> None:
        self.after, self.calls = after, 0
        self.real_write_table = pq.write_table

    def write_table(self, table: Any, where: Any, **kw: Any) -> None:
        self.calls += 1
        if self.calls > self.after:
            Path(where).write_bytes(b"PAR1 torn")  # a partial file, as a full disk leaves
            raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")
        self.real_write_table(table, where, **kw)


@pytest.mark.parametrize("where", ["flush", "merge"])
def test_disk_full_is_one_line_and_keeps_the_prefix(where: str, out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk mid-run (a part write) or at the merge exits 1 with one line naming the file and ENOSPC,
    leaves no ``.merging`` file and no torn part, and keeps a readable trace prefix with its metric rows."""
    if where == "flush":
        monkeypatch.setattr(pq, "write_table", _DiskFull(after=4).write_table)
    else:  # the merge writes its first row group, then the disk is full: a half-merged file on disk

        class FullWriter(pq.ParquetWriter):
            def write_table(self, table: Any, *a: Any, **k: Any) -> None:
                if getattr(self, "wrote", False):
                    raise OSError(errno.ENOSPC, "No space left on device")
                super().write_table(table, *a, **k)
                self.wrote = True

        monkeypatch.setattr(pq, "ParquetWriter", FullWriter)  # the sink's merge; pq.write_table keeps its own
    code, err = cli(["run", "ehrenfest", "--out", str(out_dir), "--flush-every", "50", *FAST, "--set", "steps=200"])
    line = one_error_line(err)
    assert code == 1 and "ENOSPC" in line and str(out_dir) in line
    assert not list(out_dir.rglob("*.merging")) and not (out_dir / "summary.json").exists()
    trace, metrics = read_trace(out_dir), read_metrics(out_dir)
    assert len(trace) >= 50 and trace["seq"].tolist() == list(range(len(trace)))
    assert len(metrics) > 0 and metrics["t"].max() <= trace["t"].max() + 5
