"""Run a benchmark script against another git revision of this repository (helper of the benchmark scripts).

`at_revision(script, ref, args)` exports revision `ref` (``git archive``) to a temporary directory, checks that a
child Python imports the project's packages from there, runs `script` (this tree's copy, so the old revision
needs no benchmark code) in that child with `args`, and returns what the child printed as JSON; `revision(ref)`
exports once for several such runs. No old code is kept in the tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def at_revision(script: str, ref: str, args: list[str]) -> Any:
    """The JSON that `script` prints when run with `args` on revision `ref`, in a child process."""
    with revision(ref) as run:
        return run(script, args)


@contextmanager
def revision(ref: str) -> Iterator[Callable[[str, list[str]], Any]]:
    """Revision `ref` exported once; yields ``run(script, args)``, which runs `script` (this tree's copy) in a child
    process importing that revision and returns what it printed as JSON (for benchmarks that alternate
    the two trees, so both see the same moments of a shared machine)."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        env = dict(os.environ, PYTHONPATH=tmp)
        code = "import world, sys; sys.exit(0 if world.__file__.startswith(sys.argv[1]) else 1)"
        subprocess.run([sys.executable, "-c", code, tmp], env=env, cwd=tmp, check=True)  # the child imports REF's tree

        def run(script: str, args: list[str]) -> Any:
            child = subprocess.run(
                [sys.executable, script, *args], env=env, cwd=tmp, check=True, capture_output=True, text=True
            )
            return json.loads(child.stdout)

        yield run
