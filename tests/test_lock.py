"""The lock file pins a set of versions that satisfies setup.cfg, and the environment under test is that set."""

from __future__ import annotations

import configparser
import importlib.metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCKED_EXTRAS = ("dev", "distributed", "viz")


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.lock line {line!r} is not an exact pin"
            pins[canonicalize_name(name)] = version.split(";")[0].strip()
    return pins


def _declared() -> list[Requirement]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    lines = cfg["options"]["install_requires"].splitlines()
    lines += [ln for extra in LOCKED_EXTRAS for ln in cfg["options.extras_require"][extra].splitlines()]
    return [Requirement(ln) for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def test_lock_satisfies_every_requirement_of_setup_cfg() -> None:
    """Each declared requirement (core and the dev, distributed and viz extras) has a pin inside its range."""
    pins = _lock()
    for req in _declared():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is declared in setup.cfg but not pinned in requirements.lock: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside setup.cfg's {req}: run `make lock`"
        )


def test_environment_is_the_locked_one() -> None:
    """Every locked package is installed at exactly its locked version (the Makefile installs from the lock)."""
    wrong = {}
    for name, version in _lock().items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            wrong[name] = f"{installed} (locked {version})"
    assert not wrong, f"the environment differs from requirements.lock: {wrong}; `make test` reinstalls it"
