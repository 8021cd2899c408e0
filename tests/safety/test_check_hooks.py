"""Registry-wide: every parameter combination a scenario rejects is rejected by its ``check`` hook, before
anything is written.

Hypothesis draws values inside every declared bound (sizes capped so a world builds in milliseconds, times
and windows across their whole range, each bound's ends on purpose). Either the scenario's check hook
rejects the combination — and then `execute` raises `ParameterError` and creates nothing — or the scenario
builds its worlds and timetable without a `ValueError`. The build runs until the scenario first starts the
clock (`Run.run_until`), where every scenario has created its worlds, processes and windows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.params import ParameterError
from scenarios.registry import all_scenarios
from scenarios.runner import execute
from world.clock import Run
from world.params import Param

SCENARIOS = all_scenarios()
SIZE_CAP = 64
"""Integers are drawn up to ``low + SIZE_CAP`` (or the upper bound when it is within 10 000)."""


def _values(p: Param) -> st.SearchStrategy[Any]:
    if p.choices is not None:
        one: st.SearchStrategy[Any] = st.sampled_from(p.choices)
    elif p.type is bool:
        one = st.booleans()
    elif p.type is str:  # free text (e.g. model shapes "2x4+mlp"): the defaults, or text near their alphabet
        defaults = list(p.default) if p.many else [p.default]
        text = st.text(alphabet="0123456789x+mlp", max_size=8)
        one = st.one_of(st.sampled_from(defaults), text) if defaults else text
    else:
        lo, hi = p.bounds or (None, None)
        lo = 0 if lo is None else lo
        hi = lo + 100 if hi is None else hi
        if p.type is int:
            top = int(hi) if hi - lo <= 10_000 else int(lo) + SIZE_CAP
            one = st.one_of(st.sampled_from([int(lo), top]), st.integers(int(lo), top))
        else:
            one = st.one_of(
                st.sampled_from([float(lo), float(hi)]),
                st.floats(float(lo), min(float(hi), 20 * float(lo) + 5)),
                st.floats(float(lo), float(hi)),
            )
    return st.lists(one, min_size=1, max_size=4).map(tuple) if p.many else one


class _ClockStarted(Exception):  # noqa: N818 (control flow of this test)
    pass


def _build(name: str, params: dict[str, Any]) -> None:
    """Run the scenario until it first starts the clock."""

    def started(self: Run, t: float) -> None:
        raise _ClockStarted

    with mock.patch.object(Run, "run_until", started), pytest.raises(_ClockStarted):
        SCENARIOS[name].func(Run(0), **params)


@st.composite
def _case(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(SCENARIOS)))
    return name, {k: draw(_values(p), label=k) for k, p in SCENARIOS[name].params.items()}


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(case=_case())
def test_check_hook_rejects_every_combination_the_run_rejects(
    case: tuple[str, dict[str, Any]], tmp_path_factory
) -> None:
    """Either the check hook rejects the combination and nothing is written, or the run builds without a
    parameter error."""
    name, params = case
    sc = SCENARIOS[name]
    try:
        if sc.check is not None:
            sc.check(params)
    except ValueError:
        out = Path(tmp_path_factory.mktemp("rejected")) / "out"
        with pytest.raises(ParameterError):
            execute(name, out, overrides=params)
        assert not out.exists()
        return
    _build(name, params)
