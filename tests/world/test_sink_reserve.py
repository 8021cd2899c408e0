"""Rows reserved in the sink's row order and handed over later by a source are all written, in parts of
`flush_every`, whether or not the producer settles before the sink is read or closed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from world.sink import Sink

SCHEMA = pa.schema([("a", pa.int64())])


def _sink(path: Path | None) -> tuple[Sink, list[int]]:
    """A sink with one source that hands over every reserved row (value = its key) at each flush."""
    sink = Sink(path, SCHEMA, flush_every=7, fmt="parquet")
    made: list[int] = []

    def source() -> tuple[np.ndarray, pa.Table] | None:
        if not made:
            return None
        keys = np.array(made, dtype=np.int64)
        made.clear()
        return keys, pa.table({"a": pa.array(keys)}, schema=SCHEMA)

    sink.add_source(source)
    return sink, made


def _reserve(sink: Sink, made: list[int], n: int) -> None:
    first = sink.reserve(n)
    made.extend(range(first, first + n))


@pytest.mark.parametrize("settle", [True, False])
def test_a_reservation_of_several_parts_is_written_whole_in_parts_of_flush_every(tmp_path: Path, settle: bool) -> None:
    """25 rows reserved at once with flush_every = 7: settling writes parts of 7, 7 and 7 and keeps 4, which
    closing writes. Without a settle, closing writes the same parts (before the fix it wrote the first 7 and
    dropped the other 18)."""
    path = tmp_path / "t.parquet"
    sink, made = _sink(path)
    _reserve(sink, made, 25)
    if settle:
        sink.settle()
        assert sink.rows_written == 21
    sink.close()
    f = pq.ParquetFile(path)
    assert f.read().column("a").to_pylist() == list(range(25))
    sizes = [f.metadata.row_group(i).num_rows for i in range(f.num_row_groups)]
    assert sizes == [7, 7, 7, 4]


def test_an_in_memory_sink_returns_every_reserved_row() -> None:
    """`to_table` on an in-memory sink with an unsettled reservation of several parts returns all its rows."""
    sink, made = _sink(None)
    _reserve(sink, made, 25)
    assert sink.to_table().column("a").to_pylist() == list(range(25))
