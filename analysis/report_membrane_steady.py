"""Reports of the membrane steady-state scenarios: `demand_titration`, `c_ring` and `inhibitors`.

Key names: `report_demand_titration`, `tables_demand_titration`, `report_c_ring`, `tables_c_ring`,
`report_inhibitors`, `tables_inhibitors`, `p_o_max`, `h_per_atp`.

- `demand_titration`: the flux–force relation — OCR and ATP synthesis against Δp at each demand level (the
  window means), with the sampled points of each window behind them.
- `c_ring`: P/O and H⁺/ATP against the c-ring size n, next to the mechanistic lines n/3 (protons through the
  rotor per ATP), n/3 + 1 (with the phosphate/ATP–ADP transport proton) and 10/(n/3 + 1) (P/O for NADH).
- `inhibitors`: OCR and Δψ before and after each inhibitor, for NADH- and for succinate-linked respiration.

The steady-state scenarios' numbers come from the summary (exact window averages of the counters);
`demand_titration` also reads ``metrics.parquet`` for the samples behind each mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from analysis.report import Section, legend_outside, rows_table, save_figure, write_report
from world.trace import read_metrics


def p_o_max(n: float | np.ndarray, electrons_h: float = 10.0) -> float | np.ndarray:
    """Mechanistic P/O: H⁺ pumped per O (10 for NADH, 6 for succinate) over H⁺ per ATP made and exported."""
    return electrons_h / (np.asarray(n) / 3.0 + 1.0)


def h_per_atp(n: float | np.ndarray, transport: bool = False) -> float | np.ndarray:
    """Protons per ATP: n/3 through a rotor with n c-subunits (three ATP per turn), +1 for the transport."""
    return np.asarray(n) / 3.0 + (1.0 if transport else 0.0)


# ------------------------------------------------------------------------------------------- demand titration
REDOX = (
    ("nadh_reduced_fraction", "NADH reduced", "NADH / (NADH + NAD⁺)"),
    ("qh2_fraction", "QH2 reduced", "QH₂ / (Q + QH₂)"),
    ("cytc_reduced_fraction", "cyt c reduced", "reduced cytochrome c"),
)
"""Redox fractions of a window (summary key, console column, figure label); older summaries lack them."""


MOVE_LABELS = {
    "ComplexI": "I",
    "ComplexII": "II",
    "ComplexIII": "III",
    "ComplexIV": "IV",
    "ATPSynthase": "synthase (per ATP)",
    "NucleotideExchanger": "exchanger",
    "AdenineNucleotideTranslocase": "translocase",
    "PhosphateCarrier": "Pi carrier",
    "LeakSite": "leak (per H⁺)",
}
"""Console column of each site class's ΔG of one forward move (`MembraneWorld.move_dG_kJ_per_mol`)."""


def move_dG_rows(label: str, windows: list[tuple[Any, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """One row per window (first column `label`): the mean ΔG (kJ/mol) of one forward move of each site class;
    negative runs forward, near 0 is near equilibrium. Empty for summaries made before it was recorded."""
    rows = []
    for name, w in windows:
        dg = w.get("move_dG_kJ_per_mol")
        if dg is None:
            return []
        rows.append({label: name, **{MOVE_LABELS.get(k, k): v for k, v in dg.items()}})
    return rows


def tables_demand_titration(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """OCR, Δψ, Δp, ATP synthesis, ATP/O and the redox fractions per demand level."""
    rows = [
        {
            "demand (ATP/s)": r["demand"],
            "OCR (O2/s)": r["ocr"],
            "Δψ (mV)": r["delta_psi_mV"],
            "Δp (mV)": r["pmf_mV"],
            "ATP synthesis (ATP/s)": r["atp_rate"],
            "ATP/O": r["atp_per_o"],
            **{column: r[key] for key, column, _ in REDOX if key in r},
        }
        for r in results["levels"]
    ]
    dg = move_dG_rows("demand (ATP/s)", [(r["demand"], r) for r in results["levels"]])
    return {"per demand level (window means)": rows, **({"ΔG of one forward move (kJ/mol)": dg} if dg else {})}


def _flux_force(out_dir: Path, summary: Mapping[str, Any]) -> str:
    p, rows = summary["params"], summary["results"]["levels"]
    m = read_metrics(out_dir, wide=True, world="membrane")
    t = m.index.to_numpy(float)
    redox = [(key, label) for key, _, label in REDOX if key in rows[0]]
    fig, axes = plt.subplots(1, 3 if redox else 2, figsize=(13.0 if redox else 9.0, 3.8), layout="constrained")
    for i in range(len(rows)):
        t1 = p["warmup"] + (i + 1) * p["hold"]
        inside = (t > t1 - p["window"]) & (t <= t1)
        for ax, col in zip(axes[:2], ("ocr", "atp_rate"), strict=True):
            ax.plot(m["pmf_mV"][inside], m[col][inside], ".", ms=3, color=f"C{i}", alpha=0.35)
    pmf = [r["pmf_mV"] for r in rows]
    for ax, key, ylabel in zip(axes[:2], ("ocr", "atp_rate"), ("OCR (O₂/s)", "ATP synthesis (ATP/s)"), strict=True):
        ax.plot(pmf, [r[key] for r in rows], "-", color="0.3", lw=1.0, zorder=2)
        for i, r in enumerate(rows):
            ax.plot(r["pmf_mV"], r[key], "o", color=f"C{i}", ms=7, mec="k", zorder=3, label=f"{r['demand']:g} ATP/s")
        ax.set_ylabel(ylabel)
        ax.set_xlabel("Δp (mV)")
    axes[0].set_title("respiration (flux) against Δp (force)", fontsize=9)
    axes[1].set_title("ATP synthesis against Δp", fontsize=9)
    if redox:
        ax = axes[2]
        demand = [r["demand"] for r in rows]
        for j, (key, label) in enumerate(redox):
            ax.plot(demand, [r[key] for r in rows], "s-", color=f"C{j + len(rows)}", ms=6, label=label)
        ax.set_xlabel("ATP demand (ATP/s)")
        ax.set_ylabel("reduced fraction")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title("redox states against demand (window means)", fontsize=9)
        legend_outside(ax, title="pool")
    legend_outside(axes[1], title="ATP demand")
    return save_figure(fig, out_dir, "flux_force")


def report_demand_titration(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and the flux–force figure for a `demand_titration` run."""
    out_dir = Path(out_dir)
    res = summary["results"]
    fig = _flux_force(out_dir, summary)
    text = [
        "Each demand level is held for `hold` s and measured over its last `window` s (whether each window was a "
        "steady state: the Steady states section); the large markers are the window means, the small dots the "
        "metric samples inside those windows. Respiratory control shows as the flux (OCR) rising while the force "
        "(Δp) falls: the chain's rates are in detailed balance with Δp, so a lower Δp lets it run faster. OCR rises "
        f"with demand: {res['ocr_rises_with_demand']}; Δψ falls with demand: {res['psi_falls_with_demand']}. ATP/O "
        "is ATP made per O atom reduced in the window.",
    ]
    if "redox_change" in res:
        change = res["redox_change"]
        text.append(
            "Redox states (right panel): from the first to the last level the reduced fraction of NAD changes by "
            f"{change['nadh_reduced_fraction']:+.2f}, of the quinone pool by {change['qh2_fraction']:+.2f} and of "
            f"cytochrome c by {change['cytc_reduced_fraction']:+.2f}. In isolated mitochondria (Bazil et al. 2016) "
            "NADH reduction falls (≈ 0.73 → 0.37) and cytochrome c reduction rises (≈ 0.19 → 0.31) as demand rises."
        )
    tables = [rows_table(r) for r in tables_demand_titration(res).values()]
    return write_report(
        out_dir, "Demand titration: flux against force", summary, [Section("Flux–force curve", text, tables, [fig])]
    )


# --------------------------------------------------------------------------------------------------- c-ring
def _rings(results: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    rings = [(int(k[1:]), v) for k, v in results.items() if k.startswith("c") and k[1:].isdigit()]
    return sorted(rings)


def tables_c_ring(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """H⁺/ATP and P/O per c-ring size, measured and mechanistic."""
    rows = [
        {
            "c-ring n": n,
            "H+/ATP rotor": r["h_per_atp_rotor"],
            "n/3": r["h_per_atp_expected"],
            "H+/ATP with transport": r["h_per_atp_with_transport"],
            "P/O": r["p_o"],
            "10/(n/3+1)": r["p_o_mechanistic_max"],
            "OCR (O2/s)": r["ocr"],
            "Δp (mV)": r["pmf_mV"],
        }
        for n, r in _rings(results)
    ]
    return {"per c-ring (window means)": rows}


def _c_ring_figure(out_dir: Path, results: Mapping[str, Any]) -> str:
    rings = _rings(results)
    ns = np.array([n for n, _ in rings], float)
    grid = np.linspace(8, 15, 71)

    def col(key: str) -> np.ndarray:
        return np.array([np.nan if r[key] is None else r[key] for _, r in rings], float)

    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8))
    ax = axes[0]
    ax.plot(grid, p_o_max(grid), color="0.4", lw=1.2, label="10/(n/3 + 1), NADH")
    ax.plot(ns, col("p_o"), "o", color="C3", ms=7, mec="k", label="measured (window)")
    ax.set_ylabel("P/O (ATP per O atom)")
    ax.set_title("P/O against c-ring size", fontsize=9)
    ax = axes[1]
    ax.plot(grid, h_per_atp(grid), color="C0", lw=1.2, label="n/3 (rotor)")
    ax.plot(grid, h_per_atp(grid, transport=True), color="C1", lw=1.2, label="n/3 + 1 (with transport)")
    ax.plot(ns, col("h_per_atp_rotor"), "o", color="C0", ms=7, mec="k", label="measured, rotor")
    ax.plot(ns, col("h_per_atp_with_transport"), "s", color="C1", ms=7, mec="k", label="measured, with transport")
    ax.set_ylabel("H⁺ per ATP")
    ax.set_title("protons per ATP against c-ring size", fontsize=9)
    axes[0].legend(loc="upper right", fontsize=8, frameon=False)  # the curve falls from the upper left
    axes[1].legend(loc="upper left", fontsize=8, frameon=False)  # the lines rise to the upper right
    for ax in axes:
        ax.set_xlabel("c-subunits per ring, n")
        ax.set_xticks(range(8, 16))
    fig.tight_layout()
    return save_figure(fig, out_dir, "c_ring")


def report_c_ring(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and the P/O and H⁺/ATP figure for a `c_ring` run."""
    out_dir = Path(out_dir)
    res = summary["results"]
    fig = _c_ring_figure(out_dir, res)
    text = [
        "One membrane world per c-ring size, identical otherwise, on one clock under the same ATP demand. Three ATP "
        "are made per full turn, so n protons per turn give n/3 H⁺ per ATP at the enzyme; exporting ATP and importing "
        "phosphate costs one more proton (n/3 + 1). With 10 H⁺ pumped per NADH-derived O atom, P/O cannot exceed "
        "10/(n/3 + 1); the measured P/O falls below it by what the leak spends. The points are exact window averages "
        "of the counters; the lines are the stoichiometries, not fits.",
    ]
    tables = [rows_table(r) for r in tables_c_ring(res).values()]
    return write_report(
        out_dir, "c-ring size: H⁺/ATP and P/O", summary, [Section("Stoichiometry against n", text, tables, [fig])]
    )


# ------------------------------------------------------------------------------------------------ inhibitors
_SUBSTRATES = (("nadh", "NADH (complex I)"), ("succinate", "succinate (complex II)"))


def tables_inhibitors(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """OCR, Δψ and ATP synthesis before and after each inhibitor, per substrate."""
    rows = []
    for substrate, _ in _SUBSTRATES:
        for inhibitor, r in results[substrate].items():
            rows.append(
                {
                    "substrate": substrate,
                    "inhibitor": inhibitor,
                    "OCR before (O2/s)": r["ocr_before"],
                    "OCR after (O2/s)": r["ocr_after"],
                    "after/before": r["ocr_ratio"],
                    "Δψ before (mV)": r["delta_psi_before_mV"],
                    "Δψ after (mV)": r["delta_psi_after_mV"],
                }
            )
    return {"inhibitors (window means)": rows}


def _inhibitor_figure(out_dir: Path, results: Mapping[str, Any]) -> str:
    fig, axes = plt.subplots(2, 2, figsize=(9.5, 6.0), sharex=True, sharey="row")
    width = 0.38
    for j, (substrate, title) in enumerate(_SUBSTRATES):
        cases = results[substrate]
        names = list(cases)
        x = np.arange(len(names))
        for i, (key, unit_label) in enumerate((("ocr", "OCR (O₂/s)"), ("delta_psi", "Δψ (mV)"))):
            suffix = "_mV" if key == "delta_psi" else ""
            before = [cases[n][f"{key}_before{suffix}"] for n in names]
            after = [cases[n][f"{key}_after{suffix}"] for n in names]
            ax = axes[i, j]
            ax.bar(x - width / 2, before, width, color="0.65", label="before")
            ax.bar(x + width / 2, after, width, color="C3", label="after")
            ax.axhline(0.0, color="k", lw=0.6)
            if j == 0:
                ax.set_ylabel(unit_label)
            if i == 0:
                ax.set_title(title, fontsize=9)
            ax.set_xticks(x, [n.replace("_", " ") for n in names], rotation=20)
    legend_outside(axes[0, 1])
    fig.tight_layout()
    return save_figure(fig, out_dir, "inhibitors")


def report_inhibitors(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and the before/after bars for an `inhibitors` run."""
    out_dir = Path(out_dir)
    res = summary["results"]
    fig = _inhibitor_figure(out_dir, res)
    text = [
        "One world per (substrate, inhibitor), all on one clock under the same ATP demand; each is measured over a "
        "window just before the inhibitor and over a window at the end of the run. Expected (reference): rotenone "
        "stops NADH-linked but not succinate-linked respiration (electrons enter at complex II, below its block); "
        "antimycin A and cyanide stop both; oligomycin stops ATP synthesis, so OCR falls to the leak-driven rate "
        "while Δψ rises. A small negative OCR is the chain running backwards for a moment, within counting noise. "
        "The demand keeps spending cytosolic ATP after the inhibitor (the model has no glycolysis): where the chain "
        "is blocked the synthases hydrolyse what is left to hold Δψ, and once it is gone Δψ decays through the "
        "leak, more and more slowly (≈ 35 mV 95 s after the inhibitor, 10–15 mV 290 s after it at the defaults), so "
        "the inhibited steady state is reached only after both; a window that ends earlier measures that transient "
        "and the steady-state section names it. After oligomycin the world respires at the leak-driven rate "
        "(≈ 5 O₂/s on NADH), so that window is longer (`oligomycin_window`), long enough to count the O₂ "
        "reductions a steady flux needs.",
    ]
    tables = [rows_table(r) for r in tables_inhibitors(res).values()]
    return write_report(
        out_dir, "Inhibitors under NADH and succinate", summary, [Section("Before and after", text, tables, [fig])]
    )
