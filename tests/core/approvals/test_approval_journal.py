"""The approvals tables: added to an older journal on open (schema 2 -> 3), and decisions
are conditional, so of two answers exactly one wins."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from axo_tui.core.store.approvals import ApprovalStatus
from axo_tui.core.store.journal import SCHEMA_VERSION, Journal


def test_an_older_journal_gains_the_approvals_tables(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    Journal(path).close()
    with sqlite3.connect(path) as db:  # as schema 2 left it: no approvals tables
        db.execute("DROP TABLE approvals")
        db.execute("DROP TABLE approval_rules")
        db.execute("PRAGMA user_version=2")
    journal = Journal(path)
    try:
        version = journal.connection.execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION == 3
        journal.create_approval(
            "ap1",
            run_id=None,
            activation_id="act",
            agent_id="ops",
            tool="shell",
            arguments={"command": "df -h"},
            args_hash="h",
            expires_at=time.time() + 60,
        )
        assert journal.decide_approval("ap1", ApprovalStatus.APPROVED, "user", "once")
        assert not journal.decide_approval("ap1", ApprovalStatus.DENIED, "timeout", "once")
        record = journal.approval("ap1")
        assert record is not None and record.status == "approved"
        assert journal.start_approved_call("ap1") and not journal.start_approved_call("ap1")
    finally:
        journal.close()
