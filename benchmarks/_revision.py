"""Run a benchmark script against another git revision of this repository (helper of the benchmark scripts).

`at_revision(script, ref, args)` exports revision `ref` (``git archive``) to a temporary directory, checks that a
child Python imports the project's packages from there, runs `script` (this tree's copy, so the old revision
needs no benchmark code) in that child with `args`, and returns what the child printed as JSON. No old code is
kept in the tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def at_revision(script: str, ref: str, args: list[str]) -> Any:
    """The JSON that `script` prints when run with `args` on revision `ref`, in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        env = dict(os.environ, PYTHONPATH=tmp)
        code = "import world, sys; sys.exit(0 if world.__file__.startswith(sys.argv[1]) else 1)"
        subprocess.run([sys.executable, "-c", code, tmp], env=env, cwd=tmp, check=True)  # the child imports REF's tree
        child = subprocess.run(
            [sys.executable, script, *args], env=env, cwd=tmp, check=True, capture_output=True, text=True
        )
    return json.loads(child.stdout)
