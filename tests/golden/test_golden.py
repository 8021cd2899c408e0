"""Golden summaries: every registered scenario at seed 0 and its smoke overrides gives the results stored in
``tests/golden/<scenario>.json`` (floats to a relative 1e-9, everything else exactly).

A scenario without a golden file fails with the command that creates it; regenerate with
``.venv/bin/python tests/golden/regenerate.py [SCENARIO ...]`` only for an intended change.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest

from scenarios.registry import all_scenarios

GOLDEN_DIR = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("golden_regenerate", GOLDEN_DIR / "regenerate.py")
assert _spec is not None and _spec.loader is not None
regenerate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)
RTOL = 1e-9


def differences(expected: Any, actual: Any, path: str = "results") -> list[str]:
    """Every place where `actual` differs from `expected`: floats beyond a relative `RTOL`, anything else at all."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{path}.{k}: missing" for k in expected if k not in actual]
        out += [f"{path}.{k}: unexpected" for k in actual if k not in expected]
        for k in expected.keys() & actual.keys():
            out += differences(expected[k], actual[k], f"{path}.{k}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(actual)} items, expected {len(expected)}"]
        return [
            d for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for d in differences(e, a, f"{path}[{i}]")
        ]
    if isinstance(expected, float) and isinstance(actual, int | float) and not isinstance(actual, bool):
        return (
            [] if math.isclose(expected, actual, rel_tol=RTOL, abs_tol=0.0) else [f"{path}: {actual!r} != {expected!r}"]
        )
    if type(expected) is not type(actual) or expected != actual:
        return [f"{path}: {actual!r} != {expected!r}"]
    return []


@pytest.mark.parametrize("name", sorted(all_scenarios()))
def test_results_match_golden_summary(name: str) -> None:
    """A fresh seed-0 smoke run of the scenario reproduces its golden results."""
    path = GOLDEN_DIR / f"{name}.json"
    if not path.exists():
        pytest.fail(
            f"scenario {name!r} has no golden summary {path.relative_to(GOLDEN_DIR.parents[1])}; create it with "
            f"`.venv/bin/python tests/golden/regenerate.py {name}` and commit it"
        )
    golden = json.loads(path.read_text(encoding="utf-8"))
    fresh = regenerate.golden_record(name)
    assert fresh["overrides"] == golden["overrides"], (
        f"the smoke overrides of {name!r} changed; regenerate: `.venv/bin/python tests/golden/regenerate.py {name}`"
    )
    diff = differences(golden["results"], fresh["results"])
    assert not diff, f"{name}: results differ from {path.name}:\n" + "\n".join(diff[:30])


def test_comparison_catches_a_real_change() -> None:
    """A relative change of 1e-6 in one nested float, a flipped bool or a new key is reported; 1e-12 is not."""
    golden = {"a": 1.0, "b": {"c": [0.5, 2.0], "ok": True}, "n": 3}
    assert differences(golden, json.loads(json.dumps(golden))) == []
    assert differences(golden, {**golden, "a": 1.0 + 1e-12}) == []
    assert differences(golden, {**golden, "b": {"c": [0.5, 2.0 * (1 + 1e-6)], "ok": True}}) == [
        "results.b.c[1]: 2.000002 != 2.0"
    ]
    assert differences(golden, {**golden, "b": {"c": [0.5, 2.0], "ok": False}}) == ["results.b.ok: False != True"]
    assert differences(golden, {**golden, "x": 1}) == ["results.x: unexpected"]
