"""The membrane world against its public acceptance targets: criteria evaluated on finished scenario runs.

Key names: `CRITERIA`, `Criterion`, `evaluate`.

Each criterion reads one scenario's ``summary.json`` results (and parameters) and gives one number per run
and whether it meets the target, stated here with its source before any run is read. `evaluate` groups runs by
scenario and gives one row per criterion whose scenario is among them: the values per seed and the verdict,
``met`` only when every seed meets it. Pure functions over summaries; `gradient acceptance RUN_DIR...` prints
the table. The targets are those of the issue "Membrane kinetics that hold up against a published model"
(literature in ``../shared/reference/bioenergetics.md``); they judge the model, nothing tunes towards them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

Results = Mapping[str, Any]


@dataclass(frozen=True)
class Criterion:
    """One acceptance criterion: the scenario it reads, its target and source, the number it measures and the
    test of that number (given the run's results and parameters)."""

    name: str
    scenario: str
    target: str
    source: str
    value: Callable[[Results, Mapping[str, Any]], float | None]
    meets: Callable[[float, Results, Mapping[str, Any]], bool]
    applies: Callable[[Mapping[str, Any]], bool] = lambda p: _nadh_with_leak(p)
    """Which runs the target speaks of, by their parameters (default: NADH-linked, with the leak on)."""
    pooled: Callable[[Sequence[Mapping[str, Any]]], dict[str, Any]] | None = None
    """For a target judged on replicates: the judgement with every run's replicates taken as one sample
    (``value``, ``met``, ``detail``), given the runs' summaries; None where each run stands alone."""


def _nadh_with_leak(p: Mapping[str, Any]) -> bool:
    """The runs the issue's targets speak of: NADH-linked (the default substrate) with the leak on."""
    return p.get("substrate", "nadh") == "nadh" and p.get("k_leak", 1.0) > 0


def _leak_free(p: Mapping[str, Any]) -> bool:
    return p.get("k_leak", 1.0) == 0


def _levels(r: Results) -> list[Mapping[str, Any]]:
    return list(r["levels"])


def _monotone(xs: Sequence[float], rising: bool) -> bool:
    return all((b > a) if rising else (b < a) for a, b in pairwise(xs))


def _ocr_fold(r: Results, _: Mapping[str, Any]) -> float | None:
    lv = _levels(r)
    return lv[-1]["ocr"] / lv[0]["ocr"] if len(lv) > 1 and lv[0]["ocr"] > 0 else None


def _psi_fall(r: Results, _: Mapping[str, Any]) -> float | None:
    lv = _levels(r)
    return lv[0]["delta_psi_mV"] - lv[-1]["delta_psi_mV"] if len(lv) > 1 else None


def _atp_per_o(r: Results) -> list[float]:
    return [lv["atp_per_o"] for lv in _levels(r) if lv["demand"] > 0 and lv.get("atp_per_o") is not None]


def _p_o_limit(p: Mapping[str, Any]) -> float:
    """10/(n/3 + 1) (NADH) or 6/(n/3 + 1) (succinate); n from the run's parameters, else the world's default c8
    (demand_titration has no c_ring parameter)."""
    n = p.get("c_ring", 8)
    return (6 if p.get("substrate") == "succinate" else 10) / (n / 3 + 1)


def _redox_change(key: str, sign: int) -> Callable[[Results, Mapping[str, Any]], float | None]:
    def value(r: Results, _: Mapping[str, Any]) -> float | None:
        lv = _levels(r)
        if len(lv) < 2 or lv[0].get(key) is None or lv[-1].get(key) is None:
            return None
        return sign * (lv[-1][key] - lv[0][key])

    return value


def _seahorse_order(r: Results, _: Mapping[str, Any]) -> float:
    o = r["ocr"]
    return float(o["maximal"] > o["basal"] > o["proton_leak"] > o["non_mitochondrial"])


def _steady(r: Results, _: Mapping[str, Any]) -> float:
    return float(bool(r["steadiness"]["all_steady"]))


_STATES = ("state4", "state3", "state4_after")


def _state4_rse(r: Results, _: Mapping[str, Any]) -> float | None:
    """The larger relative standard error of OCR of the two state-4 windows (1/√n of their O₂ events)."""
    w = r["steadiness"]["windows"]
    rse = [w[k]["ocr_rse"] for k in ("state4", "state4_after")]
    return None if None in rse else max(rse)


def _psi_range(r: Results, _: Mapping[str, Any]) -> float:
    """The highest Δψ (mV) of the three respiratory_control windows (`_psi_in_range` checks all three)."""
    return max(r[s]["delta_psi_mV"] for s in _STATES)


def _psi_in_range(r: Results) -> bool:
    return all(150 <= r[s]["delta_psi_mV"] <= 200 for s in _STATES)


def _ph_part(w: Mapping[str, Any]) -> float:
    """The part of a window's Δp carried by ΔpH, Δp − Δψ = −(2.303·RT/F)·ΔpH (mV)."""
    return w["pmf_mV"] - w["delta_psi_mV"]


def _ph_share(r: Results, _: Mapping[str, Any]) -> float:
    """The largest share of Δp carried by ΔpH over the three windows."""
    return max(_ph_part(r[s]) / r[s]["pmf_mV"] for s in _STATES)


def _ph_share_ok(r: Results) -> bool:
    return all(0 < _ph_part(r[s]) < 0.5 * r[s]["pmf_mV"] for s in _STATES)


def _summation(r: Results, _: Mapping[str, Any]) -> float:
    levels = r["levels"]
    return float(all(lv["sum"]["lo"] <= 1.0 <= lv["sum"]["hi"] for lv in levels))


def _summation_pooled(summaries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The summation theorem on every run's replicates at once (`analysis.control.pool_runs`): ``value`` 1 when
    every level's pooled interval holds 1; ``detail`` gives each level's pooled sum, interval and replicate
    count, and the all-together coefficient. Runs must have different seeds: a seed given twice would count
    the same replicates twice and narrow the interval for nothing."""
    from analysis.control import pool_runs

    seeds = [s["seed"] for s in summaries]
    if len(set(seeds)) < len(seeds):
        return {"value": None, "met": False, "detail": f"not pooled: a seed is given twice ({sorted(seeds)})"}
    try:
        levels = pool_runs([s["results"] for s in summaries])
    except ValueError as e:
        return {"value": None, "met": False, "detail": f"not pooled: {e}"}
    parts = []
    for lv in levels:
        s = lv["sum"]
        if s["lo"] is None:
            parts.append(f"{lv['name']}: Σ C {s['mean']:.2f} (n = {s['n']}, no interval)")
            continue
        part = f"{lv['name']}: Σ C {s['mean']:.2f} [{s['lo']:.2f}, {s['hi']:.2f}] (n = {s['n']})"
        t = lv["together"]
        if t is not None and t["lo"] is not None:
            part += f", all together {t['mean']:.3f} [{t['lo']:.3f}, {t['hi']:.3f}]"
        parts.append(part)
    holds = [lv["summation_holds"] for lv in levels]
    value = None if None in holds else float(all(holds))
    return {"value": value, "met": value == 1.0, "detail": "; ".join(parts)}


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "RCR",
        "respiratory_control",
        "≥ 10",
        "isolated mitochondria ≥ 5, often 10 or more; the Beard-lab model ≈ 23",
        lambda r, p: r["rcr"],
        lambda v, r, p: v >= 10,
    ),
    Criterion(
        "Δp state 4 (mV)",
        "respiratory_control",
        "200–230",
        "Nicholls 1974 Eur J Biochem 50:305 (228 mV)",
        lambda r, p: r["state4"]["pmf_mV"],
        lambda v, r, p: 200 <= v <= 230,
    ),
    Criterion(
        "Δp drop state 4 → 3 (mV)",
        "respiratory_control",
        "30–60",
        "Nicholls 1974 228 → 170 mV; the Beard model's Δψ 186 → 147 mV",
        lambda r, p: r["state4"]["pmf_mV"] - r["state3"]["pmf_mV"],
        lambda v, r, p: 30 <= v <= 60,
    ),
    Criterion(
        "respiratory_control windows steady",
        "respiratory_control",
        "all (1 = yes)",
        "the steadiness check of analysis.steady",
        _steady,
        lambda v, r, p: v == 1,
    ),
    Criterion(
        "state-4 OCR relative standard error (both windows)",
        "respiratory_control",
        "< 0.05",
        "a steady window long enough to read OCR (1/√n of its O₂ events)",
        _state4_rse,
        lambda v, r, p: v < 0.05,
    ),
    Criterion(
        "Δψ in states 4, 3 and 4 again (highest, mV)",
        "respiratory_control",
        "150–200 in each",
        "respiring mitochondria (Nicholls 1974; Porcelli 2005)",
        _psi_range,
        lambda v, r, p: _psi_in_range(r),
    ),
    Criterion(
        "ΔpH share of Δp (largest of the three windows)",
        "respiratory_control",
        "0–0.5 in each",
        "Δψ is the larger part of Δp (Nicholls 1974; Porcelli 2005)",
        _ph_share,
        lambda v, r, p: _ph_share_ok(r),
    ),
    Criterion(
        "P/O in state 3 without leak",
        "respiratory_control",
        "within 0.1 of 10/(n/3 + 1) (NADH) or 6/(n/3 + 1) (succinate)",
        "the mechanistic limit: 10 or 6 H⁺ per O over n/3 + 1 H⁺ per ATP (Hinkle 2005)",
        lambda r, p: r["p_o"],
        lambda v, r, p: abs(v - _p_o_limit(p)) <= 0.1,
        applies=_leak_free,
    ),
    Criterion(
        "titration: OCR fold (highest / lowest demand)",
        "demand_titration",
        "≥ 10",
        "Bazil et al. 2016 (OCR ≈ 10 → 144 nmol O₂/min/U CS, ≈ 14×)",
        _ocr_fold,
        lambda v, r, p: v >= 10,
    ),
    Criterion(
        "titration: Δψ fall (mV), monotone",
        "demand_titration",
        "20–45, falling at every level",
        "Bazil et al. 2016 (Δψ ≈ 183 → 156–162 mV)",
        _psi_fall,
        lambda v, r, p: 20 <= v <= 45 and _monotone([lv["delta_psi_mV"] for lv in _levels(r)], rising=False),
    ),
    Criterion(
        "titration: ATP/O at the highest demand",
        "demand_titration",
        "rising at every level, ≤ 10/(n/3 + 1) (NADH) or 6/(n/3 + 1) (succinate)",
        "the mechanistic limit with n c-subunits; P/O ≈ 2.5 measured (Hinkle 2005)",
        lambda r, p: _atp_per_o(r)[-1] if _atp_per_o(r) else None,
        lambda v, r, p: _monotone(_atp_per_o(r), rising=True) and v <= _p_o_limit(p) + 1e-9,
    ),
    Criterion(
        "titration: cytochrome c reduced, rise",
        "demand_titration",
        "> 0",
        "Bazil et al. 2016 (≈ 0.19 → 0.31)",
        _redox_change("cytc_reduced_fraction", 1),
        lambda v, r, p: v > 0,
    ),
    Criterion(
        "titration: NADH reduced, fall",
        "demand_titration",
        "≥ 0.3",
        "Bazil et al. 2016 (≈ 0.73 → 0.37)",
        _redox_change("nadh_reduced_fraction", -1),
        lambda v, r, p: v >= 0.3,
    ),
    Criterion(
        "titration windows steady",
        "demand_titration",
        "all (1 = yes)",
        "the steadiness check of analysis.steady",
        _steady,
        lambda v, r, p: v == 1,
    ),
    Criterion(
        "Seahorse order: FCCP > basal > oligomycin > rotenone + antimycin A",
        "mito_stress_test",
        "1 = yes",
        "Agilent Seahorse XF Cell Mito Stress Test",
        _seahorse_order,
        lambda v, r, p: v == 1,
    ),
    Criterion(
        "Seahorse windows steady (a sustained maximum)",
        "mito_stress_test",
        "all (1 = yes)",
        "the steadiness check of analysis.steady",
        _steady,
        lambda v, r, p: v == 1,
    ),
    Criterion(
        "flux control coefficients sum to 1 (every level's interval holds 1)",
        "control_analysis",
        "1 = yes",
        "summation theorem (Kacser & Burns 1973; Heinrich & Rapoport 1974)",
        _summation,
        lambda v, r, p: v == 1,
        pooled=_summation_pooled,
    ),
)
"""Every criterion, in the order the table prints them."""


def _label(s: Mapping[str, Any]) -> str:
    """A run's label in a row: its seed, and its substrate when that is not NADH."""
    sub = s["params"].get("substrate", "nadh")
    return f"seed {s['seed']}" + ("" if sub == "nadh" else f" ({sub})")


def _run_key(s: Mapping[str, Any]) -> tuple[int, str]:
    return s["seed"], str(s["params"].get("substrate", ""))


def evaluate(summaries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per criterion with runs it applies to among `summaries` (each a ``summary.json``: ``scenario``,
    ``seed``, ``params``, ``results``; `Criterion.applies` picks the runs — NADH with the leak on for most,
    leak-free runs of either substrate for the P/O limit): ``criterion``, ``scenario``, ``target``, ``source``,
    ``seeds``, ``runs`` (labels: seed, and substrate when not NADH), ``values``
    (one per run, seed order; None where the run cannot give the number), ``met`` per run and ``verdict``
    (``"met"`` when every run meets it, ``"missed"`` when none does, else ``"met in k of n"``), and ``pooled``: for a
    criterion judged on replicates (`Criterion.pooled`) the judgement on all runs' replicates as one sample
    (``value``, ``met``, ``detail``), else None."""
    by_scenario: dict[str, list[Mapping[str, Any]]] = {}
    for s in summaries:
        by_scenario.setdefault(s["scenario"], []).append(s)
    rows = []
    for c in CRITERIA:
        runs = sorted((s for s in by_scenario.get(c.scenario, []) if c.applies(s["params"])), key=_run_key)
        if not runs:
            continue
        values, met = [], []
        for s in runs:
            v = c.value(s["results"], s["params"])
            ok = (
                v is not None and not (isinstance(v, float) and math.isnan(v)) and c.meets(v, s["results"], s["params"])
            )
            values.append(v)
            met.append(bool(ok))
        k = sum(met)
        verdict = "met" if k == len(met) else "missed" if k == 0 else f"met in {k} of {len(met)}"
        pooled = c.pooled(runs) if c.pooled is not None else None
        rows.append(
            {
                "criterion": c.name,
                "scenario": c.scenario,
                "target": c.target,
                "source": c.source,
                "seeds": [s["seed"] for s in runs],
                "runs": [_label(s) for s in runs],
                "values": values,
                "met": met,
                "verdict": verdict,
                "pooled": pooled,
            }
        )
    return rows
