"""Bad input, hypothesis-driven over every registered scenario's parameters: an invalid ``--set`` value, an
unknown key, or an invalid TOML config exits with code 2, prints exactly one stderr line starting with
``error: `` that names the key, no traceback, and writes nothing (no output directory, no summary.json).

Values are generated per declared `Param` and kept only if `Param.parse` rejects them, so every example is
truly invalid: wrong types, NaN/±inf, out of bounds (negatives, huge sizes that would exhaust memory), strings
for numbers, non-choices, empty and over-long lists, arrays for scalars, tables. `scenarios.cli.main` runs
in-process with stderr captured (rich's error console writes to the current ``sys.stderr``); a few fixed
cases also go through a real subprocess.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scenarios.cli import main
from scenarios.params import ParameterError
from scenarios.registry import all_scenarios
from world.params import MAX_LIST, Param

SCENARIOS = all_scenarios()
NAMES = sorted(SCENARIOS)
ROOT = Path(__file__).resolve().parents[2]
MANY = settings(max_examples=settings.default.max_examples * 6)  # in-process examples cost a few ms each

LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
"""Characters `str.splitlines` breaks at: a value holding one is a separate case (`test_value_with_a_line_break`)."""
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters=LINE_BREAKS), max_size=12)
_numbers_as_text = st.sampled_from(
    ["nan", "NaN", "inf", "-inf", "+inf", "1e400", "-1e400", "", " ", "abc", "1.5", "0x10", "1,2", "true", "None"]
)
_bad_scalars = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([-1, 0, -(10**12), 10**12, 10**18, 2**63 - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 1e300, -1e-300]),
    st.booleans(),
    _text,
    _numbers_as_text,
)
_bad_toml_values = st.one_of(
    _bad_scalars,
    st.lists(_bad_scalars, max_size=3),
    st.just([]),
    st.lists(st.integers(0, 3), min_size=MAX_LIST + 1, max_size=MAX_LIST + 3),
    st.dictionaries(st.from_regex(r"[a-z]{1,5}", fullmatch=True), st.integers(0, 9), min_size=1, max_size=2),
)


def _is_invalid(param: Param, key: str, raw: Any) -> bool:
    try:
        param.parse(key, raw)
    except ParameterError:
        return True
    return False


def _set_text(value: Any) -> str:
    """What a user would type after ``--set key=`` for a Python value."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(_set_text(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


def _toml(value: Any) -> str:
    """A TOML literal for `value` (strings as JSON strings, which TOML basic strings accept)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value == math.inf else "-inf" if value == -math.inf else repr(value))
        )
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")  # TOML escapes DEL too
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"


def _cli(args: list[str]) -> tuple[int, str]:
    """`scenarios.cli.main` in-process; its package guard (0.25 s a call, tested in test_guard.py and by the
    subprocess cases below) is skipped so that an example costs milliseconds."""
    err = io.StringIO()
    with (
        mock.patch("scenarios.cli.check_packages", lambda: None),
        contextlib.redirect_stderr(err),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        code = main(args)
    return code, err.getvalue()


def _assert_config_rejected(name: str, text: str, key: str) -> None:
    """Run scenario `name` with a config file holding `text` and assert it is rejected naming `key`."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg, out = Path(tmp) / "run.toml", Path(tmp) / "out"
        cfg.write_text(text, encoding="utf-8")
        code, err = _cli(["run", name, "--out", str(out), "--config", str(cfg), "--quiet"])
        _assert_rejected(code, err, key, out)


def _assert_rejected(code: int, stderr: str, key: str, out: Path) -> None:
    lines = stderr.splitlines()
    assert code == 2, stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), f"not one error line: {stderr!r}"
    assert f"{key}=" in lines[0] or repr(key) in lines[0], f"error line does not name {key!r}: {lines[0]}"
    assert "Traceback" not in stderr
    assert not out.exists() and not (out / "summary.json").exists(), "bad input wrote into --out"


@st.composite
def _invalid_set(draw: st.DrawFn) -> tuple[str, str, str]:
    name = draw(st.sampled_from(NAMES))
    params = SCENARIOS[name].params
    assume(params)
    key = draw(st.sampled_from(sorted(params)))
    p = params[key]
    value = draw(st.one_of(_bad_scalars, st.lists(_bad_scalars, min_size=1, max_size=3)) if p.many else _bad_scalars)
    text = value if isinstance(value, str) else _set_text(value)
    assume(_is_invalid(p, key, text))
    return name, key, text


@MANY
@given(case=_invalid_set())
def test_invalid_set_value_is_rejected_naming_the_key(case: tuple[str, str, str]) -> None:
    """An invalid ``--set key=value`` exits 2 with one ``error:`` line naming the key and writes nothing."""
    name, key, text = case
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        code, err = _cli(["run", name, "--out", str(out), "--set", f"{key}={text}", "--quiet"])
        _assert_rejected(code, err, key, out)


@MANY
@given(name=st.sampled_from(NAMES), key=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,24}", fullmatch=True))
def test_unknown_set_key_is_rejected_naming_the_key(name: str, key: str) -> None:
    """``--set`` with a key the scenario does not declare exits 2 with one ``error:`` line naming the key."""
    assume(key not in SCENARIOS[name].params)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        code, err = _cli(["run", name, "--out", str(out), "--set", f"{key}=1", "--quiet"])
        _assert_rejected(code, err, key, out)


@st.composite
def _invalid_toml(draw: st.DrawFn) -> tuple[str, str, str]:
    name = draw(st.sampled_from(NAMES))
    params = SCENARIOS[name].params
    assume(params)
    key = draw(st.sampled_from(sorted(params)))
    value = draw(_bad_toml_values)
    assume(_is_invalid(params[key], key, value))
    return name, key, f'scenario = "{name}"\nseed = 1\n[params]\n{key} = {_toml(value)}\n'


@MANY
@given(case=_invalid_toml())
def test_invalid_toml_param_is_rejected_naming_the_key(case: tuple[str, str, str]) -> None:
    """A TOML config whose ``[params]`` value is invalid exits 2 with one ``error:`` line naming the key."""
    name, key, text = case
    _assert_config_rejected(name, text, key)


@MANY
@given(
    name=st.sampled_from(NAMES),
    where=st.sampled_from(["params", "top"]),
    key=st.from_regex(r"[a-z_][a-z0-9_]{0,16}", fullmatch=True),
    value=_bad_scalars,
)
def test_unknown_toml_key_is_rejected_naming_the_key(name: str, where: str, key: str, value: Any) -> None:
    """A TOML config with an undeclared ``[params]`` key or top-level key exits 2 with an error naming it."""
    assume(key not in SCENARIOS[name].params and key not in ("scenario", "seed", "params"))
    text = f"{key} = {_toml(value)}\n" if where == "top" else f"[params]\n{key} = {_toml(value)}\n"
    _assert_config_rejected(name, text, key)


@MANY
@given(name=st.sampled_from(NAMES), seed=st.one_of(st.integers(-(2**63), -1), _text, st.floats(), st.booleans()))
def test_invalid_toml_seed_is_rejected(name: str, seed: Any) -> None:
    """A config seed that is not a non-negative integer exits 2 with one ``error:`` line naming ``seed``."""
    _assert_config_rejected(name, f"seed = {_toml(seed)}\n", "seed")


@pytest.mark.parametrize("brk", ["\n", "\x85", "\u2028"])
def test_value_with_a_line_break_gives_one_error_line(brk: str, tmp_path: Path) -> None:
    """A value holding a line break (possible in a TOML string) is still reported on one ``error:`` line."""
    cfg, out = tmp_path / "run.toml", tmp_path / "out"
    cfg.write_text(f"[params]\nn_balls = {json.dumps('1' + brk + '2')}\n", encoding="utf-8")
    code, err = _cli(["run", "ehrenfest", "--out", str(out), "--config", str(cfg), "--quiet"])
    _assert_rejected(code, err, "n_balls", out)


def _first_numeric(name: str) -> tuple[str, Param]:
    return next((k, p) for k, p in SCENARIOS[name].params.items() if p.type in (int, float) and p.bounds)


SUBPROCESS_CASES = [
    pytest.param(name, kind, id=f"{name}-{kind}") for name in NAMES[:3] for kind in ("nan", "huge", "unknown")
]


@pytest.mark.parametrize(("name", "kind"), SUBPROCESS_CASES)
def test_bad_input_through_a_real_process(name: str, kind: str, tmp_path: Path) -> None:
    """Through a real ``python -m scenarios.cli`` process bad input also exits 2 with one ``error:`` line."""
    key, p = _first_numeric(name)
    value = {"nan": "nan", "huge": "1e30", "unknown": "1"}[kind]
    if kind == "unknown":
        key = "no_such_parameter"
    else:
        assert _is_invalid(p, key, value)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "scenarios.cli", "run", name, "--out", str(out), "--set", f"{key}={value}"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ})
    _assert_rejected(done.returncode, done.stderr, key, out)
