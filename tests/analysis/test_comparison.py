"""The declared same-pattern test (TOST on β + rival-family shape null), its power statement, the analogy table."""

import numpy as np

from analysis.comparison import (
    ANALOGY_ROWS,
    BETA_MARGIN,
    MIN_SEEDS,
    analogy_table,
    combine_shape_p,
    pattern_verdict,
    power_statement,
)

GOOD_P = {"exponential": 0.01, "logistic": 0.02}


def test_verdict_shared_with_enough_equivalent_seeds() -> None:
    """Ten seeds with β equal within 0.01 and shapes beating every family: shared."""
    rng = np.random.default_rng(1)
    betas = 1.5 + rng.normal(0, 0.01, MIN_SEEDS)
    verdict = pattern_verdict(betas, betas[::-1], [GOOD_P] * MIN_SEEDS)
    assert verdict["shared"] and verdict["beta_status"] == "equivalent"


def test_too_few_seeds_never_share() -> None:
    """Nine identical seeds are not enough, and the statement says so."""
    betas = [1.5] * (MIN_SEEDS - 1)
    verdict = pattern_verdict(betas, betas, [GOOD_P] * (MIN_SEEDS - 1))
    assert not verdict["shared"] and f"only {MIN_SEEDS - 1} seeds" in verdict["statement"]


def test_noisy_agreement_is_not_shown_and_a_shift_differs() -> None:
    """Noisy β with equal means: 'not shown equivalent'; a shift of 4× the margin: 'differs'."""
    rng = np.random.default_rng(2)
    noisy = pattern_verdict(1.5 + rng.normal(0, 0.4, 10), 1.5 + rng.normal(0, 0.4, 10), [GOOD_P] * 10)
    assert not noisy["shared"] and noisy["beta_status"] == "is not shown equivalent"
    shifted = pattern_verdict(1.5 + rng.normal(0, 0.05, 10), 0.9 + rng.normal(0, 0.05, 10), [GOOD_P] * 10)
    assert shifted["beta_status"] == "differs" and f"±{BETA_MARGIN}" in shifted["statement"]


def test_one_rival_family_as_close_spoils_the_shape() -> None:
    """If the logistic family matches as well (p ≈ 0.5 at every seed), the shape is not shared."""
    betas = [1.5] * 10
    verdict = pattern_verdict(betas, betas, [{"exponential": 0.01, "logistic": 0.5}] * 10)
    assert not verdict["shared"] and "logistic" in verdict["statement"]


def test_fisher_combination() -> None:
    """Ten seeds at p = 0.2 combine to a small p; one seed at 0.2 stays 0.2."""
    assert abs(combine_shape_p([{"f": 0.2}])["f"] - 0.2) < 1e-12
    assert combine_shape_p([{"f": 0.2}] * 10)["f"] < 0.05


def test_power_statement() -> None:
    """With the pilot spreads, 10 seeds have less than 80 % power and the stated n reaches it."""
    ps = power_statement(10, 0.051, 0.21)
    assert ps["power"] < 0.8 <= power_statement(ps["seeds_for_80_percent"], 0.051, 0.21)["power"]


def test_analogy_table_has_every_row() -> None:
    """The table has one row per analogy, with the measured values where given and NaN where not."""
    table = analogy_table(
        {"membrane": {"proton gradient": ("pmf", 180.0, "mV")}, "attention": {"weights": ("excess loss", 0.01, "nats")}}
    )
    assert len(table) == len(ANALOGY_ROWS)
    row = table[table.membrane == "proton gradient"].iloc[0]
    assert row.membrane_value == 180.0 and row.attention_value == 0.01
    assert table.membrane_value.isna().sum() == len(ANALOGY_ROWS) - 1
