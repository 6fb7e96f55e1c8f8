"""Fakes and probes shared by the journal's tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from axo_tui.core.store.journal import Journal


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


def record_usage(
    journal: Journal,
    run_id: str,
    prompt: int = 3,
    completion: int = 2,
    *,
    activation_id: str | None = None,
) -> None:
    """A ledger row of `prompt` and `completion` tokens for `run_id`."""
    journal.record_usage(
        run_id=run_id,
        activation_id=activation_id,
        agent_id="agent",
        provider="p",
        model="m",
        prompt_tokens=prompt,
        completion_tokens=completion,
        cost_usd=None,
    )
