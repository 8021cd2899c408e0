"""What ``gradient list`` and ``gradient show`` print, read from the scenario modules' source without importing them.

Key names: `ScenarioInfo`, `catalog`, `read_declarations`.

Importing a scenario module imports its world (Mesa, pandas, SciPy, matplotlib: seconds of CPU), but its
name, description, parameters and smoke overrides are literal arguments of its ``@scenario(...)`` decorator.
`read_declarations` parses the module with `ast` and evaluates only those arguments, allowing nothing but
literals, ``Param(...)``, the type names ``int``, ``float``, ``bool``, ``str`` and the shared parameters of
`scenarios.params.SHARED` (by name; that module is light). A declaration that uses
anything else (a constant defined elsewhere, a computed default) makes the catalog import that module and
read the registered scenario instead, so the catalog is never wrong, only sometimes slower.
`tests/scenarios/test_catalog.py` checks it against the registry for every project scenario.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.params import SHARED, Param
from scenarios.registry import _REGISTRY, entry_point_modules, project_modules

_NAMES: dict[str, Any] = {"int": int, "float": float, "bool": bool, "str": str, "True": True, "False": False}
_FIELDS = ("name", "description", "params", "smoke")


@dataclass(frozen=True)
class ScenarioInfo:
    """The declaration of a scenario: what ``gradient list`` / ``show`` need, and its module."""

    name: str
    description: str
    params: Mapping[str, Param]
    smoke: Mapping[str, Any]
    module: str


class _NotLiteralError(ValueError):
    """A decorator argument that is not a literal the catalog may evaluate."""


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.Name) and node.id in SHARED:
        return SHARED[node.id]
    if isinstance(node, ast.Tuple):
        return tuple(_eval(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [_eval(e) for e in node.elts]
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_eval(k): _eval(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _eval(node.operand)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Param":
        return Param(*(_eval(a) for a in node.args), **{k.arg: _eval(k.value) for k in node.keywords if k.arg})
    raise _NotLiteralError(ast.dump(node)[:80])


def _is_scenario_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    return (isinstance(f, ast.Name) and f.id == "scenario") or (isinstance(f, ast.Attribute) and f.attr == "scenario")


def read_declarations(path: Path, module: str) -> list[ScenarioInfo] | None:
    """The scenarios declared in the source file `path` of `module`; None if one cannot be read literally.

    A file with no ``@scenario(...)`` decorator declares none (an empty list).
    """
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for deco in node.decorator_list:
            if not _is_scenario_call(deco):
                continue
            assert isinstance(deco, ast.Call)
            kwargs = {k.arg: k.value for k in deco.keywords if k.arg in _FIELDS}
            try:
                values = {k: _eval(v) for k, v in kwargs.items()}
            except (_NotLiteralError, TypeError, ValueError):
                return None
            if not {"name", "description", "params"} <= values.keys():
                return None
            out.append(
                ScenarioInfo(values["name"], values["description"], values["params"], values.get("smoke") or {}, module)
            )
    return out


def _from_registry(module: str) -> list[ScenarioInfo]:
    importlib.import_module(module)
    return [
        ScenarioInfo(sc.name, sc.description, sc.params, sc.smoke, sc.module)
        for sc in _REGISTRY.values()
        if sc.module == module
    ]


def _module_infos(module: str) -> list[ScenarioInfo]:
    spec = importlib.util.find_spec(module)
    origin = getattr(spec, "origin", None)
    infos = read_declarations(Path(origin), module) if origin and origin.endswith(".py") else None
    return infos if infos is not None else _from_registry(module)


def catalog(plugins: bool = True) -> dict[str, ScenarioInfo]:
    """Every scenario's declaration by name (sorted): the project's, then (if `plugins`) those of installed
    entry points, and those already loaded from files in this process."""
    modules = project_modules() + (entry_point_modules() if plugins else [])
    out: dict[str, ScenarioInfo] = {}
    for module in modules:
        for info in _module_infos(module):
            out[info.name] = info
    if plugins:
        for sc in _REGISTRY.values():
            out.setdefault(sc.name, ScenarioInfo(sc.name, sc.description, sc.params, sc.smoke, sc.module))
    return dict(sorted(out.items()))
