"""README.md's "Parameters and their bounds" section matches the registry: every registered scenario has its
section and every parameter its row, with the default and the allowed text of its `Param`."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.registry import all_scenarios

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
REGENERATE = "regenerate the section with the loop under 'Parameters and their bounds' in README.md"


def _section(name: str) -> str:
    head = f"#### `{name}`\n"
    assert head in README, f"README.md has no section for scenario {name!r}; {REGENERATE}"
    body = README.split(head, 1)[1]
    return body.split("\n#", 1)[0]


def _rows(section: str) -> dict[str, list[str]]:
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


@pytest.mark.parametrize("name", sorted(all_scenarios()))
def test_every_parameter_is_documented_with_its_bounds(name: str) -> None:
    """Each parameter of the scenario has a README row whose default and allowed text equal the declaration."""
    rows = _rows(_section(name))
    params = all_scenarios()[name].params
    assert set(rows) == set(params), f"{name}: README rows {sorted(rows)} != parameters {sorted(params)}; {REGENERATE}"
    for key, p in params.items():
        default = ",".join(map(str, p.default)) if p.many else str(p.default)
        assert rows[key][:2] == [default, p.allowed()], f"{name}.{key}: README says {rows[key][:2]}; {REGENERATE}"
