"""Analogy rows decided from per-seed effects, against worlds whose answer is known by construction."""

from analysis.analogy import ROW_PREDICTIONS, decide_row, decide_rows, world_status

STORE = next(p for p in ROW_PREDICTIONS if p.role == "stored order")
PACE = next(p for p in ROW_PREDICTIONS if p.role == "spending order to do work")


def test_a_store_that_drains_in_both_worlds_holds() -> None:
    """Both stores fall to ~half over the window at every seed: the row holds."""
    row = decide_row(STORE, [0.5, 0.52, 0.48], [0.6, 0.55, 0.58])
    assert row["verdict"] == "holds" and row["membrane"]["status"] == "yes"


def test_weights_that_are_only_read_break_the_store_row() -> None:
    """Inference reads the weights: order after ÷ before is exactly 1, so 'the store is spent' breaks."""
    row = decide_row(STORE, [0.7, 0.72, 0.69], [1.0, 1.0, 1.0])
    assert row["verdict"] == "breaks" and row["attention"]["status"] == "no"
    assert "attention 1 [1, 1] → no" in row["reason"]


def test_straddling_interval_is_partly() -> None:
    """An attention effect whose interval straddles the threshold is 'partly', not a hold or a break."""
    row = decide_row(STORE, [0.5, 0.5, 0.5], [0.8, 1.0, 0.9])
    assert row["attention"]["status"] == "partly" and row["verdict"] == "partly"


def test_pace_row_compares_with_one() -> None:
    """Output ÷ demand of 1.05 shows the pace prediction; 0.5 does not (|x − 1| against 0.2)."""
    assert world_status([1.05, 0.98, 1.01], PACE)["status"] == "yes"
    assert world_status([0.5, 0.52, 0.49], PACE)["status"] == "no"


def test_unmeasured_rows_say_so() -> None:
    """A row with no numbers is 'not measured'; every declared row is decided."""
    rows = decide_rows({"stored order": {"membrane": [0.5], "attention": [1.0]}})
    assert len(rows) == len(ROW_PREDICTIONS)
    assert [r["verdict"] for r in rows].count("not measured") == len(ROW_PREDICTIONS) - 1
