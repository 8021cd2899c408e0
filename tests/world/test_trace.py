"""Trace and metrics recorders: round trips, streaming, crash prefixes, byte-identical output."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from world.errors import ClockError
from world.trace import TRACE_SCHEMA, MetricsRecorder, TraceRecorder, read_metrics, read_trace

KINDS = ["pump", "rotor_step", "leak", "token_start", "token_end", "attend"]


def _emit_n(rec: TraceRecorder, n: int) -> list[dict]:
    rows = []
    for i in range(n):
        row = dict(
            t=i * 0.5,
            world="membrane" if i % 2 else "attention",
            kind=KINDS[i % len(KINDS)],
            entity_id=i if i % 3 else None,
            src="N" if i % 2 else None,
            dst="P",
            layer=i % 2,
            head=None if i % 5 == 0 else i % 4,
            pos=i,
            value=float(i) / 3,
            unit="H+",
            energy_J=-1.5e-20 * i,
            info_bits=None,
            attrs={"i": i, "b": [1, 2]} if i % 2 else None,
        )
        rec.emit(**row)
        rows.append(row)
    return rows


def test_round_trip_parquet(tmp_path: Path) -> None:
    """N events written to Parquet read back identical, across several row groups."""
    rec = TraceRecorder(tmp_path / "trace.parquet", "r1", flush_every=7)
    rows = _emit_n(rec, 50)
    rec.close()
    df = read_trace(tmp_path)
    assert len(df) == 50
    assert pq.ParquetFile(tmp_path / "trace.parquet").metadata.num_row_groups == 8
    assert list(df["seq"]) == list(range(50))
    for got, want in zip(df.to_dict("records"), rows, strict=True):
        for key, value in want.items():
            if key == "attrs":
                assert (json.loads(got[key]) if isinstance(got[key], str) else None) == value
            elif value is None:
                assert pd.isna(got[key])
            else:
                assert got[key] == value


def test_round_trip_jsonl_matches_parquet(tmp_path: Path) -> None:
    """The same events through JSONL read back equal to the Parquet frame."""
    a, b = tmp_path / "a", tmp_path / "b"
    for d, fmt in ((a, "parquet"), (b, "jsonl")):
        rec = TraceRecorder(d / f"trace.{fmt}", "r1", fmt=fmt, flush_every=11)
        _emit_n(rec, 40)
        rec.close()
    pd.testing.assert_frame_equal(read_trace(a), read_trace(b), check_categorical=False)


def test_abandoned_writer_leaves_readable_prefix(tmp_path: Path) -> None:
    """A writer dropped without close() leaves every flushed row group readable."""
    rec = TraceRecorder(tmp_path / "trace.parquet", "r1", flush_every=10)
    _emit_n(rec, 35)  # 3 flushes of 10; 5 rows still buffered
    del rec
    df = read_trace(tmp_path)
    assert list(df["seq"]) == list(range(30))
    assert len(pd.read_parquet(tmp_path / "trace.parquet")) == 30  # plain pandas reads the prefix too


def test_torn_part_ends_prefix(tmp_path: Path) -> None:
    """A part file torn mid-write (a kill during a flush) ends the readable prefix instead of failing."""
    rec = TraceRecorder(tmp_path / "trace.parquet", "r1", flush_every=10)
    _emit_n(rec, 30)
    part = tmp_path / "trace.parquet" / "part-000002.parquet"
    part.write_bytes(part.read_bytes()[:50])
    assert len(read_trace(tmp_path)) == 20


def test_torn_jsonl_line_is_skipped(tmp_path: Path) -> None:
    """A JSONL trace whose last line was cut reads back without that line."""
    rec = TraceRecorder(tmp_path / "trace.jsonl", "r1", fmt="jsonl", flush_every=5)
    _emit_n(rec, 10)
    rec.close()
    path = tmp_path / "trace.jsonl"
    path.write_text(path.read_text()[:-20])
    assert len(read_trace(tmp_path)) == 9


def test_emit_many_matches_emit(tmp_path: Path) -> None:
    """A vectorised batch produces the same rows as the same events emitted one by one."""
    one = TraceRecorder(None, "r")
    many = TraceRecorder(None, "r")
    ids = np.arange(5, dtype=np.int64)
    for i in ids:
        one.emit(1.0, "membrane", "leak", entity_id=int(i), src="P", dst="N", value=1.0, attrs={"x": 1})
    many.emit_many(1.0, "membrane", "leak", entity_id=ids, src="P", dst="N", value=1.0, attrs={"x": 1})
    pd.testing.assert_frame_equal(one.to_frame(), many.to_frame(), check_categorical=False)


def test_clock_never_goes_back() -> None:
    """An event earlier than the last one recorded raises ClockError."""
    rec = TraceRecorder(None, "r")
    rec.emit(2.0, "membrane", "pump")
    with pytest.raises(ClockError, match="earlier"):
        rec.emit(1.0, "membrane", "pump")
    with pytest.raises(ClockError):
        rec.emit_many(np.array([2.0, 1.5]), "membrane", "pump")


def test_emit_many_rejects_unknown_column() -> None:
    """A misspelt column name is an error naming it, not a silent drop."""
    with pytest.raises(ValueError, match="entity"):
        TraceRecorder(None, "r").emit_many(0.0, "membrane", "pump", n=2, entity=np.arange(2))


def test_same_events_same_bytes(tmp_path: Path) -> None:
    """Identical event streams give byte-identical trace.parquet files."""
    for d in ("a", "b"):
        rec = TraceRecorder(tmp_path / d / "trace.parquet", "r1", flush_every=13)
        _emit_n(rec, 100)
        rec.close()
    assert (tmp_path / "a/trace.parquet").read_bytes() == (tmp_path / "b/trace.parquet").read_bytes()


def test_metrics_round_trip(tmp_path: Path) -> None:
    """Metric samples come back in long format with their units."""
    rec = MetricsRecorder(tmp_path / "metrics.parquet", "r1", flush_every=3)
    for i in range(10):
        rec.record_many(float(i), "membrane", {"pmf_mV": (150.0 + i, "mV"), "atp": (i, "molecules")})
    rec.close()
    df = read_metrics(tmp_path)
    assert list(df.columns) == ["run_id", "world", "t", "metric", "value", "unit"]
    pmf = df[df.metric == "pmf_mV"]
    assert pmf["value"].tolist() == [150.0 + i for i in range(10)]
    assert set(pmf["unit"]) == {"mV"}


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
_event = st.fixed_dictionaries(
    {
        "dt": st.floats(0, 1e3, allow_nan=False),
        "world": st.sampled_from(["membrane", "attention"]),
        "kind": st.sampled_from(KINDS),
        "entity_id": st.none() | st.integers(-(2**62), 2**62),
        "src": st.none() | _text,
        "layer": st.none() | st.integers(0, 2**31 - 1),
        "value": st.none() | st.floats(allow_nan=False),
        "energy_J": st.none() | st.floats(allow_nan=False, allow_infinity=False),
        "attrs": st.none() | st.dictionaries(st.text(max_size=4), st.integers() | _text, max_size=3),
    }
)


@given(events=st.lists(_event, max_size=30), flush_every=st.integers(1, 8))
def test_any_valid_events_round_trip(tmp_path_factory: pytest.TempPathFactory, events, flush_every) -> None:
    """Any sequence of valid events round-trips through both Parquet and JSONL unchanged."""
    base = tmp_path_factory.mktemp("rt")
    frames = []
    for fmt in ("parquet", "jsonl"):
        rec = TraceRecorder(base / fmt / f"trace.{fmt}", "run", fmt=fmt, flush_every=flush_every)
        t = 0.0
        for ev in events:
            t += ev["dt"]
            rec.emit(t, **{k: v for k, v in ev.items() if k != "dt"})
        rec.close()
        frames.append(read_trace(base / fmt))
    for df in frames:
        assert len(df) == len(events)
        for got, ev in zip(df.to_dict("records"), events, strict=True):
            assert got["kind"] == ev["kind"] and got["world"] == ev["world"]
            for key in ("entity_id", "src", "layer", "value", "energy_J"):
                want = ev[key]
                if want is None:
                    assert pd.isna(got[key])
                elif isinstance(want, float) and math.isinf(want):
                    assert got[key] == want
                else:
                    assert got[key] == want
            assert (None if pd.isna(got["attrs"]) else json.loads(got["attrs"])) == ev["attrs"]


def test_schema_has_design_columns() -> None:
    """The trace schema carries exactly the columns the design fixes, in order."""
    assert TRACE_SCHEMA.names == [
        "run_id", "world", "t", "seq", "kind", "entity_id", "src", "dst", "layer", "head", "pos",
        "value", "unit", "energy_J", "info_bits", "attrs",
    ]  # fmt: skip
