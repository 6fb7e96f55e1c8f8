"""Fakes and probes shared by the journal's tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class FailingCommit:
    """A connection whose COMMIT fails with `message`, as a full or failing disk's would."""

    def __init__(self, db: sqlite3.Connection, message: str = "database or disk is full") -> None:
        self._db = db
        self._message = message

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if sql == "COMMIT":
            raise sqlite3.OperationalError(self._message)
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self._db, name)


def runs_seen_by_another_process(path: Path) -> set[str]:
    """The run ids committed to the journal at `path`, as another connection sees them."""
    with sqlite3.connect(path) as other:
        return {str(row[0]) for row in other.execute("SELECT id FROM runs")}
