"""Typed parameters with defaults and bounds, and the check of a user value against them.

Key names: `Param`, `ParameterError`, `MAX_LIST`.

A world declares its parameters once (type, default, bounds, meaning); its constructor and every scenario
that exposes them use the same declaration, so a bound lives in exactly one place. Values arrive as strings
(``--set key=value``) or typed (TOML, Python); every failure is a `ParameterError` (a `ValueError`) whose
message is one line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
MAX_LIST = 64
MAX_DIGITS = 400


class ParameterError(ValueError):
    """A parameter, scenario name or config file the user gave is not acceptable (CLI exit code 2)."""


@dataclass(frozen=True)
class Param:
    """One scenario parameter.

    Args:
        default: value used when the user gives none (a tuple when ``many``).
        type: ``int``, ``float``, ``bool`` or ``str``.
        bounds: inclusive ``(low, high)`` for numbers; either side may be None.
        choices: allowed values for strings.
        many: the value is a list of ``type`` (comma-separated on the command line, an array in TOML); it may be
            empty only when the default is (a list of optional extras).
        help: one line for ``gradient show``.
    """

    default: Any
    type: type
    bounds: tuple[float | None, float | None] | None = None
    choices: tuple[Any, ...] | None = None
    many: bool = False
    help: str = ""

    def __post_init__(self) -> None:
        if self.type not in (int, float, bool, str):
            raise TypeError(f"Param type {self.type!r} must be int, float, bool or str")

    @property
    def _min_items(self) -> int:
        """Fewest items of a ``many`` value: 0 when the default is the empty list (nothing extra), else 1."""
        return 0 if self.default == () else 1

    def allowed(self) -> str:
        """What this parameter accepts, in words."""
        kind = {int: "an integer", float: "a finite number", bool: "true or false", str: "a string"}[self.type]
        if self.choices is not None:
            kind = "one of " + ", ".join(map(str, self.choices))
        elif self.bounds is not None:
            lo, hi = self.bounds
            if lo is not None and hi is not None:
                kind += f" between {lo} and {hi}"
            elif lo is not None:
                kind += f" >= {lo}"
            elif hi is not None:
                kind += f" <= {hi}"
        if self.many:
            kind = f"a list ({self._min_items} to {MAX_LIST} items) of {kind}"
        return kind

    def parse(self, key: str, raw: Any) -> Any:
        """Convert and check a user value (a string from the CLI or a TOML value); raise `ParameterError`."""
        if self.many:
            items = raw.split(",") if isinstance(raw, str) else raw
            if not isinstance(items, list | tuple) or not self._min_items <= len(items) <= MAX_LIST:
                raise self._error(key, raw)
            return tuple(self._one(key, v, raw) for v in items)
        return self._one(key, raw, raw)

    def _error(self, key: str, raw: Any) -> ParameterError:
        return ParameterError(f"parameter {key}={_show(raw)} is not allowed: must be {self.allowed()}")

    def _one(self, key: str, v: Any, raw: Any) -> Any:
        if isinstance(v, str):
            v = v.strip()
        try:
            value = self._convert(v)
        except (TypeError, ValueError, OverflowError):
            raise self._error(key, raw) from None
        if self.type in (int, float):
            if self.type is float and not math.isfinite(value):
                raise self._error(key, raw)
            lo, hi = self.bounds or (None, None)  # an int compares exactly with a float bound, however large
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise self._error(key, raw)
        if self.choices is not None and value not in self.choices:
            raise self._error(key, raw)
        return value

    def _convert(self, v: Any) -> Any:
        if self.type is bool:
            if isinstance(v, bool):
                return v
            if isinstance(v, str) and v.lower() in _TRUE | _FALSE:
                return v.lower() in _TRUE
            raise ValueError(v)
        if isinstance(v, bool):
            raise TypeError(v)
        if self.type is int:
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(v)
            if isinstance(v, float) and not v.is_integer():
                raise ValueError(v)
            if isinstance(v, str):
                if len(v.replace("_", "")) > MAX_DIGITS:  # int() of a longer string is slow or refused
                    raise ValueError(v)
                return _int_from_text(v)
            if isinstance(v, int | float):
                return int(v)
            raise TypeError(v)
        if self.type is float:
            if isinstance(v, str | int | float):
                return float(v)
            raise TypeError(v)
        if not isinstance(v, str):
            raise TypeError(v)
        return v


def _int_from_text(text: str) -> int:
    """An integer written as ``1000``, ``1_000``, ``1e3`` or ``1.5e3``; ValueError unless the value is integral."""
    try:
        return int(text)
    except ValueError:
        value = float(text.replace("_", ""))
        if not value.is_integer():
            raise ValueError(text) from None
        return int(value)


def _show(raw: Any) -> str:
    """The value as the user wrote it, or its repr when it is not a printable one-line string."""
    text = raw if isinstance(raw, str) and raw.isprintable() else repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."
