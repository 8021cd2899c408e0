"""Ownership of a run directory: the manifest of the files the project wrote, the writer's lock, safe paths.

Key names: `MANIFEST`, `LOCK`, `claim`, `read_manifest`, `is_run_dir`, `inspect`, `remove_owned`, `RunDirLock`,
`UnsafeOutputError`.

A run directory carries ``manifest.json``: every path the project wrote or is about to write there, relative
to the directory (a path may be a glob such as ``trace.parquet/part-*.parquet``). A writer *claims* a path
before it creates it (`claim` records it first, then returns it), so even a killed run's manifest covers
every file it left. The project deletes only what its manifest lists, never follows a symbolic link inside
the directory (neither to write nor to delete), refuses a non-empty directory that has no manifest, and takes
an exclusive lock (``.gradient.lock``, `fcntl.flock`) while it writes, so a second run into the same
directory fails at once.

How a caller tells what a directory holds: `is_run_dir` (the project owns it: a valid manifest) and
`world.outputs.is_complete` (it holds a finished run: ``summary.json`` with ``"complete": true``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

from world.params import ParameterError

MANIFEST = "manifest.json"
LOCK = ".gradient.lock"
FORMAT = "gradient-engines run directory"
VERSION = 1
KNOWN_OUTPUTS = (
    "summary.json",
    "trace.parquet",
    "trace.jsonl",
    "metrics.parquet",
    "report.md",
    "figures",
    "trace.json",
)
"""Top-level names a run or its exports write: one that exists but is not in the manifest is refused."""


class UnsafeOutputError(ParameterError):
    """Writing or deleting a path would go through a symbolic link or replace a file the project did not write."""


def _parts(rel: str) -> tuple[str, ...]:
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"output path {rel!r} must be a relative path inside the run directory")
    return parts


def _check_no_link(base: Path, rel: str) -> None:
    """Refuse `rel` when it, or a directory on the way to it, is a symbolic link."""
    p = base
    for part in _parts(rel):
        p = p / part
        if p.is_symlink():
            raise UnsafeOutputError(
                f"{p} is a symbolic link; gradient never writes or deletes through a link in a run directory: "
                "remove the link or choose another directory"
            )


def read_manifest(out_dir: Path | str) -> dict[str, Any] | None:
    """The directory's manifest, or None when there is none or it is not a valid one."""
    path = Path(out_dir) / MANIFEST
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("paths"), list):
        return None
    if not all(isinstance(p, str) for p in data["paths"]):
        return None
    return data


def is_run_dir(out_dir: Path | str) -> bool:
    """True when the project owns the directory (it carries a valid manifest)."""
    return read_manifest(out_dir) is not None


def _write_manifest(out_dir: Path, paths: list[str]) -> None:
    body = {"format": FORMAT, "version": VERSION, "paths": sorted(set(paths))}
    tmp = out_dir / (MANIFEST + ".tmp")
    _check_no_link(out_dir, MANIFEST + ".tmp")
    _check_no_link(out_dir, MANIFEST)
    tmp.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, out_dir / MANIFEST)


def start_manifest(out_dir: Path | str, previous: dict[str, Any] | None = None) -> None:
    """Begin a fresh manifest listing the lock file (after the previous run's files were removed) and every
    directory of the `previous` manifest that is still there because it is not empty (a parent run's directory
    of child runs, which a rerun resumes): the project still owns it, and may only ever remove it when empty."""
    base = Path(out_dir)
    kept = [
        rel
        for rel in (previous or {}).get("paths", [])
        if not any(ch in rel for ch in "*?[") and (base / rel).is_dir() and not (base / rel).is_symlink()
    ]
    _write_manifest(base, [LOCK, *kept])


def _matches(manifest: dict[str, Any], rel: str) -> bool:
    return any(PurePosixPath(rel).match(p) and len(_parts(p)) == len(_parts(rel)) for p in manifest["paths"])


def claim(out_dir: Path | str, rel: str, *, pattern: bool = False) -> Path:
    """Record `rel` (and the directories on its way) in the manifest, then return the path to write.

    Args:
        out_dir: the run directory.
        rel: a relative path (``"figures/gradients.png"``) or, with ``pattern=True``, a glob of files inside a
            directory the project owns (``"trace.parquet/part-*.parquet"``).
        pattern: `rel` is a glob; the returned path is then its directory.

    Raises:
        UnsafeOutputError: the path or a directory on its way is a symbolic link, or the path exists and the
            manifest does not list it (a file the project did not write).
    """
    base = Path(out_dir)
    parts = _parts(rel)
    _check_no_link(base, rel)
    manifest = read_manifest(base)
    paths = list(manifest["paths"]) if manifest else [LOCK]
    if manifest is not None and not pattern and (base / rel).exists() and not _matches(manifest, rel):
        raise UnsafeOutputError(f"{base / rel} was not written by gradient; move it away or choose another directory")
    wanted = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    if any(w not in paths for w in wanted):
        _write_manifest(base, paths + wanted)
    return base.joinpath(*parts[:-1]) if pattern else base / rel


def _owned_matches(base: Path, manifest: dict[str, Any]) -> list[Path]:
    """Every existing path the manifest lists, deepest first; refuses links on the way."""
    found: set[Path] = set()
    for rel in manifest["paths"]:
        parts = _parts(rel)
        for i in range(len(parts) - 1):
            _check_no_link(base, "/".join(parts[: i + 1]))
        if any(ch in rel for ch in "*?["):
            found.update(p for p in base.glob(rel) if p.parent.resolve() == base.joinpath(*parts[:-1]).resolve())
        elif os.path.lexists(base / rel):
            found.add(base / rel)
    found.discard(base / LOCK)
    found.discard(base / MANIFEST)
    return sorted(found, key=lambda p: (-len(p.relative_to(base).parts), str(p)))


def inspect(out_dir: Path, force: bool) -> list[Path]:
    """Check that a run may write into `out_dir` and return the owned paths it must remove first; writes nothing.

    Raises:
        ParameterError: `out_dir` is a file; it is not empty and holds no manifest; it holds a complete run and
            `force` is False; an output name exists that the manifest does not list; or a link is on the way.
    """
    from world.outputs import is_complete, read_summary

    if os.path.lexists(out_dir) and not out_dir.is_dir():
        raise ParameterError(f"--out {out_dir} is a file, not a directory")
    if not out_dir.exists():
        return []
    manifest = read_manifest(out_dir)
    entries = sorted(p.name for p in out_dir.iterdir() if p.name != LOCK)
    if manifest is None:
        if entries:
            raise ParameterError(
                f"--out {out_dir} is not empty and holds no gradient run (no {MANIFEST}; first entry: "
                f"{entries[0]!r}); choose a new or empty directory"
            )
        return []
    if is_complete(out_dir) and not force:
        previous = (read_summary(out_dir) or {}).get("scenario", "?")
        raise ParameterError(
            f"--out {out_dir} already holds a complete run of {previous!r}; pass --force to replace it"
        )
    for name in KNOWN_OUTPUTS:
        if os.path.lexists(out_dir / name):
            _check_no_link(out_dir, name)
            if not _matches(manifest, name):
                raise ParameterError(
                    f"{out_dir / name} was not written by gradient (it is not in {MANIFEST}); move it away first"
                )
    return _owned_matches(out_dir, manifest)


def remove_owned(paths: list[Path]) -> None:
    """Remove files (and links) in `paths`; remove a directory only when it is empty; never follow a link."""
    for p in paths:
        if p.is_symlink() or not p.is_dir():
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        else:
            with contextlib.suppress(OSError):
                p.rmdir()  # a directory still holding a file the project did not write stays


class RunDirLock:
    """An exclusive, non-blocking lock on a run directory, held while a run or report writes into it.

    Raises:
        ParameterError: another process holds the lock (the message names its pid).
    """

    def __init__(self, out_dir: Path | str) -> None:
        self.path = Path(out_dir) / LOCK
        _check_no_link(Path(out_dir), LOCK)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(self._fd)
            raise ParameterError(
                f"--out {out_dir} is in use by another gradient process (pid {holder}); wait for it to finish "
                "or choose another directory"
            ) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        """Release the lock (the lock file stays, listed in the manifest)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> RunDirLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
