"""The declared same-pattern test: surrogates, β agreement, the verdict and the analogy table."""

import numpy as np

from analysis.comparison import (
    ANALOGY_ROWS,
    analogy_table,
    beta_agreement,
    pattern_verdict,
    phase_randomised,
    surrogate_test,
)

U = np.linspace(0, 5, 100)


def test_surrogate_keeps_power_spectrum() -> None:
    """A phase-randomised surrogate has the same mean and Fourier amplitudes as the original."""
    x = 1 - np.exp(-U)
    s = phase_randomised(x, np.random.default_rng(1))
    assert np.isclose(s.mean(), x.mean())
    np.testing.assert_allclose(np.abs(np.fft.rfft(s - s.mean())), np.abs(np.fft.rfft(x - x.mean())), atol=1e-9)


def test_same_shape_is_accepted() -> None:
    """Two noisy copies of one relaxation shape beat the surrogates (p < 0.05)."""
    rng = np.random.default_rng(2)
    a = 1 - np.exp(-U) + rng.normal(0, 0.02, U.size)
    b = 1 - np.exp(-U) + rng.normal(0, 0.02, U.size)
    result = surrogate_test(a, b, rng)
    assert result.same_shape and result.p_value <= 0.01


def test_unrelated_shapes_are_rejected() -> None:
    """A relaxation against an oscillation is not closer than surrogates (p ≥ 0.05)."""
    rng = np.random.default_rng(3)
    a = 1 - np.exp(-U)
    b = 0.5 + 0.5 * np.sin(3 * U)
    assert not surrogate_test(a, b, rng).same_shape


def test_beta_agreement() -> None:
    """Equal β across seeds agree; β = 1 against β = 0.5 does not."""
    rng = np.random.default_rng(4)
    same = beta_agreement(1 + rng.normal(0, 0.03, 6), 1 + rng.normal(0, 0.03, 6))
    differ = beta_agreement(1 + rng.normal(0, 0.03, 6), 0.5 + rng.normal(0, 0.03, 6))
    assert same["agree"] and not differ["agree"]


def test_verdict_needs_enough_seeds_and_both_features() -> None:
    """Four seeds are never enough; five agreeing seeds with small p are; one large p spoils it."""
    betas = [1.0, 1.01, 0.99, 1.02, 0.98]
    assert pattern_verdict(betas, betas, [0.01] * 5)["shared"]
    assert not pattern_verdict(betas[:4], betas[:4], [0.01] * 4)["shared"]
    verdict = pattern_verdict(betas, betas, [0.01, 0.01, 0.3, 0.01, 0.01])
    assert not verdict["shared"] and "not shared" in verdict["statement"]


def test_analogy_table_has_every_row() -> None:
    """The table has one row per analogy, with the measured values where given and NaN where not."""
    table = analogy_table(
        {"membrane": {"proton gradient": ("pmf", 180.0, "mV")}, "attention": {"weights": ("excess loss", 0.01, "nats")}}
    )
    assert len(table) == len(ANALOGY_ROWS)
    row = table[table.membrane == "proton gradient"].iloc[0]
    assert row.membrane_value == 180.0 and row.attention_value == 0.01
    assert table.membrane_value.isna().sum() == len(ANALOGY_ROWS) - 1
