"""Report of the `localized_coupling` scenario: bulk Δp against the Δp at the enzymes' mouths, per surface barrier.

Key names: `report_localized_coupling`, `tables_localized_coupling`.

Numbers come from the summary: window means of the counters (ATP synthesis, OCR, Δψ, bulk Δp), means of the
sampled local Δp at the synthases and at the pumps, and the pump-to-rotor transit ages by distance.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from analysis.report import Section, legend_outside, rows_table, save_figure, write_report

_STATES = (("state4", "state 4"), ("state3", "state 3"))


def _worlds(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [results[f"barrier_{b:g}"] for b in results["barriers_kT"]]


def tables_localized_coupling(results: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Per barrier and state: fluxes, bulk and local Δp; per barrier: transit ages by pump–rotor distance; with a
    crista, its synthases against the boundary's per barrier and state."""
    rows = []
    transit = []
    crista = []
    for r in _worlds(results):
        if "crista" in r:
            for key, label in _STATES:
                c = r["crista"][key]
                crista.append(
                    {
                        "barrier (kT)": r["barrier_kT"],
                        "state": label,
                        "Δp at crista synthases (mV)": c["pmf_rotor_crista_mV"],
                        "Δp at boundary synthases (mV)": c["pmf_rotor_boundary_mV"],
                        "median H+ age, crista (ms)": c["transit_crista"]["median_age_ms"],
                        "median H+ age, boundary (ms)": c["transit_boundary"]["median_age_ms"],
                        "transits crista / boundary": f"{c['transit_crista']['n']} / {c['transit_boundary']['n']}",
                    }
                )
        for key, label in _STATES:
            s = r[key]
            t = r[f"transit_{key}"]
            rows.append(
                {
                    "barrier (kT)": r["barrier_kT"],
                    "state": label,
                    "ATP (1/s)": s["atp_rate"],
                    "OCR (O2/s)": s["ocr"],
                    "P/O": s["p_o"],
                    "Δψ (mV)": s["delta_psi_mV"],
                    "Δp bulk (mV)": s["pmf_mV"],
                    "Δp at synthases (mV)": s["pmf_rotor_mV"],
                    "Δp at pumps (mV)": s["pmf_pump_mV"],
                    "synthases minus bulk (mV)": s.get("rotor_excess_mV"),
                    "median H+ age at rotor (ms)": t["median_age_ms"],
                    "time to 90 % of Δψ (s)": r.get("energise_s") if key == "state4" else None,
                }
            )
        for b in r["transit_state3"]["by_distance"]:
            transit.append(
                {
                    "barrier (kT)": r["barrier_kT"],
                    "pump-rotor distance (nm)": f"{b['distance_nm'][0]:g}-{b['distance_nm'][1]:g}",
                    "transits": b["n"],
                    "median age (ms)": b["median_age_ms"],
                    "d²/(2D) at bin centre (ms)": b["diffusion_time_ms"],
                }
            )
    out = {"per barrier and state (window means)": rows, "pump-to-rotor transits in state 3": transit}
    if crista:
        out["synthases in the crista and on the boundary membrane"] = crista
    return out


def _figure(out_dir: Path, results: Mapping[str, Any]) -> str:
    worlds = _worlds(results)
    barriers = np.array([r["barrier_kT"] for r in worlds], float)

    def col(state: str, key: str) -> np.ndarray:
        return np.array([np.nan if r[state][key] is None else r[state][key] for r in worlds], float)

    def panel(ax: plt.Axes, lines: list[tuple[str, str, str, str]], ylabel: str, title: str) -> None:
        """One panel against the barrier: each (key, marker, colour, name) in both states (solid, dashed)."""
        for (state, label), ls in zip(_STATES, ("-", "--"), strict=True):
            for key, marker, color, name in lines:
                ax.plot(barriers, col(state, key), marker + ls, color=color, label=f"{name}, {label}")
        ax.set_xlabel("surface-to-bulk barrier (kT)")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=9)
        legend_outside(ax)

    fig, axes = plt.subplots(2, 3, figsize=(16.0, 7.2), layout="constrained")
    pmf = [
        ("pmf_mV", "o", "0.3", "bulk"),
        ("pmf_rotor_mV", "s", "C3", "at synthases"),
        ("pmf_pump_mV", "^", "C0", "at pumps"),
    ]
    panel(axes[0, 0], pmf, "Δp (mV)", "bulk Δp and the Δp at the enzymes' mouths")
    atp = [("atp_rate", "o", "C2", "ATP synthesis")]
    panel(axes[0, 1], atp, "net ATP synthesis (ATP/s)", "ATP synthesis (below 0: the synthases hydrolyse ATP)")
    axes[0, 1].axhline(0.0, color="0.6", lw=0.8)
    panel(axes[1, 0], [("ocr", "o", "C1", "OCR")], "OCR (O₂/s)", "oxygen consumption")
    ax = axes[1, 1]
    centres = None
    for i, r in enumerate(worlds):
        bins = r["transit_state3"]["by_distance"]
        centres = np.array([(b["distance_nm"][0] + b["distance_nm"][1]) / 2 for b in bins])
        med = np.array([np.nan if b["median_age_ms"] is None else b["median_age_ms"] for b in bins])
        ax.plot(centres, med, "o-", color=f"C{4 + i}", label=f"{r['barrier_kT']:g} kT, median age")
    if centres is not None:
        d = results["d_proton_um2_s"]
        grid = np.linspace(centres.min(), centres.max(), 50)
        ax.plot(grid, 1e3 * (grid / 1e3) ** 2 / (2 * d), "k--", lw=1.2, label="d²/(2D), lateral diffusion")
    ax.set_yscale("log")
    ax.set_xlabel("pump-rotor distance (nm)")
    ax.set_ylabel("time (ms)")
    ax.set_title("age of pumped protons at the rotor, state 3", fontsize=9)
    legend_outside(ax)
    ax = axes[0, 2]
    for i, r in enumerate(worlds):
        c = r.get("psi_course")
        if c and c["t"]:
            ax.plot(c["t"], c["delta_psi_mV"], "-", color=f"C{4 + i}", label=f"{r['barrier_kT']:g} kT")
    ax.set_xlabel("time from the de-energised start (s)")
    ax.set_ylabel("Δψ (mV)")
    ax.set_title("energisation: Δψ until the state-4 window", fontsize=9)
    legend_outside(ax)
    ax = axes[1, 2]
    t90 = np.array([np.nan if r.get("energise_s") is None else r["energise_s"] for r in worlds], float)
    ax.plot(barriers, t90, "o-", color="0.2", label="time to 90 % of state-4 Δψ")
    ax.set_xlabel("surface-to-bulk barrier (kT)")
    ax.set_ylabel("time (s)")
    ax.set_title("how fast the membrane energises", fontsize=9)
    legend_outside(ax)
    return save_figure(fig, out_dir, "localized_coupling")


def report_localized_coupling(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``report.md`` and the localized-coupling figure."""
    out_dir = Path(out_dir)
    res = summary["results"]
    fig = _figure(out_dir, res)
    d = res["d_proton_um2_s"]
    text = [
        "One membrane world per surface-to-bulk barrier, identical otherwise, on one clock, each started "
        "de-energised. Free protons diffuse at "
        f"{d:g} µm²/s; every pump, synthase, exchanger and leak site takes protons only at its mouth and feels the "
        "local proton activity there. The mouth rows are the membrane surfaces: a barrier slows hops between them "
        "and the bulk (both ways), while lateral motion along them keeps its speed. Barrier 0 is Mitchell's "
        "delocalized chemiosmosis: the bands mix within a step and the Δp at every mouth equals the bulk Δp.",
        "Δp 'at synthases' and 'at pumps' add (kT/e)·(ln a_P − ln a_N) at each enzyme's column to the bulk Δp, a "
        "being the mouth's available protons (plus ½) over a uniform side's share. Transit ages: time from a proton's "
        "arrival on the P side through a pump to its passage through a synthase; the line is the time lateral "
        "diffusion needs to cover the distance, d²/(2D). Which regime holds in mitochondria is debated "
        "(docs/membrane.md); the barrier is a parameter, not a calibrated value.",
        "Every source and sink of protons in this model (pumps, synthases, exchangers, leak sites, the matrix "
        "dehydrogenases) acts at a membrane surface, so in a steady state no net flux crosses the barrier: a "
        "barrier can slow how fast the bulk fills and empties (energisation, the time course), not change the "
        "steady state. Windows that are not steady are named at the top of this report.",
    ]
    first = _worlds(res)[0] if res["barriers_kT"] else {}
    if "crista" in first:
        c = first["crista"]
        text.append(
            f"The membrane's first {c['length_nm']:g} nm line a crista whose lumen is {c['lumen_nm']:g} nm wide "
            "(its two faces mirror images, so the lattice holds one face and half the lumen); the rest is boundary "
            "membrane facing the full P band, into which the lumen opens at both ends. The last table compares the "
            "synthases in the crista with those on the boundary: the Δp at their mouths and how long ago the protons "
            "they take were pumped. The lumen has no buffer or pH of its own (docs/membrane.md, 'Crista')."
        )
    tables = [rows_table(r) for r in tables_localized_coupling(res).values()]
    return write_report(
        out_dir,
        "Localized vs delocalized coupling",
        summary,
        [Section("Bulk Δp, local Δp and proton transit per surface barrier", text, tables, [fig])],
    )
