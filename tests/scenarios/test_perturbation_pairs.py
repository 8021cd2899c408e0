"""Perturbation pairs: each membrane perturbation and its attention analogue move their measures as predicted."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from analysis.membrane_replay import replay_membrane_counters
from analysis.report_pairs import pair_effects, sign
from scenarios.runner import execute
from world.trace import read_trace

OVERRIDES = {
    "warmup": 1.5,
    "settle": 5.0,
    "window": 0.5,
    "train_steps": 200,
    "heldout_seqs": 128,
    "token_rate": 800.0,
}
"""A short `perturbation_pairs` run. The settle is long because of rotenone: a fresh world's matrix starts with
200 succinate, and mass-action complex II, reversible and near equilibrium with a Q pool that NADH keeps partly
reduced, oxidises it only slowly (≈ 50–85 molecules are left at 1.5 s); once rotenone has stopped complex I the
Q pool turns oxidised and that succinate feeds complexes III and IV, tens of O₂/s at first, until it is gone
≈ 4–5 s after rotenone. The perturbed window (5.0–5.5 s after the perturbation) lies beyond that tail, and is
0.5 s long so that a single stray O₂ (2 O₂/s) still meets the ≤ 2 O₂/s bound (no O₂ in it at seeds 0, 1, 2)."""


# one worker runs this module, so its module-scoped run is made once (`make test` uses --dist loadgroup)
pytestmark = pytest.mark.xdist_group("perturbation_pairs")


@pytest.fixture(scope="module")
def pairs_run(tmp_path_factory) -> tuple[dict, Path]:
    """One short `perturbation_pairs` run written to disk."""
    out = tmp_path_factory.mktemp("pairs")
    return execute("perturbation_pairs", out, seed=0, overrides=OVERRIDES), out


def _pair(run: tuple[dict, Path], name: str) -> dict:
    return run[0]["results"]["pairs"][name]


def test_uncoupler_lowers_pmf_and_atp_synthesis(pairs_run) -> None:
    """The protonophore lowers Δp by more than 20 mV and ATP synthesis, and raises OCR (respiration uncoupled)."""
    mem = _pair(pairs_run, "uncoupler_vs_temperature")["membrane_effect"]
    assert mem["pmf_change_mV"] < -20
    assert mem["atp_rate_after_per_s"] < mem["atp_rate_before_per_s"]
    assert mem["ocr_after_per_s"] > mem["ocr_before_per_s"]


def test_temperature_raises_cross_entropy_and_output_entropy(pairs_run) -> None:
    """Output temperature 2 raises held-out cross-entropy and H(q) (H of softmax(z/τ) grows with τ), stream too."""
    p = _pair(pairs_run, "uncoupler_vs_temperature")
    held, stream = p["attention_heldout"], p["attention_stream"]
    assert held["ce_change_nats"] > 0 and held["order_change_nats"] < 0
    assert stream["order_change_nats"] < 0, "every token's H(q) rises with τ, so the stream mean does"
    assert held["bits_saved_per_token_change_bits"] == pytest.approx(-held["ce_change_nats"] / math.log(2))


def test_oligomycin_zeroes_synthesis_and_raises_pmf(pairs_run) -> None:
    """Oligomycin makes ATP synthesis exactly 0 and Δp rises (the gradient is no longer spent)."""
    mem = _pair(pairs_run, "oligomycin_vs_head_ablation")["membrane_effect"]
    assert mem["atp_rate_after_per_s"] == 0.0 and mem["atp_rate_rel_change"] == -1.0
    assert mem["pmf_change_mV"] > 0


def test_head_ablation_raises_cross_entropy_towards_the_current_symbol_floor(pairs_run) -> None:
    """Ablating every head raises held-out cross-entropy; it cannot beat H(X_t+1 | X_t) (the residual only)."""
    res = pairs_run[0]["results"]
    held = _pair(pairs_run, "oligomycin_vs_head_ablation")["attention_heldout"]
    assert held["ce_change_nats"] > 0.05
    assert held["ce_after_nats"] >= res["current_symbol_only_floor_nats"] - 0.05


def test_rotenone_stops_respiration_and_lowers_pmf(pairs_run) -> None:
    """Rotenone on NADH stops O₂ consumption (≤ 2 O₂/s) and lowers Δp and ATP synthesis.

    Prediction: with complex I blocked and no succinate supplied, the only electrons left for O₂ are the
    matrix's endogenous succinate (via complex II); once it is oxidised (`OVERRIDES`) OCR is ≈ 0, Δp is held
    only by ATP hydrolysis and falls, and net ATP synthesis stops."""
    mem = _pair(pairs_run, "rotenone_vs_untrained")["membrane_effect"]
    assert mem["ocr_after_per_s"] <= 2.0 < mem["ocr_before_per_s"]
    assert mem["pmf_change_mV"] < 0 and mem["atp_rate_after_per_s"] < mem["atp_rate_before_per_s"]


def test_untrained_weights_predict_near_uniform(pairs_run) -> None:
    """Untrained weights raise cross-entropy to within 0.1 nats of log V and leave almost no order at the output."""
    res = pairs_run[0]["results"]
    held = _pair(pairs_run, "rotenone_vs_untrained")["attention_heldout"]
    assert held["ce_change_nats"] > 0
    assert abs(held["ce_after_nats"] - res["uniform_entropy_nats"]) < 0.1
    assert held["order_after_nats"] < 0.1


def test_directions_match_except_the_oligomycin_gradient(pairs_run) -> None:
    """Output falls on both sides of every pair; the gradient agrees except oligomycin (Δp up) vs ablation."""
    same = pairs_run[0]["results"]["same_direction"]
    assert all(v["output"] for v in same.values())
    assert same["uncoupler_vs_temperature"]["gradient"] and same["rotenone_vs_untrained"]["gradient"]
    assert not same["oligomycin_vs_head_ablation"]["gradient"]


def test_each_segment_replays_its_own_membrane_world(pairs_run) -> None:
    """The trace replayed over a pair's time segment rebuilds that pair's membrane counters exactly."""
    summary, out = pairs_run
    trace = read_trace(out)
    for pair in summary["results"]["pairs"].values():
        a, b = pair["t_segment_s"]
        end, start = replay_membrane_counters(trace, until=b), replay_membrane_counters(trace, until=a)
        for key, value in pair["membrane_counters"].items():
            assert end[key] - start[key] == value, key


def test_report_has_one_nonempty_png_per_pair(pairs_run) -> None:
    """report.md names every pair and links one PNG figure per pair (PNG signature, > 5 kB)."""
    summary, out = pairs_run
    text = (out / "report.md").read_text()
    for name in summary["results"]["pairs"]:
        assert name.replace("_", " ") in text
        data = (out / "figures" / f"pair_{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_pair_effects_signs_on_known_numbers() -> None:
    """pair_effects gives relative changes and signs from plain numbers (ATP 100 → 50: −0.5; Δp up: +1)."""
    m0 = {"atp_rate": 100.0, "pmf_mV": 200.0, "ocr": 50.0}
    m1 = {"atp_rate": 50.0, "pmf_mV": 210.0, "ocr": 20.0}
    s = {"cross_entropy_nats": 1.5, "next_token_entropy_nats": 1.4}
    ev0 = {"expected_cross_entropy_nats": 1.5, "next_token_entropy_nats": 1.4}
    ev1 = {"expected_cross_entropy_nats": 2.0, "next_token_entropy_nats": 1.9}
    e = pair_effects(m0, m1, s, s, ev0, ev1, 8)
    assert e["membrane_effect"]["atp_rate_rel_change"] == -0.5
    assert e["signs"] == {
        "membrane_output": -1,
        "attention_output": -1,
        "membrane_gradient": 1,
        "attention_gradient": -1,
    }
    assert e["same_direction"] == {"output": True, "gradient": False}
    assert sign(float("nan")) == 0


def test_window_longer_than_warmup_raises(tmp_path: Path) -> None:
    """A window that leaves no time for training raises ValueError naming window and warmup."""
    with pytest.raises(ValueError, match=r"window\(=0.5\) must be shorter than warmup\(=0.4\)"):
        execute("perturbation_pairs", tmp_path, overrides={"warmup": 0.4, "window": 0.5})
