"""The scenario registry: name → scenario (description, parameters with defaults and bounds, run function).

Key names: `Scenario`, `scenario` (decorator), `get`, `all_scenarios`, `INFRASTRUCTURE`.

Every module of the `scenarios` package that is not infrastructure (`INFRASTRUCTURE`) and does not start
with ``_`` is a scenario module; it registers itself with the `scenario` decorator when imported.
`all_scenarios()` imports them all (sorted by name, so the order is stable).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scenarios.params import Param, ParameterError

INFRASTRUCTURE = frozenset({"cli", "registry", "runner", "params", "guard", "view", "__main__"})
_REGISTRY: dict[str, Scenario] = {}


@dataclass(frozen=True)
class Scenario:
    """A registered scenario.

    Attributes:
        name: registry key and CLI name.
        description: one line for ``gradient list``.
        params: declared parameters (the one place their bounds live).
        func: ``func(run, **params) -> dict`` of derived numbers for ``summary.json``.
        duration: ``duration(params) -> float`` total simulated time, for the progress bar.
        report: optional ``report(out_dir, summary) -> None`` writing ``report.md`` and ``figures/``.
        smoke: ``--set``-style overrides that make a short run (a few seconds), used by the tests that run
            every registered scenario (replay, determinism, golden summaries).
        check: optional ``check(params) -> None`` raising ``ValueError`` for parameter combinations no single
            bound can catch (e.g. a memory estimate); run before anything is written.
        fitted: result paths (dotted, list indices as ``*``, fnmatch patterns, e.g. ``"fits.*.shape_distance"``)
            of numbers computed from curve fits, which the golden tests compare within a tolerance derived from
            the fits' own uncertainty instead of exactly (fit records from `analysis.relaxation.Fit.record` are
            recognised without being declared).
    """

    name: str
    description: str
    params: Mapping[str, Param]
    func: Callable[..., dict[str, Any]]
    duration: Callable[[Mapping[str, Any]], float] | None = None
    report: Callable[..., None] | None = None
    module: str = field(default="")
    smoke: Mapping[str, Any] = field(default_factory=dict)
    check: Callable[[Mapping[str, Any]], None] | None = None
    fitted: tuple[str, ...] = ()


def scenario(
    *,
    name: str,
    description: str,
    params: Mapping[str, Param],
    duration: Callable[[Mapping[str, Any]], float] | None = None,
    report: Callable[..., None] | None = None,
    smoke: Mapping[str, Any] | None = None,
    check: Callable[[Mapping[str, Any]], None] | None = None,
    fitted: tuple[str, ...] = (),
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Register the decorated function as scenario `name`."""
    if "\n" in description:
        raise ValueError(f"description of scenario {name!r} must be one line")

    def register(func: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        if func.__module__ == "__main__":
            return func  # `python -m scenarios.NAME`: discovery imports the module again under its real name
        existing = _REGISTRY.get(name)
        if existing is not None and existing.module != func.__module__:
            raise ValueError(f"scenario {name!r} is registered twice ({existing.module}, {func.__module__})")
        unknown = set(smoke or {}) - set(params)
        if unknown:
            raise ValueError(f"smoke overrides of scenario {name!r} name unknown parameters {sorted(unknown)}")
        _REGISTRY[name] = Scenario(
            name,
            description,
            dict(params),
            func,
            duration,
            report,
            func.__module__,
            dict(smoke or {}),
            check,
            tuple(fitted),
        )
        return func

    return register


def _discover() -> None:
    import scenarios

    for info in pkgutil.iter_modules(scenarios.__path__):
        if info.name in INFRASTRUCTURE or info.name.startswith("_"):
            continue
        importlib.import_module(f"scenarios.{info.name}")


def all_scenarios() -> dict[str, Scenario]:
    """Every registered scenario, by name (sorted)."""
    _discover()
    return dict(sorted(_REGISTRY.items()))


def get(name: str) -> Scenario:
    """The scenario called `name`.

    Raises:
        ParameterError: no such scenario (the message lists the available ones).
    """
    known = all_scenarios()
    if name not in known:
        raise ParameterError(f"unknown scenario {name!r}; available: {', '.join(known)}")
    return known[name]
