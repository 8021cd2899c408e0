"""The run-output directory contract: which files a run writes, and `summary.json` written last, atomically.

Key names: `write_summary`, `read_summary`, `is_complete`, `jsonable`.

A run is complete exactly when ``summary.json`` exists and holds ``"complete": true``; it is written by
writing a temporary file and renaming it over the final name, so no reader ever sees half of it. Which files
of a directory the project wrote is recorded in its manifest (`world.rundir`).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from world.rundir import claim


def jsonable(obj: Any) -> Any:
    """A JSON-safe copy: numpy scalars/arrays to Python, tuples to lists, NaN to None, ±inf to "inf"/"-inf"."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"summary value {obj!r} of type {type(obj).__name__} is not JSON-serialisable")


def write_summary(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``summary.json`` with ``"complete": true`` as its last key, by atomic rename."""
    body = jsonable({k: v for k, v in summary.items() if k != "complete"})
    body["complete"] = True
    tmp = claim(out_dir, "summary.json.tmp")
    path = claim(out_dir, "summary.json")
    try:
        tmp.write_text(json.dumps(body, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written summary behind
        raise
    return path


def read_summary(out_dir: Path | str) -> dict[str, Any] | None:
    """The run's summary, or None when there is none (or it is unreadable: an interrupted write)."""
    path = Path(out_dir) / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_complete(out_dir: Path | str) -> bool:
    """True when the directory holds a complete run."""
    summary = read_summary(out_dir)
    return bool(summary and summary.get("complete") is True)
