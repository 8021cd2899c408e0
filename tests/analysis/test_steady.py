"""The steady-state check of measurement windows (`analysis.steady`) on synthetic windows with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.steady import TOLERANCES, steadiness, steady_lines, steady_summary


def _window(rng: np.random.Generator, rate1: float, rate2: float, T: float = 2.0, psi=(180.0, 180.0),
            atp=(0.9, 0.9), nadh=(0.5, 0.5)):  # fmt: skip
    """Snapshots and pool readings of a window [0, T] whose halves have O2 rates rate1, rate2 (Poisson counts),
    mean Δψ psi, and ATP / NADH fractions atp, nadh (exact, 10 readings per half)."""
    n1, n2 = rng.poisson(rate1 * T / 2), rng.poisson(rate2 * T / 2)
    a = {"t": 0.0, "o2_consumed": 0.0, "int_dpsi": 0.0}
    mid = {"t": T / 2, "o2_consumed": float(n1), "int_dpsi": psi[0] * T / 2}
    b = {"t": T, "o2_consumed": float(n1 + n2), "int_dpsi": psi[0] * T / 2 + psi[1] * T / 2}
    pools = []
    for i in range(20):
        h = 0 if i < 10 else 1
        pools.append({"t": (i + 0.5) * T / 20, "atp_c": 1000 * atp[h], "adp_c": 1000 * (1 - atp[h]),
                      "nadh": 400 * nadh[h], "nad": 400 * (1 - nadh[h])})  # fmt: skip
    return a, mid, b, pools


def test_a_steady_window_with_many_events_is_shown_steady() -> None:
    """Constant rate, 3 000 O2 events per window: r has SE 2/√3000 = 0.037 and the interval half-width is 0.060,
    so |r| must stay below 0.14 (3.8 SE): shown steady in essentially every draw."""
    rng = np.random.default_rng(0)
    passed = [steadiness(*_window(rng, 1500.0, 1500.0))["steady"] for _ in range(400)]
    assert np.mean(passed) > 0.99


def test_the_pass_rate_is_the_power_of_the_stated_equivalence_test() -> None:
    """At 600 events the test passes a steady window only when |r| < 0.2 − 1.645·SE (SE = 2/√600): probability
    P(|Z| < (0.2 − 1.645·SE)/SE) ≈ 0.58 for Poisson counts; the simulated rate agrees within 4 binomial SE."""
    from scipy.stats import norm

    rng = np.random.default_rng(7)
    n, trials = 600, 2000
    se = 2 / np.sqrt(n)
    power = 2 * norm.cdf((TOLERANCES["flux_rel"] - 1.6448536269514722 * se) / se) - 1
    passed = np.mean([steadiness(*_window(rng, n / 2, n / 2))["steady"] for _ in range(trials)])
    assert abs(passed - power) < 4 * np.sqrt(power * (1 - power) / trials)


def test_few_events_are_not_shown_steady_so_noise_cannot_help() -> None:
    """The same steady process with 40 events per window: the interval (±52 %) never fits, so the window is
    not shown steady — a significance test ("no detectable change") would pass it instead, and pass it more
    easily the fewer the events."""
    rng = np.random.default_rng(1)
    results = [steadiness(*_window(rng, 20.0, 20.0)) for _ in range(200)]
    assert not any(r["steady"] for r in results)
    assert all("OCR change" in r["reasons"][0] for r in results)
    # the naive test: |n2 - n1| within 1.645 SD of zero, which these windows almost always pass
    naive = [abs(r["ocr_rel_change"]) <= 1.645 * 2 / np.sqrt(r["o2_events"]) for r in results]
    assert np.mean(naive) > 0.85


def test_a_flux_ramp_is_not_steady_and_the_reason_says_so() -> None:
    """Rate rising by half between halves (+40 % relative change) with 1 500 events: flagged every time."""
    rng = np.random.default_rng(2)
    for _ in range(50):
        r = steadiness(*_window(rng, 600.0, 900.0))
        assert not r["steady"] and r["ocr_rel_change_ci"][0] > TOLERANCES["flux_rel"]


@pytest.mark.parametrize(
    ("change", "steady"),
    [({"psi": (180.0, 181.5)}, True), ({"psi": (180.0, 182.5)}, False), ({"atp": (0.90, 0.94)}, True),
     ({"atp": (0.90, 0.84)}, False), ({"nadh": (0.50, 0.56)}, False), ({"nadh": (0.50, 0.46)}, True)],
)  # fmt: skip
def test_potential_and_pool_tolerances(change: dict, steady: bool) -> None:
    """Δψ between halves within 2 mV, ATP and NADH fractions within 0.05: each item alone decides."""
    rng = np.random.default_rng(3)
    r = steadiness(*_window(rng, 5000.0, 5000.0, **change))
    assert r["steady"] is steady, r["reasons"]


def test_an_inhibited_chain_with_no_oxygen_events_has_a_steady_flux() -> None:
    """No O2 reduced in either half: the flux item passes (zero, constant); a reversal between halves fails."""
    rng = np.random.default_rng(4)
    r = steadiness(*_window(rng, 0.0, 0.0))
    assert r["steady"] and r["ocr_rse"] is None and r["o2_events"] == 0
    a, mid, b, pools = _window(rng, 0.0, 0.0)
    mid = {**mid, "o2_consumed": 2.0}
    assert not steadiness(a, mid, b, pools)["steady"]


def test_bad_snapshots_raise() -> None:
    """Snapshots out of time order, or no pool reading in a half, raise ValueError naming the problem."""
    rng = np.random.default_rng(5)
    a, mid, b, pools = _window(rng, 10.0, 10.0)
    with pytest.raises(ValueError, match="time order"):
        steadiness(b, mid, a, pools)
    with pytest.raises(ValueError, match="each half"):
        steadiness(a, mid, b, pools[:10])


def test_summary_and_report_lines_name_the_windows_that_are_not_steady() -> None:
    """`steady_summary` flags each window; `steady_lines` names the unsteady ones with their reasons."""
    rng = np.random.default_rng(6)
    ok = _window(rng, 5000.0, 5000.0)
    bad = _window(rng, 5000.0, 5000.0, psi=(180.0, 190.0))
    s = steady_summary({"state4": {"snapshots": ok[:3], "pool_samples": ok[3]},
                        "state3": {"snapshots": bad[:3], "pool_samples": bad[3]}})  # fmt: skip
    assert s["all_steady"] is False and s["not_steady"] == ["state3"]
    lines = steady_lines({"steadiness": s})
    assert "1 of 2 windows" in lines[0] and lines[-1].startswith("- state3: Δψ moved +10.0 mV")
    assert steady_lines({}) == []


def test_a_window_may_leave_out_a_pool_that_cannot_feed_back() -> None:
    """A window whose cytosolic ATP falls (oligomycin: the demand goes on, the blocked synthases make none) fails
    the pool item with both pools checked and passes with NADH only; the ATP change is still reported, and the
    NADH item still decides. `steady_summary` reads the window's ``steady_pools``; an unknown pool is refused."""
    rng = np.random.default_rng(6)
    window = _window(rng, 5000.0, 5000.0, atp=(0.9, 0.7))
    both = steadiness(*window)
    nadh_only = steadiness(*window, pools=("nadh",))
    assert not both["steady"] and nadh_only["steady"]
    assert nadh_only["atp_fraction_change"] == pytest.approx(-0.2)
    assert not steadiness(*_window(rng, 5000.0, 5000.0, atp=(0.9, 0.7), nadh=(0.5, 0.6)), pools=("nadh",))["steady"]
    a, mid, b, pools = window
    m = {"snapshots": (a, mid, b), "pool_samples": pools}
    assert not steady_summary({"w": m})["all_steady"]
    assert steady_summary({"w": {**m, "steady_pools": ("nadh",)}})["all_steady"]
    with pytest.raises(ValueError, match=r"pools\(=\['glucose'\]\) must be among atp, nadh"):
        steadiness(*window, pools=("glucose",))
