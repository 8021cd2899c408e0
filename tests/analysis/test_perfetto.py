"""Perfetto export: valid Chrome Trace Event JSON with ordered tracks and paired async spans."""

import json
from collections import defaultdict
from pathlib import Path

from analysis.perfetto import export_perfetto
from scenarios.cli import main
from world.clock import Run
from world.trace import read_trace


def _spans_run(out: Path) -> None:
    run = Run(0, out_dir=out, run_id="p")
    for tok in range(4):  # overlapping token spans, as inference produces
        run.trace.emit(tok * 1.0, "attention", "token_start", entity_id=tok, pos=tok)
        run.trace.emit(tok * 1.0 + 0.5, "attention", "attend", entity_id=tok, layer=0, head=1, value=0.3)
    for tok in range(4):
        run.trace.emit(10.0 + tok, "attention", "token_end", entity_id=tok, value=1.2, info_bits=0.4)
    run.trace.emit(13.5, "membrane", "pump", src="N", dst="P", value=4, attrs={"complex": "I"})
    run.metrics.record(5.0, "membrane", "pmf_mV", 180.0, "mV")
    run.metrics.record(6.0, "membrane", "pmf_mV", 181.0, "mV")
    run.close()


def test_export_is_valid_and_complete(tmp_path: Path) -> None:
    """Every trace row becomes one event, every metric sample a counter, and required fields exist."""
    _spans_run(tmp_path)
    path, n = export_perfetto(tmp_path)
    events = json.loads(path.read_text())["traceEvents"]
    assert len(events) == n
    body = [e for e in events if e["ph"] != "M"]
    assert len([e for e in body if e["ph"] != "C"]) == len(read_trace(tmp_path))
    assert len([e for e in body if e["ph"] == "C"]) == 2
    for e in events:
        assert {"name", "ph", "pid", "tid"} <= e.keys()
        if e["ph"] != "M":
            assert isinstance(e["ts"], float)


def test_ts_non_decreasing_per_track(tmp_path: Path) -> None:
    """Within each (pid, tid) track, timestamps never decrease."""
    _spans_run(tmp_path)
    path, _ = export_perfetto(tmp_path)
    last: dict[tuple, float] = defaultdict(lambda: -1.0)
    for e in json.loads(path.read_text())["traceEvents"]:
        if e["ph"] == "M":
            continue
        key = (e["pid"], e["tid"], e["name"] if e["ph"] == "C" else "")
        assert e["ts"] >= last[key]
        last[key] = e["ts"]


def test_token_spans_are_async_pairs(tmp_path: Path) -> None:
    """Each token_start/token_end pair becomes one async begin and one end with the token's id."""
    _spans_run(tmp_path)
    path, _ = export_perfetto(tmp_path)
    events = json.loads(path.read_text())["traceEvents"]
    begins = sorted(e["id"] for e in events if e["ph"] == "b")
    ends = sorted(e["id"] for e in events if e["ph"] == "e")
    assert begins == ends == [0, 1, 2, 3]
    assert {e["name"] for e in events if e["ph"] in "be"} == {"token"}


def test_cli_export(tmp_path: Path) -> None:
    """`gradient export-perfetto DIR` writes DIR/trace.json; a directory without a trace exits 2."""
    _spans_run(tmp_path / "r")
    assert main(["export-perfetto", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "trace.json").stat().st_size > 0
    (tmp_path / "empty").mkdir()
    assert main(["export-perfetto", str(tmp_path / "empty")]) == 2
