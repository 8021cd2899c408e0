"""Numbers and report of the `side_by_side` scenario: both gradient engines measured with one set of instruments.

Key names: `side_by_side_numbers`, `report_side_by_side`.

`side_by_side_numbers` turns the per-replicate measurements (`analysis.side_by_side_measures`) into the
scenario's results: fits with determinacy, the equivalence verdict under both training schedules, every
analogy row decided, entropy in nats, efficiencies while charging and at steady state, and the per-seed curves.
`report_side_by_side` re-renders ``report.md`` and every figure from ``summary.json`` alone
(`gradient report DIR`); the figures are drawn by `analysis.figures_side_by_side`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.analogy import ROW_PREDICTIONS, decide_rows
from analysis.comparison import (
    ALPHA,
    ANALOGY_ROWS,
    BETA_MARGIN,
    MIN_SEEDS,
    PILOT_BETA_SD,
    analogy_table,
    pattern_verdict,
    power_statement,
)
from analysis.efficiency import atp_free_energy_J, attention_flops, bits_per_flop, landauer_J
from analysis.figures_side_by_side import draw_all
from analysis.order import phi_membrane
from analysis.relaxation import R2_MIN
from analysis.report import Section, write_report

FIT_NAMES = ("membrane_charge", "membrane_discharge", "attention_training", "attention_control")


def _stats(values: list[float]) -> dict[str, float]:
    arr = np.asarray([v for v in values if v is not None], np.float64)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return {"mean": float("nan"), "sd": float("nan"), "n": 0}
    return {"mean": float(arr.mean()), "sd": float(arr.std(ddof=1)) if arr.size > 1 else 0.0, "n": int(arr.size)}


def _efficiency(membrane: dict[str, float], attention: dict[str, float]) -> dict[str, float]:
    flops = attention_flops(int(attention["vocab"]), int(attention["d_model"]), int(attention["n_layers"]),
                            int(attention["n_ctx"]), int(attention["mlp_hidden"]))  # fmt: skip
    train_flops = attention["train_tokens_scored"] * flops["train_per_token"]
    infer_flops = attention["tokens_done"] * flops["forward_per_token"]
    dg = membrane["dg_atp_matrix_kJ_per_mol"]

    def ratio(a: float, b: float) -> float:
        return a / b if b > 0 else float("nan")

    atp_J = atp_free_energy_J(membrane["atp_made_charge"], dg)
    return {
        "membrane_atp_over_redox": ratio(atp_J, membrane["redox_released_charge_J"]),
        "membrane_p_over_o": ratio(membrane["atp_made_charge"], 2 * membrane["o2_charge"]),
        "membrane_atp_over_redox_steady": ratio(
            atp_free_energy_J(membrane["atp_made_steady"], dg), membrane["redox_released_steady_J"]
        ),
        "membrane_p_over_o_steady": ratio(membrane["atp_made_steady"], 2 * membrane["o2_steady"]),
        "attention_training_bits_per_flop": bits_per_flop(attention["train_bits_saved"], train_flops),
        "attention_inference_bits_per_flop": bits_per_flop(attention["inference_bits_saved"], infer_flops),
        "training_flops": train_flops,
        "inference_flops": infer_flops,
        "landauer_J_training_bits": landauer_J(attention["train_bits_saved"], membrane["temperature_K"]),
        "landauer_J_per_bit": landauer_J(1.0, membrane["temperature_K"]),
        "membrane_atp_free_energy_J": atp_J,
    }


def _entropy(measures: list[dict[str, Any]], attention: dict[str, float]) -> dict[str, Any]:
    keys = measures[0]["entropy"].keys()
    out: dict[str, Any] = {}
    for k in keys:
        vals = [m["entropy"][k] for m in measures]
        out[k] = _stats([v["slope"] if isinstance(v, dict) else v for v in vals])
        if isinstance(vals[0], dict):
            out[k]["replicate0"] = vals[0]
    out["attention_training_nats_learned"] = attention["train_bits_saved"] * np.log(2.0)
    return out


def side_by_side_numbers(
    membrane: dict[str, float],
    attention: dict[str, float],
    measures: list[dict[str, Any]],
    *,
    t_charge: float,
    t_discharge: float,
) -> dict[str, Any]:
    """Assemble the scenario's results from per-replicate measurements and replicate 0's totals."""
    fits = [{"replicate": r, **m["fits"]} for r, m in enumerate(measures)]
    betas = {name: [f[name]["beta"] for f in fits] for name in FIT_NAMES}
    main = pattern_verdict(
        betas["membrane_charge"], betas["attention_training"], [m["shape_p"]["training"] for m in measures]
    )
    control = pattern_verdict(
        betas["membrane_charge"], betas["attention_control"], [m["shape_p"]["control"] for m in measures]
    )
    shared = bool(main["shared"] and control["shared"])
    relaxation = {
        f"{name}_{key}": _stats([f[name][key] for f in fits]) for name in FIT_NAMES for key in ("tau", "beta")
    }
    determinacy = {
        name: {"determined": sum(bool(f[name]["determined"]) for f in fits), "of": len(fits),
               "reasons": _count([f[name]["reason"] for f in fits if not f[name]["determined"]])}
        for name in FIT_NAMES
    }  # fmt: skip
    effects = {
        role: {
            "membrane": [m["effects"][role][0] for m in measures if m["effects"][role][0] is not None],
            "attention": [m["effects"][role][1] for m in measures if m["effects"][role][1] is not None],
        }
        for role in (p.role for p in ROW_PREDICTIONS)
    }
    rows = analogy_table(
        {
            "membrane": {
                "electron transport chain": ("H⁺ pumped while charging", membrane["h_pumped_charge"], "H+"),
                "proton gradient": ("Δp after charging", membrane["pmf_charged_mV"], "mV"),
                "ATP": ("ATP made while discharging", membrane["atp_made_discharge"], "ATP"),
                "ATP synthase": ("H⁺ per ATP at the rotor", membrane["h_per_atp_rotor"], "H+/ATP"),
                "metabolism": ("ATP synthesis rate while charging", membrane["atp_rate_charged"], "ATP/s"),
            },
            "attention": {
                "gradient descent": ("bits saved while training", attention["train_bits_saved"], "bit"),
                "weights": ("held-out excess loss after training", attention["heldout_excess_nats"], "nats/token"),
                "logits": ("bits saved per token in inference", attention["inference_bits_saved_per_token"], "bit"),
                "attention": (
                    "next-token entropy in inference",
                    attention["inference_next_token_entropy_nats"],
                    "nats",
                ),
                "inference": ("tokens processed", attention["tokens_done"], "tokens"),
            },
        }
    )
    decided = decide_rows(effects)
    n = len(measures)
    return {
        "membrane": {
            **membrane,
            "phi_charged": float(phi_membrane(np.array([membrane["pmf_charged_mV"]]))[0]),
            "phi_end": float(phi_membrane(np.array([membrane["pmf_end_mV"]]))[0]),
        },
        "attention": attention,
        "phi_membrane_charged": float(phi_membrane(np.array([membrane["pmf_charged_mV"]]))[0]),
        "phi_attention_trained": attention["phi_trained"],
        "relaxation": relaxation,
        "determinacy": determinacy,
        "fits": fits,
        "verdict": {
            **main,
            "shared": shared,
            "shared_main_schedule": main["shared"],
            "statement": _statement(main, control),
        },
        "verdict_control": control,
        "pattern_shared": shared,
        "power": {
            "training": power_statement(n, PILOT_BETA_SD["membrane_charge"], PILOT_BETA_SD["attention_training"]),
            "control": power_statement(n, PILOT_BETA_SD["membrane_charge"], PILOT_BETA_SD["attention_control"]),
        },
        "rows": decided,
        "rows_holding": sum(r["verdict"] == "holds" for r in decided),
        "efficiency": _efficiency(membrane, attention),
        "entropy": _entropy(measures, attention),
        "curves": {"replicates": [m["curves"] for m in measures]},
        "analogy": rows.to_dict("records"),
        "tables": {
            "analogy": [
                {"row": f"{mem} ↔ {att}", "verdict": d["verdict"]}
                for (mem, att, _), d in zip(ANALOGY_ROWS, decided, strict=True)
            ]
        },
        "phases": {"t_charge": t_charge, "t_discharge": t_discharge},
    }


def _count(reasons: list[str]) -> list[str]:
    return [f"{reasons.count(r)}× {r}" for r in sorted(set(reasons))]


def _statement(main: dict[str, Any], control: dict[str, Any]) -> str:
    if main["shared"] and control["shared"]:
        return "the relaxation pattern is shared, and it survives a change of the optimiser's warm-up"
    if main["shared"]:
        return (
            "the pattern is not shared robustly: the declared test passes with the main training but fails for the "
            f"control training with another learning-rate warm-up ({control['statement']})"
        )
    return f"{main['statement']} (control training: {control['statement'].removeprefix('the pattern is not shared: ')})"


def _num(x: Any) -> float:
    return float("nan") if x is None else float(x)


def report_side_by_side(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and its figures for a `side_by_side` run, from ``summary.json`` alone."""
    res, par = summary["results"], summary["params"]
    figs = draw_all(out_dir, res, par)
    verdict, ctl = res["verdict"], res["verdict_control"]
    vb, cb = verdict["beta"], ctl["beta"]  # numbers may be None (NaN) or "inf"/"-inf" in summary.json: use _num
    pw = res["power"]
    rel, det = res["relaxation"], res["determinacy"]
    fits_table = pd.DataFrame(
        [
            {
                "relaxation": name.replace("_", " "),
                "determined": f"{det[name]['determined']} of {det[name]['of']}",
                "τ mean (s)": _num(rel[f"{name}_tau"]["mean"]),
                "τ sd (s)": _num(rel[f"{name}_tau"]["sd"]),
                "β mean": _num(rel[f"{name}_beta"]["mean"]),
                "β sd": _num(rel[f"{name}_beta"]["sd"]),
                "why not determined": "; ".join(det[name]["reasons"]) or "—",
            }
            for name in FIT_NAMES
        ]
    )
    decided = pd.DataFrame(
        [
            {"membrane ↔ attention": f"{mem} ↔ {att}", "role": role, "prediction": r["prediction"],
             "measured (membrane / attention)": f"{r['membrane_effect']} / {r['attention_effect']}",
             "verdict": f"**{r['verdict']}**", "numbers (mean [95 % CI] over seeds)": r["reason"]}
            for (mem, att, role), r in zip(ANALOGY_ROWS, res["rows"], strict=True)
        ]
    )  # fmt: skip
    measured = pd.DataFrame(res["analogy"]).rename(
        columns={"role": "why paired", "membrane_quantity": "membrane measure", "membrane_value": "value",
                 "membrane_unit": "unit", "attention_quantity": "attention measure", "attention_value": "value ",
                 "attention_unit": "unit "}
    )  # fmt: skip
    ent = res["entropy"]

    def ci(key: str) -> str:
        e = ent[key]
        r0 = e.get("replicate0", {})
        return (f"{_num(e['mean']):+.3g} ± {_num(e['sd']):.2g} over {e['n']} seeds "
                f"(seed 0: 95 % CI {_num(r0.get('ci_low')):+.3g} … {_num(r0.get('ci_high')):+.3g})")  # fmt: skip

    ent_rows = [
        ("membrane", "proton field Shannon entropy, dS/dt during the build-up", "membrane_field_dSdt_per_proton",
         "nats/(proton·s)"),
        ("membrane", "same, whole field (× free protons)", "membrane_field_dSdt_total", "nats/s"),
        ("membrane", "entropy produced, heat/(k_B·T), rate during the build-up", "membrane_produced_dSdt", "nats/s"),
        ("attention", "cross-entropy dH/dt during training (first τ)", "attention_training_dHdt", "nats/(token·s)"),
        ("attention", "next-token entropy dH/dt during inference", "attention_inference_dHdt", "nats/(token·s)"),
    ]  # fmt: skip
    drop = _num(ent["attention_inference_drop_per_token"]["mean"])
    entropy_table = pd.DataFrame(
        [(w, q, ci(k), u) for w, q, k, u in ent_rows]
        + [
            ("attention", "entropy drop per token in inference, ln V − H(next)", f"{drop:.3g}", "nats/token"),
            ("attention", "nats learned by training (bits saved × ln 2)",
             f"{ent['attention_training_nats_learned']:.4g}", "nats"),
        ],
        columns=["world", "quantity", "value", "unit"],
    )  # fmt: skip
    eff = res["efficiency"]
    eff_table = pd.DataFrame(
        [
            ("membrane", "ΔG of ATP made / redox ΔG released", eff["membrane_atp_over_redox"],
             eff["membrane_atp_over_redox_steady"], "J/J"),
            ("membrane", "P/O", eff["membrane_p_over_o"], eff["membrane_p_over_o_steady"], "ATP/O"),
            ("attention", "bits saved per FLOP (training / inference)", eff["attention_training_bits_per_flop"],
             eff["attention_inference_bits_per_flop"], "bit/FLOP"),
        ],
        columns=["world", "measure", "charging from rest", "steady state (2nd half of charging)", "unit"],
    )  # fmt: skip
    mem = res["membrane"]
    stall = _num(mem["dg_atp_cytosol_kJ_per_mol"]) * 1e3 / (96485.0 * _num(mem["h_per_atp_rotor"])) * 1e3
    sections = [
        Section(
            "Verdict",
            [
                f"**{verdict['statement'][:1].upper() + verdict['statement'][1:]}.**",
                "Declared before the run: the pattern is shared only if (1) the stretching exponent β of the "
                "build-up is "
                f"*equivalent* in the two worlds by two one-sided tests (TOST) at margin ±{BETA_MARGIN} and level "
                f"{ALPHA} "
                f"(the 90 % interval of Δβ inside ±{BETA_MARGIN}) over at least {MIN_SEEDS} seeds, and (2) the "
                "attention "
                "curve φ(t/τ) is closer to the membrane's than monotone relaxations of every rival family (single "
                "exponential, stretched with β ± 0.5, logistic, power law) fitted to it and given its own noise "
                "(Fisher-"
                f"combined over seeds, every family p < {ALPHA}); and both hold again for a control training with "
                "another "
                "learning-rate warm-up. A failed TOST says 'differs' when the 90 % interval excludes 0, else 'not "
                "shown'.",
                f"Main training: Δβ = {_num(vb['diff']):+.3f} (90 % CI {_num(vb['ci_low']):+.3f} … "
                f"{_num(vb['ci_high']):+.3f}, TOST p = {_num(vb['p_value']):.3g}) → "
                f"{verdict['beta_status']}; "
                f"shape p by family {_fmt_p(verdict['shape_p'])}. Control (warm-up {par['control_warmup']} instead of "
                f"{par['warmup']}): Δβ = {_num(cb['diff']):+.3f} (90 % CI {_num(cb['ci_low']):+.3f} … "
                f"{_num(cb['ci_high']):+.3f}) → {ctl['beta_status']}; shape p {_fmt_p(ctl['shape_p'])}.",
                f"Power, stated before the run from the pilot spread of β (sd {PILOT_BETA_SD['membrane_charge']} "
                "membrane, "
                f"{PILOT_BETA_SD['attention_training']} training, {PILOT_BETA_SD['attention_control']} control): with "
                f"{pw['training']['seeds']} seeds the TOST has power {_num(pw['training']['power']):.2f} (main) and "
                f"{_num(pw['control']['power']):.2f} (control) to show equivalence if Δβ were 0; 80 % power needs "
                f"{pw['training']['seeds_for_80_percent']} seeds for the main training (`--set replicates=…`). "
                "So a 'not shown' at the defaults is not evidence of a difference; a 'differs' is.",
            ],
        ),
        Section(
            "The analogy, decided",
            [
                "For every row the analogy makes one declared prediction (`analysis.analogy`), measured per seed in "
                "both worlds as a dimensionless effect. A world shows it when the 95 % interval of its seed mean is on "
                "the predicted side of the threshold; the row **holds** when both do, **breaks** when one does and the "
                "other does not (or neither does), **partly** when an interval straddles the threshold. Row 4 uses the "
                f"first {par['n_blocked']} seeds (oligomycin at the fuel cut; every head ablated for inference).",
            ],
            [decided],
            [figs["rows"]],
        ),
        Section(
            "The analogy's quantities",
            [
                "What each row pairs, measured at seed 0 in each world's own unit; 'why paired' is the role both play.",
            ],
            [measured],
        ),
        Section(
            "Both gradients on one axis",
            [
                "φ normalises each world's gradient: 0 at equilibrium (no Δp; a uniform predictor), 1 at its maximum "
                "(the stall potential of the fully coupled chain, 227 mV; prediction at the entropy rate). Lines: "
                "median "
                "over seeds; bands: 10–90 % of seeds. The attention side is measured over the whole discharge window "
                "from the token stream (windowed cross-entropy), and the control training is drawn too. Inference "
                "reads "
                "the weights without spending them; making ATP spends Δp.",
                f"The membrane does not drain to 0: it ends at Δp = {mem['pmf_end_mV']:.0f} mV (φ = "
                f"{mem['phi_end']:.2f}). "
                f"With complex I blocked the cytosolic ATP pool (ΔG_ATP = {_num(mem['dg_atp_cytosol_kJ_per_mol']):.1f} "
                f"kJ/mol) can hold Δp near the synthase's stall, ΔG_ATP / (n_H⁺/ATP · F) ≈ {stall:.0f} mV at "
                f"{_num(mem['h_per_atp_rotor']):.2f} H⁺/ATP, where synthesis stops and the rotors run either way.",
            ],
            figures=[figs["gradients"]],
        ),
        Section(
            "Entropy in one unit (nats = k_B)",
            [
                "Both worlds in nats. The membrane's 'dS/dt < 0' is the proton field's coarse-grained Shannon entropy "
                "falling as the gradient builds (ordering), paid for by entropy produced as heat, Q/(k_B·T). The "
                "attention "
                "world's 'dH/dt < 0' is the cross-entropy falling while training (order written into the weights); "
                "during "
                "inference H does not fall over time — each token lowers the uncertainty of its next symbol from ln "
                "V to "
                "H(next), at a rate set by the weights, which stay as they are.",
            ],
            [entropy_table],
            [figs["entropy"]],
        ),
        Section(
            "Relaxation fits",
            [
                "Stretched exponentials y∞ + (y₀ − y∞)·exp(−((t − t₀)/τ)^β). A fit counts as determined only if its "
                "covariance is finite, no parameter sits at a search bound, the 95 % intervals of τ and β are "
                "narrower than the values, y∞ lies within the data's range widened by their span, and "
                f"r² ≥ {R2_MIN} (`analysis/relaxation.py`); an undetermined fit's numbers are NaN (—) with the reason, "
                "it is left out of the tests and not drawn.",
            ],
            [fits_table],
            [figs["fits"], figs["shape"]],
        ),
        Section(
            "Efficiency",
            [
                f"At T = {mem['temperature_K']} K, k_B·T·ln 2 = {eff['landauer_J_per_bit']:.3g} J per bit; the "
                "Landauer "
                f"minimum for the training's bits is {eff['landauer_J_training_bits']:.3g} J. Charging from rest "
                "spends "
                "redox energy on building Δp, so its efficiency is lower than at steady state.",
            ],
            [eff_table],
        ),
    ]
    return write_report(out_dir, "Two gradient engines, side by side", summary, sections)


def _fmt_p(p: dict[str, float]) -> str:
    return ", ".join(f"{k} {_num(v):.2g}" for k, v in p.items()) or "(no determined fits)"
