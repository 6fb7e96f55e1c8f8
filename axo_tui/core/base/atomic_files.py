"""The one atomic file writer: temp file in the same directory, fsync, rename, directory fsync.

A reader sees the old content or the new, whole, after any crash: the temp file sits in the
target's directory (a rename is atomic only within a file system), its data is fsynced before
the rename (a name that survives a power cut points at whole data), and the directory is
fsynced after it (the rename itself survives a power cut). The file is private (0600), and a
failed write removes its temp file and leaves the target untouched.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

FILE_MODE = 0o600


def atomic_write(
    path: Path, data: bytes, *, sync_directory: bool = True, recycle: Path | None = None
) -> None:
    """Replace `path` with `data` so that any reader, after any crash, sees the old content
    or the new, whole. Raises OSError (the temp file is removed; `path` is untouched).

    `sync_directory=False` skips the directory fsync: the rename is then certain across a
    kill -9 but, after a power cut, may be undone (the old content is seen, whole).
    `recycle`, a file of the same directory that is no longer wanted, is renamed to the
    temp name and overwritten rather than a new file created (and it is gone afterwards)."""
    directory = path.parent
    # A name no other writer uses (process and thread): cheaper than mkstemp's random names.
    temp = directory / f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    if recycle is not None:
        with contextlib.suppress(OSError):  # gone already (another writer took it): create
            recycle.replace(temp)
    fd = os.open(temp, flags, FILE_MODE)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)  # the data is on disk before the name points at it
        finally:
            os.close(fd)
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    if sync_directory:
        fsync_directory(directory)  # and the rename itself survives a power cut


def _write_all(fd: int, data: bytes) -> None:
    # os.write may write less than asked (a signal, a nearly full disk): loop until done.
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_directory(directory: Path) -> None:
    """Make a directory's entries (a rename, a new file) survive a power cut, where the
    platform allows it."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:
        return  # some platforms (Windows) cannot open a directory; rename is durable there
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; nothing better to do
    finally:
        os.close(fd)
