"""Everything under the data directory is private: files 0600, folders 0700, whatever the umask.

The data directory holds transcripts, memory and token spend (DESIGN §4). Files axo creates
itself ask for 0600 (the umask can only take bits away, never add them); what others create
for us (SQLite's database file, chromadb's store) and folders made with `mkdir -p` (whose
parents get 0777 minus the umask) are set here. The data directory itself may be the user's
(`--data-dir`, `AXO_DATA_DIR`): axo creates it 0700 but never changes an existing one's mode,
it only says when others can read it (`exposure`).
"""

from __future__ import annotations

import contextlib
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """Create `path` and its missing parents, each 0700 (exactly, whatever the umask).
    Existing folders are left as they are. Raises OSError as `mkdir` does."""
    missing: list[Path] = []
    current = path
    while not current.is_dir() and current != current.parent:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            if not directory.is_dir():
                raise
            continue  # another process made it meanwhile
        directory.chmod(DIR_MODE)  # mkdir's mode went through the umask


def make_private(path: Path, *, tree: bool = False) -> None:
    """Set `path` to 0600 (a file) or 0700 (a folder), and with `tree` everything below it,
    where it is broader. Missing files and ones we cannot change are left alone: this only
    tightens (a file of another user's is not ours to fix, and never worth a crash)."""
    paths = [path]
    if tree and path.is_dir():
        paths += path.rglob("*")
    for each in paths:
        with contextlib.suppress(OSError):
            info = each.lstat()
            if stat.S_ISLNK(info.st_mode):
                continue
            wanted = DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
            if stat.S_IMODE(info.st_mode) != wanted:
                each.chmod(wanted)


def exposure(path: Path) -> str | None:
    """A warning when the folder `path` exists and its group or anyone else may enter or
    read it (None otherwise)."""
    try:
        info = path.stat()
    except OSError:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISDIR(info.st_mode) or not mode & 0o077:
        return None
    who = "anyone" if mode & 0o007 else "its group"
    return (
        f"{path}: the data directory can be read by {who} (mode {mode:04o}); it holds "
        f"transcripts, memory and token spend. Fix: chmod 700 {path}"
    )
