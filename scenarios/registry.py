"""The scenario registry: name → scenario (description, parameters with defaults and bounds, run function).

Key names: `Scenario`, `scenario` (decorator), `get`, `all_scenarios`, `available`, `load_source`,
`ENTRY_POINT_GROUP`, `INFRASTRUCTURE`.

Where scenarios come from:

- **The project**: every module of the `scenarios` package that is not infrastructure (`INFRASTRUCTURE`) and
  does not start with ``_`` is a scenario module; it registers itself with the `scenario` decorator when
  imported. `all_scenarios()` imports them all (sorted by name); the registry-wide tests (golden summaries,
  determinism, replay, bad input, reports) run over exactly these.
- **Your own file or module**: ``gradient run path/to/my_scenario.py`` or ``gradient run mypkg.my_scenario``
  imports it (`load_source`); the `scenario` decorator in it registers the scenario. A file or module that
  registers several scenarios is selected with ``path.py:NAME``.
- **Installed packages**: a distribution declares modules in the entry-point group `ENTRY_POINT_GROUP`
  (``gradient_engines.scenarios``), e.g. in its ``setup.cfg``::

      [options.entry_points]
      gradient_engines.scenarios =
          my_scenarios = mypkg.scenarios

  `available()` (what ``gradient list`` shows) and `get` load them besides the project's.

``gradient list`` and ``gradient show`` read name, description and parameters without importing the worlds
(`scenarios.catalog`); `get` imports the one module it needs.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.metadata
import importlib.util
import pkgutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.params import Param, ParameterError

INFRASTRUCTURE = frozenset(
    {
        "cli",
        "registry",
        "runner",
        "params",
        "guard",
        "catalog",
        "view",
        "__main__",
        "sweep",
        "sweep_engine",
        "sweep_table",
    }
)
ENTRY_POINT_GROUP = "gradient_engines.scenarios"
PROJECT_PACKAGE = "scenarios"
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
        module: the module that registered it.
        smoke: ``--set``-style overrides that make a short run (a few seconds), used by the tests that run
            every registered scenario (replay, determinism, golden summaries).
        check: optional ``check(params) -> None`` raising ``ValueError`` for parameter combinations no single
            bound can catch (e.g. a memory estimate); run before anything is written.
        fitted: result paths (dotted, list indices as ``*``, fnmatch patterns, e.g. ``"fits.*.shape_distance"``)
            of numbers computed from curve fits, which the golden tests compare within a tolerance derived from
            the fits' own uncertainty instead of exactly (fit records from `analysis.relaxation.Fit.record` are
            recognised without being declared).
        tables: optional ``tables(results) -> {title: [row dict, ...]}``: the scenario's main numbers as
            tables, derived from its results; ``gradient run`` prints them after the scalar results (as it
            prints ``results["tables"]``), and reports can show the same rows. Derived at print time, so
            ``summary.json`` does not store them twice.
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
    tables: Callable[[Mapping[str, Any]], dict[str, list[dict[str, Any]]]] | None = None

    @property
    def in_project(self) -> bool:
        """Whether the scenario is one of the project's own (a module of the `scenarios` package)."""
        return self.module.startswith(PROJECT_PACKAGE + ".")


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
    tables: Callable[[Mapping[str, Any]], dict[str, list[dict[str, Any]]]] | None = None,
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Register the decorated function as scenario `name` (see `Scenario` for the arguments)."""
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
            tables,
        )
        return func

    return register


def project_modules() -> list[str]:
    """Names of the project's scenario modules (``scenarios.NAME``), sorted, without importing them."""
    import scenarios

    return sorted(
        f"{PROJECT_PACKAGE}.{info.name}"
        for info in pkgutil.iter_modules(scenarios.__path__)
        if info.name not in INFRASTRUCTURE and not info.name.startswith("_")
    )


def _discover() -> None:
    for module in project_modules():
        importlib.import_module(module)


def entry_point_modules() -> list[str]:
    """Modules that installed distributions declare in the `ENTRY_POINT_GROUP` entry-point group."""
    return sorted({ep.module for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)})


def _load_entry_points() -> None:
    for module in entry_point_modules():
        try:
            importlib.import_module(module)
        except Exception as exc:  # a broken third-party package must not take the project's scenarios down
            raise ParameterError(
                f"entry point module {module!r} (group {ENTRY_POINT_GROUP}) cannot be imported: "
                f"{exc.__class__.__name__}: {exc}"
            ) from None


def all_scenarios() -> dict[str, Scenario]:
    """Every scenario of the project (the `scenarios` package), by name (sorted)."""
    _discover()
    return {k: v for k, v in sorted(_REGISTRY.items()) if v.in_project}


def available() -> dict[str, Scenario]:
    """The project's scenarios, those of installed entry points and those loaded from files, by name."""
    _discover()
    _load_entry_points()
    return dict(sorted(_REGISTRY.items()))


def _module_name_for(path: Path) -> str:
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:10]
    return f"_gradient_user_scenario_{path.stem}_{digest}"


def load_source(source: str) -> list[str]:
    """Import a scenario file (``path/to/file.py``) or module (``pkg.module``); return the names it registered.

    Raises:
        ParameterError: no such file or module, it fails to import, or it registers no scenario.
    """
    before = {name: sc.module for name, sc in _REGISTRY.items()}
    path = Path(source)
    if source.endswith(".py"):
        if not path.is_file():
            raise ParameterError(f"scenario file {source} does not exist")
        module_name = _module_name_for(path.resolve())
        if module_name not in sys.modules:
            spec = importlib.util.spec_from_file_location(module_name, path.resolve())
            if spec is None or spec.loader is None:
                raise ParameterError(f"scenario file {source} cannot be loaded as a Python module")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            try:
                spec.loader.exec_module(module)
            except Exception:
                del sys.modules[module_name]
                raise
    else:
        module_name = source
        try:
            found = importlib.util.find_spec(source)
        except (ImportError, ValueError):
            found = None
        if found is None:
            raise ParameterError(f"no scenario and no importable module called {source!r}")
        importlib.import_module(source)
    names = sorted(n for n, sc in _REGISTRY.items() if sc.module == module_name)
    if not names:
        new = sorted(set(_REGISTRY) - set(before))
        names = new
    if not names:
        raise ParameterError(f"{source} registers no scenario (decorate a function with scenarios.registry.scenario)")
    return names


def _only(source: str, names: list[str]) -> Scenario:
    if len(names) > 1:
        raise ParameterError(f"{source} registers several scenarios ({', '.join(names)}); choose one: {source}:NAME")
    return _REGISTRY[names[0]]


def _looks_like_source(name: str) -> bool:
    return name.endswith(".py") or "/" in name or "\\" in name or ("." in name and name.isascii())


def get(name: str) -> Scenario:
    """The scenario called `name`, or the one defined by a file or module (``path.py``, ``pkg.mod``, ``...:NAME``).

    Raises:
        ParameterError: no such scenario (the message suggests close names and lists the available ones).
    """
    if name in _REGISTRY:
        return _REGISTRY[name]
    source, _, chosen = name.rpartition(":") if ":" in name and not Path(name).exists() else (name, "", "")
    if _looks_like_source(source):
        names = load_source(source)
        if chosen:
            if chosen not in names:
                raise ParameterError(f"{source} registers no scenario {chosen!r}; it registers: {', '.join(names)}")
            return _REGISTRY[chosen]
        if len(names) > 1:
            raise ParameterError(
                f"{source} registers several scenarios ({', '.join(names)}); choose one: {source}:NAME"
            )
        return _REGISTRY[names[0]]
    from scenarios.catalog import catalog

    known = catalog()
    if name in known:
        importlib.import_module(known[name].module)
        if name in _REGISTRY:
            return _REGISTRY[name]
    if name.isidentifier() and importlib.util.find_spec(name) is not None:  # a top-level module of the user's
        return _only(name, load_source(name))
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    raise ParameterError(f"unknown scenario {name!r}; {hint}available: {', '.join(known)}")
