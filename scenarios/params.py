"""Scenario parameters: resolving defaults, config files and ``--set`` overrides against declarations.

Key names: `Param`, `ParameterError` (both from `world.params`), `resolve_params`, `parse_set`, `load_config`,
`read_config_text`, `require` and `check_source` (for scenarios' check hooks), and `SHARED`: parameters several
scenarios declare alike (`MEMBRANE_PATCH`, `MEMBRANE_WORLD_PARAMS`), which the catalog reads by name.

Values arrive as strings from ``--set key=value`` or as typed values from a TOML config file; both are
checked against the same declaration, so a bound lives in exactly one place (the scenario's `Param`s).
Every failure is a `ParameterError` whose message is one line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from world.params import Param, ParameterError

__all__ = [
    "MEMBRANE_PATCH",
    "MEMBRANE_WORLD_PARAMS",
    "SHARED",
    "Param",
    "ParameterError",
    "check_source",
    "load_config",
    "parse_set",
    "require",
    "resolve_params",
]

MEMBRANE_PATCH = Param(
    1,
    int,
    bounds=(1, 64),
    help="size in default patches: counts, volumes, rates ×patch (rates given per default patch)",
)
"""`patch` of the membrane scenarios: the world is `world.membrane.params.scaled` by it."""
MEMBRANE_WORLD_PARAMS = Param(
    (),
    str,
    many=True,
    help="more world parameters, key=value each (MembraneParams fields this scenario does not set)",
)
"""`world_params` of the membrane scenarios: read by `world.membrane.params.world_overrides`."""
SHARED: dict[str, Param] = {"MEMBRANE_PATCH": MEMBRANE_PATCH, "MEMBRANE_WORLD_PARAMS": MEMBRANE_WORLD_PARAMS}
"""Parameters declared once for several scenarios, by the name a declaration uses; `scenarios.catalog` reads
these names as if the `Param` were written out."""


def resolve_params(
    scenario_name: str,
    declared: Mapping[str, Param],
    config: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Defaults, then the config file's values, then ``--set`` overrides; every key checked.

    Raises:
        ParameterError: unknown key, wrong type, out of bounds, not a choice.
    """
    values = {k: p.default for k, p in declared.items()}
    for source in (config or {}, overrides or {}):
        for key, raw in source.items():
            if key not in declared:
                allowed = ", ".join(declared) or "(none)"
                raise ParameterError(f"unknown parameter {key!r} for scenario {scenario_name!r}; allowed: {allowed}")
            values[key] = declared[key].parse(key, raw)
    return values


def parse_set(items: list[str]) -> dict[str, str]:
    """Turn ``["k=v", ...]`` from ``--set`` into a dict; a missing ``=`` is a `ParameterError`."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--set {item!r} must have the form key=value")
        out[key.strip()] = value
    return out


CONFIG_KEYS = ("scenario", "seed", "params")
MAX_CONFIG_BYTES = 1 << 20
"""A run config is a few lines; anything larger than 1 MiB is refused unread."""


def read_config_text(path: Path) -> str:
    """The text of a config file, read only if it is a regular file of at most `MAX_CONFIG_BYTES`.

    The file is opened without blocking and checked with `fstat` before reading, so a FIFO, a terminal, a
    pipe on stdin or a device such as ``/dev/zero`` is refused at once instead of hanging or filling memory.

    Raises:
        ParameterError: the file is missing, unreadable, not a regular file, too large, or not UTF-8.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ParameterError(f"config file {path} cannot be read: {exc.strerror or exc.__class__.__name__}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ParameterError(f"config file {path} is not a regular file; give the path of a .toml file")
    with os.fdopen(fd, "rb") as fh:
        if info.st_size > MAX_CONFIG_BYTES:
            raise ParameterError(
                f"config file {path} is {info.st_size} bytes; a run config may be at most {MAX_CONFIG_BYTES} bytes"
            )
        try:
            data = fh.read(MAX_CONFIG_BYTES + 1)
        except OSError as exc:
            raise ParameterError(f"config file {path} cannot be read: {exc.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ParameterError(f"config file {path} grew past {MAX_CONFIG_BYTES} bytes while it was read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ParameterError(f"config file {path} is not UTF-8 text") from None


def load_config(path: Path) -> dict[str, Any]:
    """Read a TOML run config: optional ``scenario = "name"``, ``seed = N`` and a ``[params]`` table.

    Raises:
        ParameterError: unreadable file, invalid TOML, or keys/types other than those above.
    """
    text = read_config_text(Path(path))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"config file {path} is not valid TOML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise ParameterError(f"config file {path} is nested too deeply to be a run config") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ParameterError(f"config file {path} is not acceptable: {str(exc).splitlines()[0]}") from None
    unknown = [k for k in data if k not in CONFIG_KEYS]
    if unknown:
        raise ParameterError(
            f"config file {path}: unknown key {unknown[0]!r}; allowed top-level keys: {', '.join(CONFIG_KEYS)}"
        )
    if "params" in data and not isinstance(data["params"], dict):
        raise ParameterError(f"config file {path}: 'params' must be a table ([params])")
    if "scenario" in data and not isinstance(data["scenario"], str):
        raise ParameterError(f"config file {path}: scenario={data['scenario']!r} must be a string")
    if "seed" in data and (
        not isinstance(data["seed"], int) or isinstance(data["seed"], bool) or not 0 <= data["seed"] < 2**63
    ):
        raise ParameterError(f"config file {path}: seed={data['seed']!r} must be a non-negative integer")
    return data


def require(ok: bool, message: str) -> None:
    """Raise `ParameterError` with `message` unless `ok`: the building block of a scenario's ``check`` hook."""
    if not ok:
        raise ParameterError(message)


def check_source(V: int, order: int, n_ctx: int | None = None) -> None:
    """Constraints of a scenario that draws a Markov source (`world.attention.markov`): ``V**order`` contexts
    at most ``MAX_CONTEXTS``, and a context window that holds at least ``order`` tokens.

    Raises:
        ParameterError: naming V, order and n_ctx.
    """
    from world.attention.markov import MAX_CONTEXTS

    require(V**order <= MAX_CONTEXTS, f"V(={V}) and order(={order}): V**order must be ≤ {MAX_CONTEXTS}")
    if n_ctx is not None:
        require(n_ctx >= order, f"n_ctx(={n_ctx}) must be ≥ order(={order}) (a window holds one whole context)")
