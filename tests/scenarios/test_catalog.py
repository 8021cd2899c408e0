"""`gradient list` / `show` read scenario declarations from source: the catalog equals the registry for every
project scenario, falls back to importing when a declaration is not literal, and keeps start-up light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.catalog import catalog, read_declarations
from scenarios.registry import all_scenarios

HEAVY = ("matplotlib", "scipy", "mesa")


@pytest.mark.parametrize("name", sorted(all_scenarios()))
def test_catalog_matches_the_registry(name: str) -> None:
    """Name, description, parameters (defaults, types, bounds, help) and smoke overrides read from the source
    are exactly those the decorator registers."""
    sc, info = all_scenarios()[name], catalog(plugins=False)[name]
    assert (info.name, info.description, info.module) == (sc.name, sc.description, sc.module)
    assert dict(info.params) == dict(sc.params)
    assert dict(info.smoke) == dict(sc.smoke)


def test_non_literal_declaration_is_not_guessed(tmp_path: Path) -> None:
    """A parameter default computed from a name the catalog cannot see makes it give up (None), not guess."""
    src = tmp_path / "m.py"
    src.write_text(
        "from scenarios.registry import scenario\nfrom scenarios.params import Param\nN = 3\n"
        "@scenario(name='x', description='d', params={'n': Param(N, int)})\ndef f(run, *, n):\n    return {}\n"
    )
    assert read_declarations(src, "m") is None
    src.write_text("def f():\n    return 1\n")
    assert read_declarations(src, "m") == []


def test_shared_parameters_are_read_by_name(tmp_path: Path) -> None:
    """A declaration naming a parameter of `scenarios.params.SHARED` is still read from source, as that Param;
    any other name still makes the catalog give up."""
    from scenarios.params import MEMBRANE_PATCH

    src = tmp_path / "m.py"
    src.write_text(
        "from scenarios.registry import scenario\nfrom scenarios.params import MEMBRANE_PATCH, Param\n"
        "@scenario(name='x', description='d', params={'patch': MEMBRANE_PATCH, 'n': Param(3, int)})\n"
        "def f(run, *, patch, n):\n    return {}\n"
    )
    (info,) = read_declarations(src, "m") or [None]
    assert info is not None and info.params["patch"] is MEMBRANE_PATCH and info.params["n"].default == 3
    src.write_text(src.read_text().replace("'patch': MEMBRANE_PATCH", "'patch': OTHER"))
    assert read_declarations(src, "m") is None


@pytest.mark.parametrize("argv", [["list"], ["show", "c_ring"], ["--help"], ["run", "--help"]])
def test_light_commands_import_no_world_libraries(argv: list[str]) -> None:
    """`gradient list`, `show`, `--help` and `run --help` import neither matplotlib, SciPy nor Mesa
    (measured in a fresh interpreter; importing them costs seconds of CPU)."""
    code = (
        "import sys, json\nfrom scenarios.cli import main\n"
        f"code = main({argv!r})\n"
        "print(json.dumps([code, sorted(m.split('.')[0] for m in sys.modules)]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rc, modules = json.loads(proc.stdout.strip().splitlines()[-1])
    assert rc == 0
    assert not set(HEAVY) & set(modules), f"{argv} imported {sorted(set(HEAVY) & set(modules))}"
