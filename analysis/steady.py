"""Is a measurement window a steady state? A documented check, applied to every membrane measurement window.

Key names: `steadiness`, `steady_summary`, `steady_lines`, `TOLERANCES`.

A window [t0, t1] is measured with snapshots at t0, its midpoint and t1 (`world.membrane.protocol.Protocol`).
It counts as **steady** only when all three of these are *shown*, with the tolerances fixed here before any
run was looked at:

1. **Flux.** The oxygen consumption of the two halves agrees: with n₁, n₂ O₂ reductions (net counts, treated as
   Poisson), the relative change r = (n₂ − n₁) / ((n₁ + n₂)/2) has standard error 2/√(n₁ + n₂), and the 90 %
   interval r ± 1.645·SE must lie inside ±``flux_rel`` (0.20). This is an equivalence test, so a short or
   quiet window with few events is *not* shown steady — noisier data cannot pass more easily. A window with
   no O₂ reduced in either half (an inhibited chain) has a constant, zero flux and passes this item.
2. **Potential.** The mean Δψ of the second half is within ``psi_mV`` (2 mV) of the first half's.
3. **Pools.** The mean cytosolic ATP fraction ATP/(ATP + ADP) and the mean NADH fraction NADH/(NADH + NAD⁺)
   of the second half are each within ``pool_fraction`` (0.05) of the first half's (means of evenly spaced
   readings, `world.membrane.protocol.POOL_SAMPLES` per window: a single reading at each end fluctuates by
   about as much as the tolerance in a 400-molecule NAD pool). A window may name the pools it checks
   (``Protocol.measure(..., pools=...)``) when one cannot feed back on the flux there; the scenario says why.

The result names every item that failed (``reasons``), so a report can say why a number is a transient. The
relative standard error of the window's OCR, 1/√n (n = O₂ reductions in the window), is returned too: a
target such as "state-4 OCR with a relative standard error < 5 %" needs n ≥ 400.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["POOLS", "TOLERANCES", "Z90", "steadiness", "steady_lines", "steady_summary"]

TOLERANCES: dict[str, float] = {"flux_rel": 0.20, "psi_mV": 2.0, "pool_fraction": 0.05}
"""The criterion's tolerances (module docstring); fixed before measuring, not tuned to any run."""
POOLS: tuple[str, ...] = ("atp", "nadh")
"""The pool fractions of item 3: cytosolic ATP/(ATP + ADP) and NADH/(NADH + NAD⁺)."""
Z90 = 1.6448536269514722
"""Two-sided 90 % normal quantile (one-sided 95 %): the interval of the flux equivalence test."""


def _mean_fraction(samples: Sequence[Mapping[str, float]], a: str, b: str) -> float:
    """Mean of a / (a + b) over the readings (NaN if a pool is empty throughout)."""
    values = [s[a] / (s[a] + s[b]) for s in samples if s[a] + s[b] > 0]
    return sum(values) / len(values) if values else math.nan


def steadiness(
    a: Mapping[str, float],
    mid: Mapping[str, float],
    b: Mapping[str, float],
    pool_samples: Sequence[Mapping[str, float]],
    tolerances: Mapping[str, float] | None = None,
    pools: Sequence[str] = POOLS,
) -> dict[str, Any]:
    """Check the window between snapshots ``a`` and ``b`` with midpoint snapshot ``mid`` (module docstring).

    Args:
        a, mid, b: snapshots with ``t``, ``o2_consumed`` and ``int_dpsi`` (∫Δψ dt, mV·s).
        pool_samples: readings inside the window, each with ``t`` and the pools ``atp_c``, ``adp_c``,
            ``nadh``, ``nad`` (molecules); at least one in each half.
        tolerances: overrides of `TOLERANCES`.
        pools: which pool fractions item 3 checks, of `POOLS` (default both). A protocol may leave out a pool
            that cannot feed back on the flux in that window, and must say why (e.g. cytosolic ATP under
            oligomycin, consumed by a demand the blocked synthase cannot meet); the change is still returned.

    Returns:
        ``steady`` (bool), ``reasons`` (failed items, empty when steady), ``ocr_rel_change`` and its 90 %
        interval ``ocr_rel_change_ci`` (None without events), ``psi_change_mV``, ``atp_fraction_change``,
        ``nadh_fraction_change``, ``ocr_rse`` (1/√n, None without events), ``o2_events``.
    """
    tol = {**TOLERANCES, **(tolerances or {})}
    h1, h2 = mid["t"] - a["t"], b["t"] - mid["t"]
    if not (h1 > 0 and h2 > 0):
        raise ValueError(f"snapshots must be in time order with a positive half on each side (t = {a['t']}, "
                         f"{mid['t']}, {b['t']})")  # fmt: skip
    n1, n2 = mid["o2_consumed"] - a["o2_consumed"], b["o2_consumed"] - mid["o2_consumed"]
    n = n1 + n2
    reasons = []
    rel = ci = rse = None
    if n > 0:
        r1, r2 = n1 / h1, n2 / h2  # rates, so unequal halves compare fairly
        rel = (r2 - r1) / ((r1 + r2) / 2)
        half = Z90 * 2.0 / math.sqrt(n)
        ci = (rel - half, rel + half)
        rse = 1.0 / math.sqrt(n)
        if not (-tol["flux_rel"] < ci[0] and ci[1] < tol["flux_rel"]):
            reasons.append(
                f"OCR change between halves {100 * rel:+.0f} % (90 % CI {100 * ci[0]:+.0f}…{100 * ci[1]:+.0f} %) "
                f"not within ±{100 * tol['flux_rel']:.0f} % ({n:.0f} O2 events)"
            )
    elif n < 0 or n1 != 0 or n2 != 0:
        reasons.append(f"net O2 reduction reversed between halves ({n1:.0f}, {n2:.0f})")
    psi1 = (mid["int_dpsi"] - a["int_dpsi"]) / h1
    psi2 = (b["int_dpsi"] - mid["int_dpsi"]) / h2
    dpsi = psi2 - psi1
    if not abs(dpsi) <= tol["psi_mV"]:
        reasons.append(f"Δψ moved {dpsi:+.1f} mV between halves (allowed ±{tol['psi_mV']:g} mV)")
    first = [s for s in pool_samples if s["t"] < mid["t"]]
    second = [s for s in pool_samples if s["t"] >= mid["t"]]
    if not (first and second):
        raise ValueError(f"pool_samples need a reading in each half of the window (got {len(first)}, {len(second)})")
    unknown = set(pools) - set(POOLS)
    if unknown:
        raise ValueError(f"pools(={sorted(unknown)}) must be among {', '.join(POOLS)}")
    changes = {}
    for label, (x, y) in {"atp": ("atp_c", "adp_c"), "nadh": ("nadh", "nad")}.items():
        change = _mean_fraction(second, x, y) - _mean_fraction(first, x, y)
        changes[label] = change
        if label in pools and not abs(change) <= tol["pool_fraction"]:
            name = "cytosolic ATP fraction" if label == "atp" else "NADH fraction"
            reasons.append(f"{name} moved {change:+.3f} between halves (allowed ±{tol['pool_fraction']:g})")
    return {
        "steady": not reasons,
        "reasons": reasons,
        "ocr_rel_change": rel,
        "ocr_rel_change_ci": list(ci) if ci is not None else None,
        "psi_change_mV": dpsi,
        "atp_fraction_change": changes["atp"],
        "nadh_fraction_change": changes["nadh"],
        "ocr_rse": rse,
        "o2_events": n,
    }


def steady_summary(windows: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`steadiness` of named measurement windows (each a `Protocol.measure` result, whose ``steady_pools`` say
    which pool fractions its item 3 checks), for a summary.

    Returns:
        ``all_steady`` (bool), ``not_steady`` (names of the windows that are not, in order) and ``windows``:
        per name ``steady``, ``ocr_rse`` and ``reasons``.
    """
    per = {}
    for name, m in windows.items():
        s = steadiness(*m["snapshots"], m["pool_samples"], pools=m.get("steady_pools", POOLS))
        per[name] = {"steady": s["steady"], "ocr_rse": s["ocr_rse"], "reasons": s["reasons"]}
    bad = [name for name, s in per.items() if not s["steady"]]
    return {"all_steady": not bad, "not_steady": bad, "windows": per}


def steady_lines(summary: Mapping[str, Any]) -> list[str]:
    """Report lines for a `steady_summary` (empty if the summary has none): one line when every window is
    steady, else one per window that is not, with its reasons."""
    s = summary.get("steadiness")
    if not s:
        return []
    n = len(s["windows"])
    if s["all_steady"]:
        return [f"Steady-state check (analysis.steady): all {n} measurement windows steady."]
    lines = [
        f"Steady-state check (analysis.steady): {len(s['not_steady'])} of {n} windows are NOT shown steady "
        "(too few O2 events to show it, or the system was still moving: read their numbers as possibly "
        "transient):",
        "",
    ]
    for name in s["not_steady"]:
        lines.append(f"- {name}: " + "; ".join(s["windows"][name]["reasons"]))
    return lines
