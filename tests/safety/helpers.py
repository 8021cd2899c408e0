"""Helpers of the safety tests: the CLI in-process with its stderr captured, and snapshots of a directory."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from unittest import mock

from scenarios.cli import main

FAST = ["--set", "steps=20", "--set", "n_balls=200", "--quiet"]


def cli(args: list[str], quiet: bool = True) -> tuple[int, str]:
    """`scenarios.cli.main` in-process (package guard skipped, tested elsewhere); returns (code, stderr).
    Stdout is discarded unless `quiet` is False."""
    err = io.StringIO()
    with (
        mock.patch("scenarios.cli.check_packages", lambda: None),
        contextlib.redirect_stderr(err),
        contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext(),
    ):
        code = main(args)
    return code, err.getvalue()


def one_error_line(stderr: str) -> str:
    """The single ``error:`` line of `stderr` (asserting there is exactly one and no traceback)."""
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), f"not one error line: {stderr!r}"
    assert "Traceback" not in stderr
    return lines[0]


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under `root` (not following links): file bytes, link targets, directories."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "link->" + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = p.read_bytes()
    return out
