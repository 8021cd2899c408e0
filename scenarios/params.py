"""Scenario parameters: resolving defaults, config files and ``--set`` overrides against declarations.

Key names: `Param`, `ParameterError` (both from `world.params`), `resolve_params`, `parse_set`, `load_config`.

Values arrive as strings from ``--set key=value`` or as typed values from a TOML config file; both are
checked against the same declaration, so a bound lives in exactly one place (the scenario's `Param`s).
Every failure is a `ParameterError` whose message is one line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from world.params import Param, ParameterError

__all__ = ["Param", "ParameterError", "load_config", "parse_set", "resolve_params"]


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


def load_config(path: Path) -> dict[str, Any]:
    """Read a TOML run config: optional ``scenario = "name"``, ``seed = N`` and a ``[params]`` table.

    Raises:
        ParameterError: unreadable file, invalid TOML, or keys/types other than those above.
    """
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"config file {path} cannot be read: {exc.__class__.__name__}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"config file {path} is not valid TOML: {str(exc).splitlines()[0]}") from None
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
