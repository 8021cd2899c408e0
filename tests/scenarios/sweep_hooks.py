"""TEST-ONLY instrumentation of sweep workers: never imported by the test process or the scenario registry.

The sweep tests pass this file as ``preload`` to their Dask cluster, so only the worker processes import it.
It wraps the registered `ehrenfest` scenario in those workers; the wrapper is a pass-through (the run's
outputs are unchanged) unless the test wrote a control file ``sweep-hook.json`` two levels above the
sweep directory (the test's own temporary directory), with any of:

- ``"record_starts": true`` — every start of a run leaves a file ``starts/RUN.PID.UUID`` next to it;
- ``"kill_once": [RUN, ...]`` — the first start of each of those runs SIGKILLs its own worker process;
- ``"kill_always": [RUN, ...]`` — every start of those runs ends its worker process with ``os._exit(1)``.

RUN is the run's directory name. A run being written lives in ``SWEEP/.partial/RUN.UUID``, which is how the
wrapper finds both the run's name and the control file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import uuid
from pathlib import Path
from typing import Any

from scenarios.registry import _REGISTRY, all_scenarios
from world.clock import Run

_original = all_scenarios()["ehrenfest"]


def _instrumented(run: Run, **params: Any) -> dict:
    partial = Path(run.out_dir)
    root = partial.parents[2]
    control_file = root / "sweep-hook.json"
    if control_file.exists():
        control = json.loads(control_file.read_text())
        name = partial.name.rsplit(".", 1)[0]
        if control.get("record_starts"):
            (root / "starts").mkdir(exist_ok=True)
            (root / "starts" / f"{name}.{os.getpid()}.{uuid.uuid4().hex[:6]}").touch()
        marker = root / f"killed-once-{name}"
        if name in control.get("kill_once", []) and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        if name in control.get("kill_always", []):
            os._exit(1)
    return _original.func(run, **params)


_REGISTRY["ehrenfest"] = dataclasses.replace(_original, func=_instrumented)
