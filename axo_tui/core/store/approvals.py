"""The journal's approvals: tool calls waiting for a human, their decisions, their execution,
and the remembered decisions (rules).

A row is written before anyone is asked, its decision before the tool acts, and the tool's
start and result around the call, each committed before the next step: so after a kill -9
a pending approval is still there to re-present, an approved call that never started runs
once, one that started is never run again, and a finished one returns its recorded result.
Decisions are conditional updates (`WHERE status='pending'`): of two answers (a person and
the timeout, or two processes) exactly one wins.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class Decision(StrEnum):
    APPROVE = "approve"
    DENY = "deny"


class Remember(StrEnum):
    ONCE = "once"
    """This call only."""
    ALWAYS = "always"
    """Every later call of this tool by this agent (a rule, listed and revocable)."""


APPROVALS_SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    run_id TEXT,
    activation_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    arguments TEXT NOT NULL,
    args_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    decided_at REAL,
    decided_by TEXT,
    remember TEXT,
    started_at REAL,
    finished_at REAL,
    ok INTEGER,
    result TEXT
);
CREATE INDEX IF NOT EXISTS approvals_status ON approvals(status);
CREATE INDEX IF NOT EXISTS approvals_run ON approvals(run_id);
CREATE TABLE IF NOT EXISTS approval_rules (
    agent_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    decision TEXT NOT NULL,
    created_at REAL NOT NULL,
    approval_id TEXT,
    PRIMARY KEY (agent_id, tool)
);
"""

_COLUMNS = (
    "id, run_id, activation_id, agent_id, tool, arguments, args_hash, status, created_at, "
    "expires_at, decided_at, decided_by, remember, started_at, finished_at, ok, result"
)


@dataclass(frozen=True)
class ApprovalRecord:
    """One tool call that needs (or needed) a human's yes."""

    id: str
    run_id: str | None
    activation_id: str
    agent_id: str
    tool: str
    arguments: dict[str, Any]
    args_hash: str
    status: ApprovalStatus
    created_at: float
    expires_at: float
    decided_at: float | None = None
    decided_by: str | None = None
    """`user`, `rule`, `timeout`."""
    remember: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    ok: bool | None = None
    result: str | None = None

    @property
    def pending(self) -> bool:
        return self.status == ApprovalStatus.PENDING

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape (docs/cli.md `axo approvals list --json`)."""
        return {
            "id": self.id,
            "run_id": self.run_id,
            "activation_id": self.activation_id,
            "agent_id": self.agent_id,
            "tool": self.tool,
            "arguments": self.arguments,
            "args_hash": self.args_hash,
            "status": str(self.status),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "decided_at": self.decided_at,
            "decided_by": self.decided_by,
            "remember": self.remember,
            "executed": self.started_at is not None,
        }


@dataclass(frozen=True)
class ApprovalRule:
    """A remembered decision: every call of `tool` by `agent_id` is approved (or denied)."""

    agent_id: str
    tool: str
    decision: str
    """`approve` or `deny`."""
    created_at: float
    approval_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "tool": self.tool,
            "decision": self.decision,
            "created_at": self.created_at,
            "approval_id": self.approval_id,
        }


def _record(row: Sequence[Any]) -> ApprovalRecord:
    (id_, run, activation, agent, tool, arguments, digest, status, *rest) = row
    created, expires, decided_at, decided_by, remember, started, finished, ok, result = rest
    return ApprovalRecord(
        id_,
        run,
        activation,
        agent,
        tool,
        json.loads(arguments),
        digest,
        ApprovalStatus(status),
        created,
        expires,
        decided_at,
        decided_by,
        remember,
        started,
        finished,
        None if ok is None else bool(ok),
        result,
    )


class ApprovalJournal:
    """The approvals part of `store.journal.Journal` (which inherits it). Writes happen at
    once (in group mode inside the open group: await `Journal.durable()` to commit)."""

    _db: sqlite3.Connection

    def _write(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        raise NotImplementedError  # the Journal's

    def _sync(self) -> Any:
        raise NotImplementedError  # the Journal's

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        self._sync()
        return self._db.execute(sql, params).fetchall()

    # ------------------------------------------------------------- approvals
    def create_approval(
        self,
        approval_id: str,
        *,
        run_id: str | None,
        activation_id: str,
        agent_id: str,
        tool: str,
        arguments: dict[str, Any],
        args_hash: str,
        expires_at: float,
        decided: tuple[ApprovalStatus, str, str] | None = None,
    ) -> None:
        """A new approval, pending, or already `decided` (status, by, remember) by a rule."""
        now = time.time()
        status, by, remember = decided or (ApprovalStatus.PENDING, None, None)
        self._write(
            "INSERT INTO approvals (id, run_id, activation_id, agent_id, tool, arguments, "
            "args_hash, status, created_at, expires_at, decided_at, decided_by, remember) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                approval_id,
                run_id,
                activation_id,
                agent_id,
                tool,
                json.dumps(arguments, ensure_ascii=False),
                args_hash,
                status,
                now,
                expires_at,
                None if decided is None else now,
                by,
                remember,
            ),
        )

    def approval(self, approval_id: str) -> ApprovalRecord | None:
        """The approval with exactly this id (no prefixes: ids are handed out, not guessed)."""
        rows = self._rows(f"SELECT {_COLUMNS} FROM approvals WHERE id=?", (approval_id,))
        return _record(rows[0]) if rows else None

    def find_approval(self, approval_id: str) -> ApprovalRecord | None:
        """By id or a unique prefix of at least 6 characters (as people copy a listing)."""
        found = self.approval(approval_id)
        if found is not None or len(approval_id) < 6:
            return found
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM approvals WHERE id LIKE ? LIMIT 2",
            (approval_id.replace("%", "").replace("_", "") + "%",),
        )
        return _record(rows[0]) if len(rows) == 1 else None

    def pending_approvals(self) -> list[ApprovalRecord]:
        """Approvals still waiting, oldest first; those of runs that ended (cancelled,
        failed) are left out: nothing waits for them any more."""
        rows = self._rows(
            f"SELECT {', '.join('a.' + c for c in _COLUMNS.split(', '))} FROM approvals a "
            "LEFT JOIN runs r ON r.id = a.run_id WHERE a.status = 'pending' "
            "AND (r.status IS NULL OR r.status IN ('running', 'interrupted')) "
            "ORDER BY a.created_at, a.rowid"
        )
        return [_record(row) for row in rows]

    def recent_approvals(self, limit: int = 50) -> list[ApprovalRecord]:
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM approvals ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [_record(row) for row in rows]

    def approvals_for_call(
        self,
        run_id: str | None,
        agent_id: str,
        tool: str,
        digest: str,
        activation_ids: Sequence[str],
    ) -> list[ApprovalRecord]:
        """Approvals of these exact arguments made by `activation_ids` (this attempt and
        the interrupted ones it reruns), oldest first."""
        if not activation_ids:
            return []
        marks = ",".join("?" * len(activation_ids))
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM approvals WHERE run_id IS ? AND agent_id=? AND tool=? "
            f"AND args_hash=? AND activation_id IN ({marks}) ORDER BY created_at, rowid",
            (run_id, agent_id, tool, digest, *activation_ids),
        )
        return [_record(row) for row in rows]

    def decide_approval(
        self, approval_id: str, status: ApprovalStatus, decided_by: str, remember: str
    ) -> bool:
        """Record a decision if the approval is still pending; False if it was not."""
        cursor = self._write(
            "UPDATE approvals SET status=?, decided_at=?, decided_by=?, remember=? "
            "WHERE id=? AND status='pending'",
            (status, time.time(), decided_by, remember, approval_id),
        )
        return cursor.rowcount == 1

    def start_approved_call(self, approval_id: str) -> bool:
        """Mark an approved call as started; False if it started before (never run twice)."""
        cursor = self._write(
            "UPDATE approvals SET started_at=? WHERE id=? AND status='approved' "
            "AND started_at IS NULL",
            (time.time(), approval_id),
        )
        return cursor.rowcount == 1

    def finish_approved_call(self, approval_id: str, ok: bool, result: str) -> None:
        self._write(
            "UPDATE approvals SET finished_at=?, ok=?, result=? WHERE id=?",
            (time.time(), int(ok), result, approval_id),
        )

    # ----------------------------------------------------------------- rules
    def remember_decision(
        self, agent_id: str, tool: str, decision: str, approval_id: str | None
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO approval_rules (agent_id, tool, decision, created_at, "
            "approval_id) VALUES (?, ?, ?, ?, ?)",
            (agent_id, tool, decision, time.time(), approval_id),
        )

    def approval_rule(self, agent_id: str, tool: str) -> ApprovalRule | None:
        rows = self._rows(
            "SELECT agent_id, tool, decision, created_at, approval_id FROM approval_rules "
            "WHERE agent_id=? AND tool=?",
            (agent_id, tool),
        )
        return ApprovalRule(*rows[0]) if rows else None

    def approval_rules(self) -> list[ApprovalRule]:
        rows = self._rows(
            "SELECT agent_id, tool, decision, created_at, approval_id FROM approval_rules "
            "ORDER BY agent_id, tool"
        )
        return [ApprovalRule(*row) for row in rows]

    def revoke_rule(self, agent_id: str, tool: str) -> bool:
        cursor = self._write(
            "DELETE FROM approval_rules WHERE agent_id=? AND tool=?", (agent_id, tool)
        )
        return cursor.rowcount == 1
