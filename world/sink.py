"""A buffered, streaming table writer: Parquet part files merged on close, JSONL lines, or memory.

Key names: `Sink`, `WRITE_OPTS`.

Rows arrive one at a time (tuples) or as Arrow tables; every `flush_every` rows they are written. A producer that
keeps its rows as columns (a stream that writes rows per token) instead `reserve`s their places in the row order
when they happen and hands them over as one table per flush from a `source` callback; the sink then sorts each
flush's rows by that order (a key counted across every row), so the file is the one the row-by-row path gives,
with each dictionary column encoded in order of first appearance. In Parquet
mode each flush writes one complete Parquet file into a directory named like the final file (so a killed run
leaves a readable dataset); `close()` merges the parts, one at a time, into a single file with one row group
per flush. The writer settings are fixed so that identical rows give identical bytes.

Every path is claimed in the run directory's manifest before it is written (`world.rundir.claim`), and a write
that fails (a full disk, say) leaves no torn part and no half-merged file: the parts already written stay a
readable prefix, and the error names the file and its cause.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from world.rundir import claim

WRITE_OPTS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "write_statistics": True,
    "store_schema": True,
}


def column(values: list[Any] | np.ndarray, typ: pa.DataType) -> pa.Array:
    """An Arrow array of type `typ` (dictionary-encoding strings when `typ` is a dictionary type)."""
    if pa.types.is_dictionary(typ):
        return pa.array(values, type=pa.string()).dictionary_encode().cast(typ)
    return pa.array(values, type=typ)


class Sink:
    """Buffers rows of one schema and writes them as Parquet parts (or JSONL), or keeps them in memory."""

    def __init__(
        self,
        path: Path | None,
        schema: pa.Schema,
        flush_every: int,
        fmt: str,
        on_flush: Callable[[], None] | None = None,
    ) -> None:
        if flush_every < 1:
            raise ValueError(f"flush_every(={flush_every}) must be >= 1")
        if fmt not in ("parquet", "jsonl"):
            raise ValueError(f"trace format {fmt!r} is not one of: parquet, jsonl")
        self.path = path
        self.schema = schema
        self.flush_every = flush_every
        self.fmt = fmt
        self.names = schema.names
        self._rows: list[tuple] = []
        self._keys: list[int] = []
        self._next_key = 0
        self._chunks: list[pa.Table] = []
        self._chunk_keys: list[np.ndarray] = []
        self._sources: list[tuple[Callable[..., tuple[np.ndarray, pa.Table] | None], bool]] = []
        self._cut: int | None = None
        self._carried = False
        self._pending = 0
        self._parts = 0
        self._memory: list[pa.Table] = []
        self._jsonl = None
        self.closed = False
        self.rows_written = 0
        self.on_flush = on_flush
        if path is not None:
            out, name = path.parent, path.name
            out.mkdir(parents=True, exist_ok=True)
            claim(out, name)
            if fmt == "parquet":
                self._dir = path
                claim(out, f"{name}/part-*.parquet", pattern=True)
                claim(out, f"{name}.merging")
                _remove_parts(path)
                path.mkdir()
            else:
                self._jsonl = path.open("w", encoding="utf-8")

    def add_row(self, row: tuple) -> None:
        self._rows.append(row)
        self._keys.append(self._next_key)
        self._next_key += 1
        self._pending += 1
        if self._pending >= self.flush_every:
            self.flush()

    def add_table(self, table: pa.Table) -> None:
        self._seal_rows()
        first = self._next_key
        self._next_key = first + table.num_rows
        self._chunks.append(table)
        self._chunk_keys.append(np.arange(first, first + table.num_rows, dtype=np.int64))
        self._pending += table.num_rows
        if self._pending >= self.flush_every:
            self.flush()

    def add_source(self, source: Callable[..., tuple[np.ndarray, pa.Table] | None], limited: bool = False) -> None:
        """Register a producer of reserved rows: at every flush, ``source()`` returns the rows it has made since
        the last call as ``(keys, table)`` (each row's key from `reserve`, any order), or None. A `limited` source
        is called as ``source(limit)`` and returns only its rows with keys below `limit` (all when None), keeping
        the rest for a later call: a flush cut inside its reservation then carries nothing."""
        self._sources.append((source, limited))

    def reserve(self, n: int) -> int:
        """Take the next ``n`` places in the row order for rows a source will hand over; returns the first key.

        The producer makes the rows, then calls `settle`. If the ``flush_every``-th pending row is one of these,
        `settle` flushes up to and including it, as adding the rows one by one would.
        """
        first = self._next_key
        self._next_key = first + n
        pending = self._pending
        if pending < self.flush_every <= pending + n:
            self._cut = first + self.flush_every - pending
        self._pending = pending + n
        return first

    def settle(self) -> None:
        """Flush now if the last `reserve` completed ``flush_every`` pending rows (its rows are made), as often
        as it did: a reservation of several flushes' worth of rows is written in parts of ``flush_every``."""
        while self._cut is not None:
            self.flush()

    def _seal_rows(self) -> None:
        if not self._rows:
            return
        cols = list(zip(*self._rows, strict=True))
        arrays = [column(list(c), f.type) for c, f in zip(cols, self.schema, strict=True)]
        self._chunks.append(pa.Table.from_arrays(arrays, schema=self.schema))
        self._chunk_keys.append(np.array(self._keys, dtype=np.int64))
        self._rows = []
        self._keys = []

    def _take(self) -> pa.Table | None:
        self._seal_rows()
        reserved = self._carried  # rows kept back by the last flush came from sources
        cut, self._cut = self._cut, None
        for source, limited in self._sources:
            made = source(cut) if limited else source()
            if made is not None and made[1].num_rows:
                self._chunk_keys.append(np.asarray(made[0], dtype=np.int64))
                self._chunks.append(made[1])
                reserved = True
        # every key below the cut is written now; those from it on (kept by limited sources or carried) wait
        self._pending = 0 if cut is None else self._next_key - cut
        if cut is not None and self._pending >= self.flush_every:  # the next part is complete too (`settle`)
            self._cut = cut + self.flush_every
        if not self._chunks:
            return None
        table = (
            self._chunks[0] if len(self._chunks) == 1 else pa.concat_tables(self._chunks).unify_dictionaries()
        ).combine_chunks()
        keys = np.concatenate(self._chunk_keys)
        self._chunks, self._chunk_keys = [], []
        if reserved:
            if keys.size < 2 or bool(np.all(keys[1:] > keys[:-1])):
                order = np.arange(keys.size)  # already in key order (one source, no rows in between)
            else:
                order = np.argsort(keys, kind="stable")
                keys = keys[order]
            if cut is not None and keys[-1] >= cut:  # rows reserved past the flush_every-th wait for the next flush
                n = int(np.searchsorted(keys, cut))
                rest = _in_key_order(table, order[n:])  # its dictionaries pruned: the next flush adds to them
                self._chunks, self._chunk_keys = [rest], [keys[n:]]
                order = order[:n]
            self._carried = bool(self._chunks)
            table = _in_key_order(table, order)
        return table

    def flush(self) -> None:
        """Write everything buffered: one Parquet part, a block of JSONL lines, or one in-memory chunk."""
        table = self._take()
        if table is not None:
            self.rows_written += table.num_rows
            if self.path is None:
                self._memory.append(table)
            elif self.fmt == "parquet":
                part = self._dir / f"part-{self._parts:06d}.parquet"
                try:
                    pq.write_table(table, part, **WRITE_OPTS)
                except OSError as exc:
                    part.unlink(missing_ok=True)  # no torn part: the prefix ends at the last whole one
                    raise write_error(exc, part) from None
                self._parts += 1
            else:
                assert self._jsonl is not None
                lines = [json.dumps(r, separators=(",", ":"), allow_nan=False) for r in _json_rows(table)]
                try:
                    self._jsonl.write("\n".join(lines) + "\n")
                    self._jsonl.flush()
                except OSError as exc:
                    raise write_error(exc, self.path) from None
        if self.on_flush is not None:
            self.on_flush()

    def _flush_all(self) -> None:
        """Flush until nothing is buffered: a flush cut at a reservation's ``flush_every``-th row carries the
        rest, which the next flush writes."""
        self.flush()
        while self._rows or self._chunks:
            self.flush()

    def close(self) -> None:
        """Flush, then (Parquet) merge the parts into one file and remove the part directory."""
        if self.closed:
            return
        self._flush_all()
        self.closed = True
        if self.path is None:
            return
        if self.fmt == "jsonl":
            assert self._jsonl is not None
            self._jsonl.close()
            return
        tmp = self.path.with_name(self.path.name + ".merging")
        try:
            with pq.ParquetWriter(tmp, self.schema, **WRITE_OPTS) as writer:
                for i in range(self._parts):
                    writer.write_table(pq.read_table(self._dir / f"part-{i:06d}.parquet", schema=self.schema))
        except OSError as exc:
            tmp.unlink(missing_ok=True)  # no half-merged file: the part directory stays the readable prefix
            raise write_error(exc, tmp) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _remove_parts(self._dir)
        tmp.replace(self.path)

    def to_table(self) -> pa.Table:
        """All rows so far (in-memory mode): flushed chunks plus the buffer."""
        if self.path is not None:
            raise RuntimeError("to_table() is for in-memory recorders; read the files with read_trace()")
        self._flush_all()
        if not self._memory:
            return self.schema.empty_table()
        return pa.concat_tables(self._memory).unify_dictionaries().combine_chunks()


def _in_key_order(table: pa.Table, order: np.ndarray) -> pa.Table:
    """Rows ``order`` of ``table``, each dictionary column's dictionary in order of first appearance (as the
    row-by-row path encodes it)."""
    if np.any(order != np.arange(len(order))):
        table = table.take(pa.array(order))
    elif len(order) != table.num_rows:  # the first rows, in order (a flush cut inside a reservation)
        table = table.slice(0, len(order))
    table = table.combine_chunks()
    arrays = [
        _first_appearance(c.chunk(0)) if pa.types.is_dictionary(f.type) and c.num_chunks == 1 else c
        for c, f in zip(table.columns, table.schema, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=table.schema)


def _first_appearance(arr: pa.DictionaryArray) -> pa.DictionaryArray:
    """The same values with the dictionary reordered (and pruned) to the order in which values first appear."""
    if len(arr) == 0:
        return arr
    if arr.null_count == 0:
        codes = arr.indices.to_numpy()
        valid = np.ones(codes.size, dtype=bool)
        c = codes
    else:
        codes = pc.fill_null(arr.indices, -1).to_numpy()
        valid = codes >= 0
        if not valid.any():
            return pa.nulls(len(arr), pa.string()).dictionary_encode().cast(arr.type)
        c = codes[valid]
    seen = np.maximum.accumulate(c)
    if c[0] == 0 and seen[-1] == len(arr.dictionary) - 1 and bool(np.all(c[1:] <= seen[:-1] + 1)):
        return arr  # already so: each new value is the next code, and every code is used
    runs = c[np.flatnonzero(np.concatenate(([True], c[1:] != c[:-1])))]  # a value first appears at a run's start
    used, first = np.unique(runs, return_index=True)
    in_order = used[np.argsort(first)]
    remap = np.zeros(len(arr.dictionary), dtype=arr.indices.type.to_pandas_dtype())
    remap[in_order] = np.arange(len(in_order))
    indices = pa.array(remap[np.where(valid, codes, 0)], type=arr.indices.type, mask=~valid)
    return pa.DictionaryArray.from_arrays(indices, arr.dictionary.take(pa.array(in_order)))


def _remove_parts(path: Path) -> None:
    """Remove a previous part directory (its part files only) or merged file at `path`; never follow a link."""
    if path.is_dir() and not path.is_symlink():
        for part in path.glob("part-*.parquet"):
            part.unlink()
        path.rmdir()
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_error(exc: OSError, path: Path) -> OSError:
    """An `OSError` naming `path` and the cause (pyarrow's own errors name neither clearly)."""
    code = exc.errno or _errno_in(str(exc)) or errno.EIO
    return OSError(code, os_strerror(code), str(path))


def _errno_in(text: str) -> int | None:
    """The errno pyarrow writes into its messages (``[errno 28] ...``), if any."""
    found = re.search(r"errno (\d+)", text, flags=re.IGNORECASE)
    return int(found.group(1)) if found else None


def os_strerror(code: int) -> str:
    """The C library's text for `code`, with its symbolic name (``No space left on device (ENOSPC)``)."""
    return f"{os.strerror(code)} ({errno.errorcode.get(code, code)})"


def _json_rows(table: pa.Table) -> list[dict[str, Any]]:
    rows = table.to_pylist()
    for r in rows:
        for k, v in r.items():
            if isinstance(v, float) and not math.isfinite(v):
                r[k] = None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return rows
