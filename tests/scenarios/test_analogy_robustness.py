"""The robustness map: side_by_side's decided rows over a one-at-a-time grid, with a heatmap."""

from pathlib import Path

from analysis.analogy import ROW_PREDICTIONS
from analysis.report_robustness import robustness_numbers
from scenarios.runner import execute

SMALL = {"atp_demand": "1200", "axes": "atp_demand", "t_charge": "0.2", "t_discharge": "0.2", "train_steps": "40",
         "n_tokens": "16", "replicates": "1"}  # fmt: skip


def test_fractions_count_holding_points() -> None:
    """A row that holds at 1 of 4 points holds on 25 % of the grid; 'partly' counts only in the looser fraction."""
    roles = [p.role for p in ROW_PREDICTIONS]
    verdicts = ["holds", "partly", "breaks", "breaks"]
    points = [{"axis": "x", "value": i, "rows": dict.fromkeys(roles, v), "beta_status": "-"}
              for i, v in enumerate(verdicts)]  # fmt: skip
    frac = robustness_numbers(points)["fraction_holding"][roles[0]]
    assert frac == {"holds": 0.25, "holds_or_partly": 0.5}


def test_grid_run_decides_every_row_and_draws_the_map(tmp_path: Path) -> None:
    """Two grid points (baseline, one ATP demand): every row decided at each, fractions in [0, 1], heatmap drawn."""
    summary = execute("analogy_robustness", tmp_path, seed=1, overrides=SMALL)
    res = summary["results"]
    assert [p["axis"] for p in res["points"]] == ["baseline", "atp_demand"]
    for p in res["points"]:
        assert set(p["rows"]) == {r.role for r in ROW_PREDICTIONS}
        assert set(p["rows"].values()) <= {"holds", "partly", "breaks"}
    assert all(0.0 <= f["holds"] <= f["holds_or_partly"] <= 1.0 for f in res["fraction_holding"].values())
    png = tmp_path / "figures" / "robustness.png"
    assert png.stat().st_size > 10_000 and "figures/robustness.png" in (tmp_path / "report.md").read_text()


def test_axes_declaration_matches_axes() -> None:
    """The literal axes in the declaration (read from source by the catalog) are exactly `AXES`."""
    from scenarios.analogy_robustness import AXES
    from scenarios.registry import get

    p = get("analogy_robustness").params["axes"]
    assert tuple(p.default) == AXES and tuple(p.choices) == AXES
