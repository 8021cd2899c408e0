"""The report of a sweep: each chosen result against each swept parameter, mean and 95% band over seeds.

Key names: `mean_ci`, `unit_of`, `summarise`, `choose_results`, `report_sweep`.

Input is the ``sweep.parquet`` table (`scenarios.sweep_table`); only runs with status ``ok`` enter the
statistics. The band is the two-sided 95% Student-t confidence interval of the mean over seeds,
mean ± t₀.₉₇₅,ₙ₋₁ · s/√n (none for a single seed). When several parameters are swept, each figure draws one
line per combination of the other swept parameters (up to 6; beyond that they are pooled with the seeds).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from analysis.report import markdown_table, save_figure

LEVEL = 0.95
MAX_LINES = 6
MAX_DEFAULT_RESULTS = 4
_SUFFIX_UNITS = (
    ("_per_s", "1/s"),
    ("_mV", "mV"),
    ("_nats", "nats"),
    ("_bits", "bits"),
    ("_J", "J"),
    ("_steps", "steps"),
    ("_s", "s"),
)
_HELP_UNITS = re.compile(r"\((s|ms|mV|nats|bits|J|K|ATP/s|1/s|nm|µm|mM|µM|M)\)\s*$")


def unit_of(name: str, help_text: str = "") -> str:
    """The unit of a result or parameter: from its name's suffix, else a trailing ``(unit)`` of its help, else 1."""
    for suffix, unit in _SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    m = _HELP_UNITS.search(help_text)
    return m[1] if m else "1"


def mean_ci(values: Sequence[float], level: float = LEVEL) -> tuple[float, float, float, int]:
    """Mean of the finite `values` and its two-sided Student-t interval: ``(mean, low, high, n)``."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def choose_results(table: pd.DataFrame, results: Sequence[str] | None = None) -> list[str]:
    """The result columns to report: `results` (names without ``result.``), or up to 4 numeric ones that vary
    (leaving out results that only repeat a parameter of the same name).

    Raises:
        ValueError: a requested name is not a numeric scalar result of the sweep.
    """
    ok = table[table["status"] == "ok"]
    numeric = [c[7:] for c in table.columns if c.startswith("result.") and pd.api.types.is_numeric_dtype(table[c])]
    numeric = [c for c in numeric if not pd.api.types.is_bool_dtype(table[f"result.{c}"])]
    if results is not None:
        unknown = [r for r in results if r not in numeric]
        if unknown:
            raise ValueError(
                f"--results {unknown[0]!r} is not a numeric result of this sweep; allowed: {', '.join(numeric)}"
            )
        return list(results)
    echoes = [c for c in numeric if c in table.columns and table[c].equals(table[f"result.{c}"])]
    varying = [c for c in numeric if ok[f"result.{c}"].nunique(dropna=True) > 1 and c not in echoes]
    return varying[:MAX_DEFAULT_RESULTS]


def summarise(table: pd.DataFrame, result: str, by: Sequence[str]) -> pd.DataFrame:
    """Mean, 95% band and number of seeds of `result` for each combination of the parameters `by`."""
    ok = table[table["status"] == "ok"]
    rows = []
    groups = ok.groupby(list(by), sort=True, dropna=False) if by else [((), ok)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        mean, lo, hi, n = mean_ci(g[f"result.{result}"].astype(float).tolist())
        failed = int(((table["status"] == "failed") & _match(table, by, key)).sum())
        cells = {"seeds": n, "no_value": len(g) - n, "mean": mean, "ci_low": lo, "ci_high": hi, "failed": failed}
        rows.append({**dict(zip(by, key, strict=True)), **cells})
    return pd.DataFrame(rows, columns=[*by, "seeds", "no_value", "mean", "ci_low", "ci_high", "failed"])


def _match(table: pd.DataFrame, by: Sequence[str], key: tuple) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for k, v in zip(by, key, strict=True):
        mask &= table[k] == v
    return mask


def _figure(table: pd.DataFrame, result: str, x: str, others: list[str], helps: Mapping[str, str]) -> plt.Figure:
    """`result` against parameter `x`: seeds as dots, mean line and 95% band per combination of `others`."""
    ok = table[table["status"] == "ok"]
    lines = others if others and ok.groupby(others).ngroups <= MAX_LINES else []
    values = sorted(ok[x].dropna().unique().tolist())
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    pos = (lambda v: float(v)) if numeric else (lambda v: float(values.index(v)))
    fig, ax = plt.subplots(figsize=(6.4, 4))
    groups = ok.groupby(lines, sort=True) if lines else [((), ok)]
    for i, (key, g) in enumerate(groups):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{k}={v}" for k, v in zip(lines, key, strict=True)) or "mean over seeds"
        s = summarise(g, result, [x])
        xs = np.array([pos(v) for v in s[x]])
        color = f"C{i}"
        ax.plot([pos(v) for v in g[x]], g[f"result.{result}"].astype(float), ".", color=color, alpha=0.35, ms=5)
        ax.plot(xs, s["mean"], "-o", color=color, ms=4, label=label)
        ax.fill_between(xs, s["ci_low"], s["ci_high"], color=color, alpha=0.2, lw=0)
    if numeric and min(values) > 0 and max(values) / min(values) >= 50:
        ax.set_xscale("log")
    if not numeric:
        ax.set_xticks(range(len(values)), [str(v) for v in values])
    elif len(values) <= 8:  # every grid value marked, also those where no seed gave a value
        ax.set_xticks(values, [str(v) for v in values])
        ax.minorticks_off()
    ax.set_xlabel(f"{x} ({unit_of(x, helps.get(x, ''))})")
    ax.set_ylabel(f"{result} ({unit_of(result)})")
    ax.set_title(f"{result}: mean over seeds, {LEVEL:.0%} band (dots: single seeds)", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    return fig


def report_sweep(
    out: Path,
    table: pd.DataFrame,
    scenario: str,
    swept: Sequence[str],
    helps: Mapping[str, str],
    results: Sequence[str] | None = None,
) -> Path:
    """Write ``report.md`` and ``figures/RESULT__vs__PARAM.png`` for a sweep; return the report's path."""
    chosen = choose_results(table, results)
    n_ok = int((table["status"] == "ok").sum())
    lines = [f"# Sweep of `{scenario}`", ""]
    lines += [
        f"{len(table)} runs ({n_ok} ok, {len(table) - n_ok} failed) over seeds {_seeds(table)}"
        + (f" × {', '.join(f'`{k}`' for k in swept)}." if swept else "."),
        "",
        f"Band: two-sided {LEVEL:.0%} Student-t confidence interval of the mean over seeds. Every run's outputs are"
        " in its own directory; the full table is `sweep.parquet`.",
        "",
    ]
    if not chosen:
        lines += ["No numeric result varies across the runs; nothing to plot.", ""]
    xs = list(swept) or ["seed"]
    for result in chosen:
        lines += [f"## `{result}` ({unit_of(result)})", ""]
        lines += [markdown_table(summarise(table, result, list(swept))), ""]
        lines += ["`seeds`: runs with a value; `no_value`: complete runs that report none for it (e.g. a fit that"
                  " was not determined); `failed`: runs that did not complete.", ""]  # fmt: skip
        for x in xs:
            others = [k for k in swept if k != x]
            fig = _figure(table, result, x, others, helps) if swept else _seed_figure(table, result)
            path = save_figure(fig, out, f"{result}__vs__{x}")
            lines += [f"![{result} against {x}]({path})", ""]
    failed = table[table["status"] == "failed"]
    if len(failed):
        lines += ["## Failed runs (retried on the next call)", "", markdown_table(failed[["run", "error"]]), ""]
    path = Path(out) / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _seeds(table: pd.DataFrame) -> str:
    seeds = sorted(table["seed"].unique().tolist())
    return f"{seeds[0]}–{seeds[-1]} ({len(seeds)})" if len(seeds) > 1 else str(seeds[0])


def _seed_figure(table: pd.DataFrame, result: str) -> plt.Figure:
    """Without a grid: the result of each seed, with the mean and its 95% band."""
    ok = table[table["status"] == "ok"]
    mean, lo, hi, _ = mean_ci(ok[f"result.{result}"].astype(float).tolist())
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.plot(ok["seed"], ok[f"result.{result}"].astype(float), "o", ms=5, label="single seeds")
    ax.axhline(mean, color="C1", label="mean")
    if math.isfinite(lo):
        ax.axhspan(lo, hi, color="C1", alpha=0.2, lw=0, label=f"{LEVEL:.0%} band of the mean")
    if len(ok) <= 20:
        ax.set_xticks(ok["seed"].tolist())
    ax.set_xlabel("seed (1)")
    ax.set_ylabel(f"{result} ({unit_of(result)})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    return fig
