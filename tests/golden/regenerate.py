"""Write the golden summaries: ``tests/golden/<scenario>.json`` for registered scenarios.

Usage (from the project root)::

    .venv/bin/python tests/golden/regenerate.py              # every registered scenario
    .venv/bin/python tests/golden/regenerate.py c_ring ...   # only these

Each file holds the scenario's ``results`` from ``summary.json`` of a run at seed 0 with the scenario's
``smoke`` overrides, the overrides themselves, the scenario's declared fit-derived result paths (``fitted``) and
the versions of Python and the packages the numbers were made with. `tests/golden/test_golden.py` compares a
fresh run with them: simulated numbers to a relative 1e-12, fitted numbers within a tolerance derived from the
fits' own uncertainty (see its docstring). Regenerate only for an intended change of a scenario's numbers, and
say why in the commit message.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # the same BLAS set-up as the test suite (tests/conftest.py)

GOLDEN_DIR = Path(__file__).resolve().parent
SEED = 0


def golden_record(name: str, run_dir: Path | None = None) -> dict[str, Any]:
    """Run scenario `name` at seed 0 with its smoke overrides (or read `run_dir`, such a run already made);
    return what its golden file holds."""
    from scenarios.registry import all_scenarios
    from scenarios.runner import package_versions
    from world.outputs import jsonable, read_summary

    sc = all_scenarios()[name]
    smoke = dict(sc.smoke)
    if run_dir is None:
        with tempfile.TemporaryDirectory() as tmp:
            summary = _smoke_summary(name, Path(tmp) / name)
    else:
        summary = read_summary(run_dir)
        assert summary is not None and summary["seed"] == SEED, run_dir
        assert summary["params"] == jsonable({**summary["params"], **smoke}), f"{run_dir} is not a smoke run"
    assert summary is not None
    return {
        "scenario": name,
        "seed": SEED,
        "overrides": jsonable(smoke),
        "fitted": list(sc.fitted),
        "versions": package_versions(),
        "results": summary["results"],
    }


def _smoke_summary(name: str, out: Path) -> dict[str, Any] | None:
    from scenarios.registry import all_scenarios
    from scenarios.runner import execute
    from world.outputs import read_summary

    execute(name, out, seed=SEED, overrides=dict(all_scenarios()[name].smoke))
    return read_summary(out)


def write_golden(name: str) -> Path:
    """Regenerate ``tests/golden/<name>.json``."""
    path = GOLDEN_DIR / f"{name}.json"
    path.write_text(json.dumps(golden_record(name), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    """Regenerate the golden files of the scenarios named in `argv` (all registered ones if none)."""
    sys.path.insert(0, str(GOLDEN_DIR.parents[1]))
    from scenarios.registry import all_scenarios

    names = argv or list(all_scenarios())
    unknown = [n for n in names if n not in all_scenarios()]
    if unknown:
        print(f"error: unknown scenario(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"wrote {write_golden(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
