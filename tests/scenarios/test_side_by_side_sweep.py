"""`side_by_side`'s replicates are ordinary run directories made by the sweep engine: resumable one by one, and
the same numbers whether they run serially or on a local Dask cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.registry import get
from scenarios.runner import execute
from scenarios.side_by_side import REPLICATES_DIR, replicate_seeds
from scenarios.sweep_table import read_sweep
from world.outputs import is_complete, read_summary
from world.rundir import read_manifest

pytestmark = [pytest.mark.xdist_group("dask"), pytest.mark.timeout(300)]

SMOKE = dict(get("side_by_side").smoke)
SEED = 4


def _results(run_dir: Path) -> bytes:
    """The aggregate results of a run as canonical JSON bytes (the verdict, the rows, every number)."""
    return json.dumps((read_summary(run_dir) or {})["results"], sort_keys=True).encode()


def test_replicates_are_engine_runs_resumed_one_by_one_and_the_same_on_a_local_cluster(tmp_path: Path) -> None:
    """Each replicate is a complete run directory of `side_by_side_replicate` listed in ``sweep.parquet`` and
    claimed in the parent's manifest; deleting one replicate's summary and rerunning the parent redoes exactly
    that replicate (the others' files are not touched) and gives the same results bytes; the same run with
    ``scheduler=local`` (2 Dask workers) gives identical results and identical replicate traces."""
    serial = tmp_path / "serial"
    execute("side_by_side", serial, seed=SEED, overrides=SMOKE)
    reps = serial / REPLICATES_DIR
    table = read_sweep(reps)
    seeds = replicate_seeds(SEED, SMOKE["replicates"])
    assert list(table["seed"]) == seeds and set(table["status"]) == {"ok"}
    assert list(table["blocked"]) == [r < SMOKE["n_blocked"] for r in range(len(seeds))]
    assert REPLICATES_DIR in read_manifest(serial)["paths"]
    names = list(table["run"])
    for name, seed in zip(names, seeds, strict=True):
        child = reps / name
        summary = read_summary(child)
        assert is_complete(child) and read_manifest(child) is not None
        assert summary["scenario"] == "side_by_side_replicate" and summary["seed"] == seed
        assert summary["trace_events"] > 0 and (child / "trace.parquet").exists()
    before = _results(serial)
    stamps = {n: (reps / n / "trace.parquet").stat().st_mtime_ns for n in names}

    (reps / names[1] / "summary.json").unlink()
    execute("side_by_side", serial, seed=SEED, overrides=SMOKE, force=True)
    after = {n: (reps / n / "trace.parquet").stat().st_mtime_ns for n in names}
    assert [n for n in names if after[n] != stamps[n]] == [names[1]]
    assert is_complete(reps / names[1])
    assert list(read_sweep(reps)["resumed"]) == [True, False]
    assert _results(serial) == before

    local = tmp_path / "local"
    execute("side_by_side", local, seed=SEED, overrides={**SMOKE, "scheduler": "local"})
    assert _results(local) == before
    for n in names:
        a, b = reps / n / "trace.parquet", local / REPLICATES_DIR / n / "trace.parquet"
        assert a.read_bytes() == b.read_bytes()
