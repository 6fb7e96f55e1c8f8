"""Small JSON files written so a crash never leaves half of one, and a lock to edit them.

Core memory is curated by the agent over weeks; losing it to a kill -9 mid-write, or a full
disk, would be the worst kind of bug. Every write therefore goes through the one atomic writer
(`core/base/atomic_files`: temp file, fsync, rename, directory fsync), and the previous good
copy is kept as `<name>.bak` for a reader that finds the file damaged.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from axo_tui.core.base.atomic_files import atomic_write
from axo_tui.core.store.private_files import private_dir

try:  # POSIX only; elsewhere concurrent writers simply are not serialised across processes.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def write_atomic(path: Path, data: bytes, *, keep_backup: bool = True) -> None:
    """Replace `path` with `data` atomically; the old content becomes `<path>.bak` first."""
    private_dir(path.parent)
    if keep_backup and path.exists():
        previous = path.read_bytes()
        if _parses(previous):  # a damaged file must never overwrite the last good backup
            atomic_write(backup_path(path), previous)
    atomic_write(path, data)


def write_json_atomic(path: Path, value: Any, *, keep_backup: bool = True) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    write_atomic(path, text.encode("utf-8"), keep_backup=keep_backup)


def _parses(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `<path>.lock` so a read-modify-write by `axo memory edit`
    and one by a running agent cannot interleave and lose an edit."""
    private_dir(path.parent)
    lock_path = path.with_name(path.name + ".lock")
    with os.fdopen(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600), "r+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
