"""Wiring and parameters, nothing else.

One module per scenario, each registering itself in `scenarios.registry`; the `gradient` command line
(`scenarios.cli`); the machinery that runs a scenario into an output directory (`scenarios.runner`).

Importing the package first checks that the project's dependencies can be found (without importing them): run
outside the project's virtual environment, ``gradient`` and ``python -m scenarios.NAME`` stop with one line
naming the environment to use (exit 1) instead of a ``ModuleNotFoundError`` traceback.
"""

import importlib.util
import os
import sys
from pathlib import Path

# One BLAS thread by default, set before numpy loads (the `gradient` command and `python -m scenarios.NAME` import
# this package first): the models are small and the machine has 2 cores, where two BLAS threads per process make
# the small matrix products 3-5x slower. A run itself does not rely on this: `scenarios.runner.execute` pins the
# BLAS pool to `BLAS_THREADS` with threadpoolctl whatever the caller's environment says, because the thread count
# changes the summation order of matrix products and so the numbers.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

REQUIRED_MODULES = (
    "numpy", "pandas", "pyarrow", "mesa", "simpy", "networkx", "scipy", "matplotlib", "typer", "rich", "threadpoolctl",
)  # fmt: skip
"""Import names of the install requirements (setup.cfg), checked when the package is imported."""


def missing_dependencies() -> list[str]:
    """The `REQUIRED_MODULES` this interpreter cannot find (found by their import spec, not imported)."""
    return [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]


def _environment_hint() -> str:
    venv = Path(__file__).resolve().parent.parent / ".venv"
    if (venv / "bin" / "python").exists():
        return f"use the project's environment: {venv}/bin/gradient or {venv}/bin/python -m scenarios.NAME"
    return "create the project's environment with `make venv` in the project directory, then use .venv/bin/gradient"


_missing = missing_dependencies()
if _missing:
    raise SystemExit(
        f"error: {', '.join(_missing)} not installed for {sys.executable} (this is not gradient-engines' "
        f"environment); {_environment_hint()}"
    )
