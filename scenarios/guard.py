"""Name-clash guard: the four generic top-level packages must come from this project only.

Key names: `PACKAGES`, `DISTRIBUTION`, `clashes`, `check_packages`.

`agents`, `world`, `scenarios` and `analysis` are names other PyPI distributions also install (openai-agents
installs `agents`, for one). Installed side by side, one silently shadows the other; so the test suite and the
`gradient` command check `importlib.metadata.packages_distributions()` and refuse to go on if any other
distribution provides one of them. The cure is the project's own virtual environment (`make` creates `.venv`).
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

PACKAGES = ("agents", "world", "scenarios", "analysis")
DISTRIBUTION = "gradient-engines"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def clashes(mapping: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """For each of `PACKAGES` provided by another distribution, the names of those distributions."""
    if mapping is None:
        mapping = importlib.metadata.packages_distributions()
    out: dict[str, list[str]] = {}
    for pkg in PACKAGES:
        others = sorted({d for d in mapping.get(pkg, []) if _norm(d) != _norm(DISTRIBUTION)})
        if others:
            out[pkg] = others
    return out


def check_packages(mapping: dict[str, list[str]] | None = None) -> None:
    """Raise `RuntimeError` with a one-line explanation if another distribution provides one of the names,
    or if the four packages were imported from different places."""
    found = clashes(mapping)
    if found:
        pkg, dists = next(iter(found.items()))
        raise RuntimeError(
            f"top-level package {pkg!r} is also installed by {', '.join(dists)}; gradient-engines must live in "
            "its own virtual environment (run `make test` or `make demo`, which create .venv)"
        )
    import agents
    import analysis
    import scenarios
    import world

    homes = {Path(m.__file__).resolve().parent.parent for m in (agents, world, scenarios, analysis)}  # type: ignore[arg-type]
    if len(homes) != 1:
        raise RuntimeError(
            f"packages {', '.join(PACKAGES)} were imported from different places ({sorted(map(str, homes))}); "
            "use the project's own virtual environment"
        )
