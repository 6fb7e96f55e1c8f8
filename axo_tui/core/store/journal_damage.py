"""What a journal error means, said so a user knows what happened and what is left.

SQLite decides whether a journal is readable; this module only explains its errors. A full
disk is a full disk, not damage. Damage (SQLite's "malformed" / "not a database") is
confirmed with `PRAGMA quick_check`, and the report names the file, what is wrong, which
tables can still be read, and that the files beside the journal are untouched. Nothing here
ever advises moving aside a journal SQLite reads without complaint.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

DISK_FULL_BYTES = 256 * 1024
"""Free space under which a write error is taken for a full disk (a journal write needs a
few pages; SQLite reports ENOSPC on the WAL's index as a plain I/O error)."""

TABLES = ("runs", "activations", "events", "usage", "session_messages")

_DAMAGE = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_SQLITE_MAGIC = b"SQLite format 3\x00"


def is_damage(exc: BaseException) -> bool:
    """Whether SQLite says the file itself is damaged (not busy, not full, not read-only)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return isinstance(exc, sqlite3.DatabaseError) and name.startswith(_DAMAGE)


def disk_full(directory: Path, exc: BaseException | None = None) -> str | None:
    """The message for a full disk when `exc` (or the free space of `directory`) says so."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    full = name.startswith("SQLITE_FULL") or getattr(exc, "errno", None) in (
        errno.ENOSPC,
        errno.EDQUOT,
    )
    try:
        info = os.statvfs(directory)
        free = info.f_bavail * info.f_frsize
    except (OSError, AttributeError):
        free = None
    if not full and (free is None or free >= DISK_FULL_BYTES):
        return None
    room = f" ({free} bytes free)" if free is not None else ""
    return (
        f"{directory}: the disk is full{room}, so axo cannot write its journal. Free some "
        "space and run again; nothing already recorded is lost (the journal is intact)."
    )


def explain(path: Path, exc: BaseException, doing: str) -> str:
    """One message for a SQLite error met while `doing` (e.g. "cannot open the journal")."""
    full = disk_full(path.parent, exc)
    if full is not None:
        return full
    if is_damage(exc):
        return damage_report(path, exc)
    return f"{path}: {doing}: {exc}"


def damage_report(path: Path, exc: BaseException) -> str:
    """Why SQLite refuses `path`, what can still be read, and what to do."""
    truncated = _truncation(path)
    if truncated is not None:
        what = truncated
    else:
        what = f"SQLite cannot read some of its pages ({_quick_check(path) or exc})"
    readable = _readable(path)
    kept = (
        f"still readable: {', '.join(readable)}"
        if readable
        else "none of its tables can be read back"
    )
    return (
        f"{path}: the journal is damaged: {what}; {kept}. The checkpoints, core memory, "
        "recall store and activity logs (logs/daily/, every turn's text) beside it are "
        f"separate files and are untouched. To go on with a new journal, move the damaged "
        f"file aside and keep it (`mv {path} {path}.damaged`); sqlite3's `.dump` copies its "
        "readable rows out."
    )


def _truncation(path: Path) -> str | None:
    """ "truncated (N of M bytes)" when the header promises pages the file and its WAL lack."""
    try:
        with path.open("rb") as file:
            header = file.read(100)
        size = path.stat().st_size
    except OSError:
        return None
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return "it is not a SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    expected = int.from_bytes(header[28:32], "big") * page_size
    # The page count is only trustworthy when its "valid for" counter matches.
    if header[24:28] == header[92:96] and size < expected:
        return f"it is truncated ({size} of {expected} bytes)"
    return None


def _connect(path: Path) -> sqlite3.Connection:
    # Read-only: diagnosing must never change the file (it is kept for forensics).
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _quick_check(path: Path) -> str | None:
    """quick_check's first findings, one line; None when it cannot even run."""
    try:
        db = _connect(path)
    except sqlite3.Error:
        return None
    try:
        rows = db.execute("PRAGMA quick_check(3)").fetchall()
    except sqlite3.Error:
        return None
    finally:
        db.close()
    findings = [
        line.strip()
        for (text,) in rows
        for line in str(text).splitlines()
        if line.strip() and not line.startswith("***")
    ]
    if findings == ["ok"] or not findings:
        return None
    return "quick_check: " + "; ".join(findings)


def _readable(path: Path) -> list[str]:
    """ "runs (N rows)", ... for each table that reads back whole (every row and its overflow
    pages: a count could come from an index and miss the damage)."""
    try:
        db = _connect(path)
    except sqlite3.Error:
        return []
    found = []
    try:
        for table in TABLES:
            rows = 0
            try:
                for _ in db.execute(f"SELECT * FROM {table}"):
                    rows += 1
            except sqlite3.Error:
                continue
            found.append(f"{table} ({rows} rows)")
    finally:
        db.close()
    return found
