"""Parameter declarations: parsing strings and TOML values, bounds, choices and lists."""

import pytest

from scenarios.params import Param, ParameterError, parse_set, resolve_params

DECL = {
    "n": Param(10, int, bounds=(1, 100)),
    "x": Param(0.5, float, bounds=(0.0, 1.0)),
    "mode": Param("nadh", str, choices=("nadh", "succinate")),
    "flag": Param(False, bool),
    "levels": Param((1.0,), float, many=True, bounds=(0, 5)),
}


def test_defaults_then_config_then_overrides() -> None:
    """Overrides win over config, which wins over defaults; strings are converted."""
    got = resolve_params("s", DECL, {"n": 20, "x": 0.1}, {"n": "30", "flag": "yes", "levels": "1,2.5"})
    assert got == {"n": 30, "x": 0.1, "mode": "nadh", "flag": True, "levels": (1.0, 2.5)}


@pytest.mark.parametrize(
    ("key", "raw"),
    [("n", "0"), ("n", 1.5), ("n", True), ("x", "nan"), ("x", "-inf"), ("x", "2"), ("mode", "fat"),
     ("flag", "maybe"), ("levels", "1,9"), ("levels", []), ("n", "1e400")],
)  # fmt: skip
def test_rejections_name_key_and_value(key: str, raw: object) -> None:
    """Each bad value raises ParameterError naming the key and what is allowed."""
    with pytest.raises(ParameterError, match=rf"parameter {key}=.*must be"):
        resolve_params("s", DECL, None, {key: raw})


def test_unknown_key_lists_allowed() -> None:
    """An unknown key is named and the allowed keys listed."""
    with pytest.raises(ParameterError, match=r"unknown parameter 'colour'.*allowed: n, x, mode, flag, levels"):
        resolve_params("s", DECL, None, {"colour": "red"})


def test_parse_set_needs_equals() -> None:
    """`--set key` without a value is an error."""
    with pytest.raises(ParameterError, match="key=value"):
        parse_set(["steps"])


def test_combined_memory_check_refuses_before_writing(tmp_path) -> None:
    """A model/batch combination whose training step would not fit is refused with exit 2 and no outputs."""
    from scenarios.cli import main

    out = tmp_path / "run"
    code = main(["run", "training_builds_gradient", "--out", str(out), "--quiet",
                 "--set", "batch_size=1024", "--set", "n_ctx=256", "--set", "n_heads=8"])  # fmt: skip
    assert code == 2 and not out.exists()
