"""`world_params`: any world parameter a membrane scenario does not set, from the command line or a config."""

from __future__ import annotations

import pandas as pd
import pytest

from scenarios.runner import execute
from world.membrane.params import world_overrides

FAST_TITRATION = {"levels": (0.0, 300.0), "warmup": 0.2, "hold": 0.3, "window": 0.1}


def test_values_are_read_as_their_fields_types() -> None:
    """Integers, numbers, strings and an optional number's ``none``; spaces around key and value are allowed."""
    out = world_overrides(
        ["n_leak = 0", "k_rotor=480", "proton_access=local", "d_proton_um2_s=none", "o2_uM=2.5e1"], set(), 1e-3
    )
    assert out == {"n_leak": 0, "k_rotor": 480.0, "proton_access": "local", "d_proton_um2_s": None, "o2_uM": 25.0}
    assert isinstance(out["n_leak"], int) and isinstance(out["k_rotor"], float)
    assert world_overrides([], {"k_rotor"}, 1e-3) == {}


def test_every_world_parameter_can_be_given() -> None:
    """Each `MembraneParams` field, written as its default, reads back as that default (a field of a type the
    reader does not know would raise TypeError here)."""
    from dataclasses import fields

    from world.membrane.params import MembraneParams

    for f in fields(MembraneParams):
        default = getattr(MembraneParams(), f.name)
        text = "none" if default is None else str(default)
        out = world_overrides([f"{f.name}={text}"], set(), 1e-3)
        assert out == {f.name: default} and type(out[f.name]) is type(default), f.name


@pytest.mark.parametrize(
    ("items", "named"),
    [
        (["k_rotr=3"], "k_rotr"),  # not a world parameter
        (["k_rotor"], "k_rotor"),  # no value
        (["atp_demand=5"], "atp_demand"),  # set by the scenario
        (["n_leak=1", "n_leak=2"], "twice"),
        (["n_leak=1.5"], "integer"),
        (["k_rotor=fast"], "finite number"),
        (["k_rotor=inf"], "finite number"),
        (["d_proton_um2_s=fast"], "none"),
        (["n_synthase=-1"], "n_synthase"),  # the world's own validation
        (["proton_access=nearby"], "proton_access"),
        (["site_events=one", "k_rotor=1040"], "dt"),  # 1040/s × 1 ms > 0.5 under one move per step
    ],
)
def test_bad_items_are_refused_naming_them(items: list[str], named: str) -> None:
    with pytest.raises(ValueError, match=named) as info:
        world_overrides(items, {"atp_demand"}, 1e-3)
    assert "\n" not in str(info.value)


def test_world_params_reach_the_world(tmp_path) -> None:
    """``n_leak=0`` removes the leak rows from a titration's trace (the default world has them), and ``k_rotor``
    is what the run's synthases turn at: at a quarter of the default (100/s: six rotors make at most
    6 · 95 / (8/3) ≈ 214 ATP/s) a 600 ATP/s level makes well under the default's ≈ 450 ATP/s."""
    kinds, steps = {}, {}
    for label, items in (("default", ()), ("no_leak", ("n_leak=0",)), ("slow", ("k_rotor=100",))):
        out = tmp_path / label
        r = execute(
            "demand_titration",
            out,
            seed=4,
            overrides={
                **FAST_TITRATION,
                "levels": (600.0,),
                "hold": 1.0,
                "window": 0.8,
                **({"world_params": items} if items else {}),
            },
        )
        kinds[label] = set(pd.read_parquet(out / "trace.parquet")["kind"].astype(str))
        steps[label] = r["results"]["levels"][0]["atp_rate"]
        assert r["params"]["world_params"] == list(items)
    assert "leak" in kinds["default"] and "leak" not in kinds["no_leak"]
    assert steps["slow"] < 0.6 * steps["default"]


def test_an_empty_list_is_allowed_only_where_the_default_is_empty() -> None:
    """A finished run records ``world_params: []``; reading it back (report, acceptance, replay) must accept
    that, while a list parameter with a non-empty default still refuses an empty list."""
    from scenarios.params import ParameterError
    from scenarios.registry import all_scenarios

    scenarios = all_scenarios()
    assert scenarios["respiratory_control"].params["world_params"].parse("world_params", []) == ()
    with pytest.raises(ParameterError, match=r"levels=\[\].*1 to 64 items"):
        scenarios["demand_titration"].params["levels"].parse("levels", [])


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("c_ring", {"rings": (8,), "warmup": 0.2, "window": 0.2}),
        ("inhibitors", {"warmup": 0.2, "after": 0.1, "window": 0.05, "oligomycin_window": 0.05}),
        ("localized_coupling", {"barriers": (0.0,), "settle": 0.2, "state4_window": 0.2, "warmup": 0.2, "window": 0.2}),
    ],
)
def test_world_params_reach_every_world_of_a_scenario(tmp_path, name: str, short: dict) -> None:
    """Scenarios that build several worlds pass `world_params` to each: ``n_leak=0`` leaves no leak row in the
    trace, which the same run without it has."""
    kinds = {}
    for items in ((), ("n_leak=0",)):
        out = tmp_path / f"{name}{len(items)}"
        execute(name, out, seed=2, overrides={**short, **({"world_params": items} if items else {})})
        kinds[items] = set(pd.read_parquet(out / "trace.parquet")["kind"].astype(str))
    assert "leak" in kinds[()] and "leak" not in kinds[("n_leak=0",)]
