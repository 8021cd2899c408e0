"""The interpretability scenarios and reports: every figure is written and non-empty, and the numbers obey
their limits."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.attribution import METHODS
from scenarios.params import ParameterError
from scenarios.registry import all_scenarios
from scenarios.runner import execute

FIGURES = {
    "head_ablation": ("head_scores", "ablation_curves", "patching", "logit_lens", "attention_heads", "rollout_flow"),
    "temperature": ("temperature_curve", "attention_heads", "rollout_flow"),
}


def _figures_written(run_dir: Path, figures: tuple[str, ...]) -> None:
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    for fig in figures:
        png = run_dir / "figures" / f"{fig}.png"
        assert png.stat().st_size > 1000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"figures/{fig}.png" in report


def test_temperature_figures_are_written_and_linked(tmp_path: Path) -> None:
    """At the smoke settings each temperature figure exists as a non-empty PNG and report.md links it."""
    execute("temperature", tmp_path, seed=0, overrides=all_scenarios()["temperature"].smoke)
    _figures_written(tmp_path, FIGURES["temperature"])


def test_attribution_benchmark_scores_every_method_and_the_control(tmp_path: Path) -> None:
    """The leaderboard ranks every method over every trained model; the hand-built control scores 1; the
    leaderboard figure is written."""
    s = execute("attribution_benchmark", tmp_path, seed=1, overrides=all_scenarios()["attribution_benchmark"].smoke)
    r = s["results"]
    assert {row["method"] for row in r["leaderboard"]} == set(METHODS)
    assert r["models_trained"] == 4
    for row in r["leaderboard"]:
        assert 0.0 <= row["parent_mass_low"] <= row["parent_mass"] <= row["parent_mass_high"] <= 1.0
    assert all(row["parent_mass"] == pytest.approx(1.0, abs=1e-12) for row in r["hand_built"])
    records = pd.read_parquet(tmp_path / "attribution.parquet")
    assert len(records) == (4 + 2) * len(METHODS)
    _figures_written(tmp_path, ("attribution_leaderboard",))


def test_head_ablation_all_heads_off_respects_the_current_symbol_limit(tmp_path: Path) -> None:
    """With every head ablated (any kind) the held-out CE is not below H(X_{t+1} | X_t) (tolerance 0.02 nats for
    the sampling of 128 held-out windows); both orders end at the same CE; every figure is written."""
    s = execute(
        "head_ablation",
        tmp_path,
        seed=3,
        overrides={"steps": "100", "n_heads": "2", "n_ctx": "12", "windows_per_count": "1", "heldout_seqs": "128"},
    )
    r = s["results"]
    limit = r["current_symbol_only_floor_nats"]
    for kind in ("zero", "mean", "resample"):
        curves = r["curves"][kind]
        assert curves["index"][-1] >= limit - 0.02
        assert curves["index"][-1] == pytest.approx(curves["importance"][-1], abs=1e-12)
        assert curves["index"][0] == curves["importance"][0]
    assert r["curves"]["mean"]["importance"][1] >= r["curves"]["mean"]["index"][1]
    _figures_written(tmp_path, FIGURES["head_ablation"])


def test_bad_shape_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """A shape that is not LxH[+mlp] is a one-line parameter error naming it, and the directory stays empty."""
    out = tmp_path / "run"
    with pytest.raises(ParameterError, match=r"shape\(='3y2'\) must look like LxH"):
        execute("attribution_benchmark", out, overrides={"shapes": "1x2,3y2"})
    assert not out.exists() or not any(out.iterdir())
