"""Reports and console tables of every scenario: each report's figures are written and non-empty PNGs, and
each scenario prints its main numbers as tables at the end of `gradient run`.

Registry-wide: every registered scenario is run once through the CLI at its smoke overrides (seed 0).
`REPORTED` lists the scenarios that must have a report and `TABLED` those that must print tables beyond
the scalar results (their nested results would otherwise not reach the console).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from scenarios.cli import console_tables, main
from scenarios.registry import all_scenarios

SCENARIOS = sorted(all_scenarios())
REPORTED = {
    "c_ring",
    "control_analysis",
    "coupled_budget",
    "demand_titration",
    "ehrenfest",
    "inhibitors",
    "localized_coupling",
    "mito_stress_test",
    "perturbation_pairs",
    "respiratory_control",
    "side_by_side",
    "training_builds_gradient",
}
TABLED = {
    "c_ring",
    "control_analysis",
    "coupled_budget",
    "demand_titration",
    "head_ablation",
    "inhibitors",
    "localized_coupling",
    "mito_stress_test",
    "perturbation_pairs",
    "respiratory_control",
    "temperature",
    "training_builds_gradient",
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MIN_PNG_BYTES = 8000  # an empty 6x4 in. axes at the reports' dpi is ~6 kB; every report figure draws data


def as_set_value(value: object) -> str:
    """A typed smoke override written as the text of ``--set key=value``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(as_set_value(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


def _run(name: str, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict, str]:
    sets = [a for k, v in all_scenarios()[name].smoke.items() for a in ("--set", f"{k}={as_set_value(v)}")]
    capsys.readouterr()
    assert main(["run", name, "--out", str(out), *sets]) == 0
    return json.loads((out / "summary.json").read_text()), capsys.readouterr().out


def test_required_scenarios_are_registered() -> None:
    """Every scenario named in REPORTED and TABLED exists (a rename would silently skip its checks)."""
    assert set(SCENARIOS) >= REPORTED | TABLED


@pytest.mark.parametrize("name", SCENARIOS)
def test_report_figures_written_and_console_tables_printed(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A smoke run writes report.md whose every figure link is a PNG drawn with data, and prints the
    scenario's tables with every number of them."""
    sc = all_scenarios()[name]
    assert (sc.report is not None) or name not in REPORTED, f"{name} must have a report"
    summary, stdout = _run(name, tmp_path / name, capsys)
    if sc.report is not None:
        text = (tmp_path / name / "report.md").read_text(encoding="utf-8")
        links = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", text)
        assert links, f"{name}: report.md links no figure"
        on_disk = {p.relative_to(tmp_path / name).as_posix() for p in (tmp_path / name / "figures").glob("*.png")}
        assert set(links) == on_disk, f"{name}: figures linked {sorted(links)} but written {sorted(on_disk)}"
        for link in links:
            data = (tmp_path / name / link).read_bytes()
            assert data[:8] == PNG_MAGIC and len(data) > MIN_PNG_BYTES, f"{name}: {link} is empty or not a PNG"
    tables = console_tables(summary)
    if name in TABLED:
        assert sc.tables is not None and tables, f"{name} must print its main numbers as tables"
    assert f"{name} (seed 0)" in stdout
    assert re.search(r"wall time [0-9.e+-]+ s\)", stdout), "the CLI prints the run's wall time (README: Determinism)"
    for title, rows in tables.items():
        assert rows, f"{name}: table {title!r} is empty"
        assert title[:20] in stdout.replace("\n", " ") or title.split()[0] in stdout
        for row in rows:
            for value in row.values():
                if isinstance(value, float) and math.isfinite(value):
                    assert f"{value:.4g}"[:5] in stdout, f"{name}: {title!r} value {value} not printed"


def test_tables_hold_the_results_numbers() -> None:
    """The respiratory-control table shows the summary's window means, row by row (no number is re-derived)."""
    from analysis.report_membrane import tables_respiratory_control

    golden = json.loads((Path(__file__).parents[1] / "golden" / "respiratory_control.json").read_text())
    res = golden["results"]
    rows = tables_respiratory_control(res)["respiratory states (window means)"]
    assert [r["OCR (O2/s)"] for r in rows] == [res["state4"]["ocr"], res["state3"]["ocr"], res["state4_after"]["ocr"]]
    assert [r["Δp (mV)"] for r in rows] == [res[k]["pmf_mV"] for k in ("state4", "state3", "state4_after")]
