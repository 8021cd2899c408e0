"""Acceptance criteria of the membrane world: each judges a number the way its target says, on real summaries."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from analysis.acceptance import CRITERIA, evaluate
from scenarios.cli import main
from scenarios.registry import all_scenarios
from scenarios.runner import execute

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _golden(name: str, seed: int = 0) -> dict:
    """A real summary of `name` (the golden run at the smoke parameters), as `evaluate` reads it."""
    g = json.loads((GOLDEN / f"{name}.json").read_text())
    params = {k: p.default for k, p in all_scenarios()[name].params.items()} | g["overrides"]
    return {"scenario": name, "seed": seed, "params": params, "results": g["results"]}


def _row(rows: list[dict], name: str) -> dict:
    return next(r for r in rows if r["criterion"] == name)


def test_every_criterion_reads_a_real_summary_of_its_scenario() -> None:
    """Every criterion gives a number (not an error) on a real run of its scenario."""
    scenarios = sorted({c.scenario for c in CRITERIA})
    leak_free = copy.deepcopy(_golden("respiratory_control", seed=1))
    leak_free["params"]["k_leak"] = 0.0
    rows = evaluate([*(_golden(name) for name in scenarios), leak_free])
    assert [r["criterion"] for r in rows] == [c.name for c in CRITERIA]
    for r in rows:
        assert len(r["values"]) == 1 and r["values"][0] is not None, r["criterion"]
    # the P/O limit speaks of leak-free runs only, the other respiratory_control targets of runs with the leak on
    assert _row(rows, "P/O in state 3 without leak")["seeds"] == [1]
    assert _row(rows, "RCR")["seeds"] == [0]


def test_p_o_limit_is_judged_per_substrate_within_0_1() -> None:
    """10/(8/3 + 1) = 2.727 for NADH and 6/(8/3 + 1) = 1.636 for succinate, each ± 0.1."""
    runs = []
    for seed, (substrate, p_o) in enumerate([("nadh", 2.64), ("nadh", 2.62), ("succinate", 1.55), ("succinate", 1.75)]):
        s = copy.deepcopy(_golden("respiratory_control", seed))
        s["params"].update(k_leak=0.0, substrate=substrate, c_ring=8)
        s["results"]["p_o"] = p_o
        runs.append(s)
    row = _row(evaluate(runs), "P/O in state 3 without leak")
    assert row["met"] == [True, False, True, False]
    assert row["runs"] == ["seed 0", "seed 1", "seed 2 (succinate)", "seed 3 (succinate)"]


def _rc(rcr: float, pmf4: float, pmf3: float, seed: int = 0) -> dict:
    s = _golden("respiratory_control", seed)
    s = copy.deepcopy(s)
    s["results"]["rcr"] = rcr
    s["results"]["state4"]["pmf_mV"] = pmf4
    s["results"]["state3"]["pmf_mV"] = pmf3
    return s


def test_targets_are_judged_as_stated_and_every_seed_must_meet_them() -> None:
    """RCR ≥ 10, Δp state 4 in 200–230 mV and a 30–60 mV drop: values on either side of each bound, and the
    verdict counts seeds."""
    rows = evaluate([_rc(10.0, 200.0, 170.0, seed=0), _rc(9.99, 231.0, 205.0, seed=1)])
    assert _row(rows, "RCR")["met"] == [True, False]
    assert _row(rows, "RCR")["verdict"] == "met in 1 of 2"
    assert _row(rows, "Δp state 4 (mV)")["met"] == [True, False]
    assert _row(rows, "Δp drop state 4 → 3 (mV)")["values"] == [30.0, 26.0]
    assert _row(rows, "Δp drop state 4 → 3 (mV)")["met"] == [True, False]
    both = evaluate([_rc(12.0, 210.0, 170.0, seed=3), _rc(11.0, 220.0, 175.0, seed=2)])
    assert _row(both, "RCR")["verdict"] == "met" and _row(both, "RCR")["seeds"] == [2, 3]
    assert _row(evaluate([_rc(3.0, 150.0, 149.0)]), "RCR")["verdict"] == "missed"


def _windows(rse: tuple[float, float], psi: tuple[float, float, float], pmf: tuple[float, float, float]) -> dict:
    """A respiratory_control summary with the given state-4 OCR errors and (Δψ, Δp) per window."""
    s = copy.deepcopy(_golden("respiratory_control"))
    r = s["results"]
    for name, e in zip(("state4", "state4_after"), rse, strict=True):
        r["steadiness"]["windows"][name]["ocr_rse"] = e
    for name, v, p in zip(("state4", "state3", "state4_after"), psi, pmf, strict=True):
        r[name]["delta_psi_mV"], r[name]["pmf_mV"] = v, p
    return s


def test_window_criteria_check_every_window_not_only_the_first() -> None:
    """State-4 OCR's relative standard error < 0.05 in both state-4 windows; Δψ in 150–200 mV and a ΔpH share of
    Δp in (0, ½) in each of the three windows: a miss in any one window (the last one here) misses the target."""
    rse, psi, share = (
        "state-4 OCR relative standard error (both windows)",
        "Δψ in states 4, 3 and 4 again (highest, mV)",
        "ΔpH share of Δp (largest of the three windows)",
    )
    good = _windows((0.03, 0.049), (199.0, 160.0, 195.0), (207.0, 170.0, 203.0))
    rows = evaluate([good])
    assert [_row(rows, n)["met"] for n in (rse, psi, share)] == [[True]] * 3
    assert _row(rows, rse)["values"] == [0.049] and _row(rows, psi)["values"] == [199.0]
    assert _row(rows, share)["values"][0] == pytest.approx(10.0 / 170.0)
    bad = _windows((0.03, 0.051), (199.0, 160.0, 201.0), (207.0, 170.0, 200.0))  # ΔpH pulls the wrong way last
    rows = evaluate([bad])
    assert [_row(rows, n)["met"] for n in (rse, psi, share)] == [[False]] * 3
    half = _windows((0.03, 0.03), (199.0, 160.0, 150.0), (207.0, 170.0, 300.0))  # ΔpH carries half of Δp
    rows = evaluate([half])
    assert _row(rows, psi)["met"] == [True] and _row(rows, share)["met"] == [False]


def _titration(ocr: list[float], psi: list[float], atp_o: list[float | None], cytc: list[float], nadh: list[float]):
    s = copy.deepcopy(_golden("demand_titration"))
    demand = [0.0, 150.0, 300.0, 600.0][: len(ocr)]
    s["results"]["levels"] = [
        {"demand": d, "ocr": o, "delta_psi_mV": v, "atp_per_o": a, "cytc_reduced_fraction": c,
         "nadh_reduced_fraction": n}
        for d, o, v, a, c, n in zip(demand, ocr, psi, atp_o, cytc, nadh, strict=True)
    ]  # fmt: skip
    return s


def test_titration_criteria_need_monotone_curves_and_the_sizes_of_the_data() -> None:
    good = _titration([10, 40, 70, 120], [190, 180, 172, 160], [None, 1.6, 2.0, 2.4], [0.1, 0.15, 0.2, 0.3],
                      [0.8, 0.7, 0.55, 0.4])  # fmt: skip
    rows = evaluate([good])
    for name in ("titration: OCR fold (highest / lowest demand)", "titration: Δψ fall (mV), monotone",
                 "titration: ATP/O at the highest demand", "titration: cytochrome c reduced, rise",
                 "titration: NADH reduced, fall"):  # fmt: skip
        assert _row(rows, name)["met"] == [True], name
    # the same ends with a bump in the middle: the Δψ fall and ATP/O are no longer monotone
    bumpy = _titration([10, 40, 70, 120], [190, 192, 172, 160], [None, 1.6, 1.5, 2.4], [0.1, 0.15, 0.2, 0.3],
                       [0.8, 0.7, 0.55, 0.4])  # fmt: skip
    rows = evaluate([bumpy])
    assert _row(rows, "titration: Δψ fall (mV), monotone")["met"] == [False]
    assert _row(rows, "titration: ATP/O at the highest demand")["met"] == [False]
    # an ATP/O above the mechanistic limit 10/(8/3 + 1) = 2.73 is refused; 9.9× OCR and a 0.29 NADH fall miss
    over = _titration([10, 40, 70, 99], [190, 180, 172, 160], [None, 1.6, 2.0, 2.8], [0.3, 0.3, 0.3, 0.2],
                      [0.8, 0.7, 0.6, 0.51])  # fmt: skip
    rows = evaluate([over])
    assert _row(rows, "titration: ATP/O at the highest demand")["met"] == [False]
    assert _row(rows, "titration: OCR fold (highest / lowest demand)")["met"] == [False]
    assert _row(rows, "titration: cytochrome c reduced, rise")["met"] == [False]
    assert _row(rows, "titration: NADH reduced, fall")["met"] == [False]


@pytest.mark.slow
def test_acceptance_command_prints_the_table_and_writes_nothing(tmp_path: Path, capsys) -> None:
    """`gradient acceptance` on two finished runs prints a row per target and changes no file; a directory
    without a finished run is bad input (exit 2, one line)."""
    for seed in (0, 1):
        execute(
            "respiratory_control",
            tmp_path / f"rc{seed}",
            seed=seed,
            overrides=all_scenarios()["respiratory_control"].smoke,
        )
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert main(["acceptance", str(tmp_path / "rc0"), str(tmp_path / "rc1"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    names = [r["criterion"] for r in out["rows"]]
    params = _golden("respiratory_control")["params"]
    assert names == [c.name for c in CRITERIA if c.scenario == "respiratory_control" and c.applies(params)]
    assert all(r["seeds"] == [0, 1] for r in out["rows"])
    assert main(["acceptance", str(tmp_path / "rc0")]) == 0
    assert "RCR" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before
    (tmp_path / "empty").mkdir()
    assert main(["acceptance", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no finished run" in err[0]


def test_summation_is_also_judged_on_all_runs_replicates_pooled(tmp_path: Path, capsys) -> None:
    """Two real control_analysis runs (smoke size, 2 replicates each): the summation row judges each run and,
    in ``pooled``, all 4 replicates as one sample, the same numbers `analysis.control.pool_runs` gives; the table
    prints that as a row of its own."""
    from analysis.control import pool_runs

    summaries = []
    for seed in (0, 1):
        out = tmp_path / f"ca{seed}"
        execute("control_analysis", out, seed=seed, overrides=all_scenarios()["control_analysis"].smoke)
        summaries.append(json.loads((out / "summary.json").read_text()))
    name = "flux control coefficients sum to 1 (every level's interval holds 1)"
    row = _row(evaluate(summaries), name)
    assert row["seeds"] == [0, 1]
    levels = pool_runs([s["results"] for s in summaries])
    assert [lv["sum"]["n"] for lv in levels] == [4, 4]
    assert row["pooled"]["value"] == float(all(lv["summation_holds"] for lv in levels))
    for lv in levels:
        assert (
            f"{lv['name']}: Σ C {lv['sum']['mean']:.2f} [{lv['sum']['lo']:.2f}, {lv['sum']['hi']:.2f}] (n = 4)"
            in (row["pooled"]["detail"])
        )
    assert main(["acceptance", str(tmp_path / "ca0"), str(tmp_path / "ca1")]) == 0
    assert "runs pooled" in capsys.readouterr().out
    one = _row(evaluate(summaries[:1]), name)["pooled"]
    assert "(n = 2)" in one["detail"]
    twice = _row(evaluate([summaries[0], summaries[0]]), name)["pooled"]  # the same replicates twice: refused
    assert twice["value"] is None and not twice["met"] and "seed is given twice" in twice["detail"]
