"""`gradient view`: bad input exits 2 with one line, a taken port exits 1, other commands stay light."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["view", "heart"], "page(='heart') must be one of: membrane, attention, coupled"),
        (["view", "--port", "70000"], "port(=70000)"),
    ],
)
def test_bad_page_or_port_exits_2(args, needle, capsys) -> None:
    """An unknown page or an impossible port is bad input: exit 2, one `error:` line naming the value."""
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and needle in err[0]


def test_taken_port_exits_1(capsys) -> None:
    """A port another process listens on is an environment fault: exit 1, one line, no server started."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["view", "--port", str(port)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"cannot listen on 127.0.0.1:{port}" in err[0]


def test_other_commands_do_not_import_the_view() -> None:
    """Listing the scenarios imports neither solara nor the view package (the view is imported lazily)."""
    code = (
        "import sys; from scenarios.cli import main; main(['list']); "
        "print(sorted(m for m in sys.modules if m.startswith(('solara', 'scenarios.view', 'mesa.visualization'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
