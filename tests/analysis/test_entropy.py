"""Entropy functions against closed forms."""

import math

import numpy as np
import pytest

from analysis.entropy import (
    entropy_production_attention,
    entropy_production_membrane,
    kl_divergence,
    shannon_entropy,
    spatial_entropy,
)


def test_uniform_and_point_mass() -> None:
    """H(uniform over n) = ln n and H(point mass) = 0."""
    assert shannon_entropy(np.full(8, 1 / 8)) == pytest.approx(math.log(8))
    assert shannon_entropy(np.array([0.0, 1.0, 0.0])) == 0.0


def test_bernoulli_closed_form() -> None:
    """H(Bernoulli(p)) = −p ln p − (1−p) ln(1−p), row-wise."""
    p = np.array([0.1, 0.25, 0.5])
    rows = np.stack([p, 1 - p], axis=1)
    np.testing.assert_allclose(shannon_entropy(rows), -p * np.log(p) - (1 - p) * np.log(1 - p))


def test_rejects_non_distributions() -> None:
    """Negative entries or a wrong total are errors."""
    with pytest.raises(ValueError):
        shannon_entropy(np.array([0.5, 0.6]))
    with pytest.raises(ValueError):
        shannon_entropy(np.array([1.5, -0.5]))


def test_kl_is_zero_only_for_equal() -> None:
    """D(p‖p) = 0, D(p‖q) > 0 for p ≠ q, and the closed form for two Bernoullis holds."""
    p, q = np.array([0.3, 0.7]), np.array([0.6, 0.4])
    assert kl_divergence(p, p) == 0.0
    assert kl_divergence(p, q) == pytest.approx(0.3 * math.log(0.3 / 0.6) + 0.7 * math.log(0.7 / 0.4))
    assert kl_divergence(p, np.array([1.0, 0.0])) == math.inf


def test_spatial_entropy_uniform_and_concentrated() -> None:
    """A uniform field sits at equilibrium (distance 0); all particles in one block are ln(blocks) away."""
    s, d = spatial_entropy(np.ones((4, 6)), block=2)
    assert s == pytest.approx(math.log(6)) and d == pytest.approx(0.0, abs=1e-12)
    field = np.zeros((4, 6))
    field[0, 0] = 10
    s, d = spatial_entropy(field, block=2)
    assert s == 0.0 and d == pytest.approx(math.log(6))


def test_entropy_production_rates() -> None:
    """Linear heat gives dS/dt = rate/T; linearly falling excess loss gives a constant positive rate."""
    t = np.linspace(0, 10, 11)
    np.testing.assert_allclose(entropy_production_membrane(3.0 * t, t, 300.0), 0.01)
    np.testing.assert_allclose(entropy_production_attention(2.0 - 0.1 * t, t), 0.1)
