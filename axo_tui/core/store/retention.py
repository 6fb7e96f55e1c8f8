"""Retention: what `axo gc` deletes, and how it gives the space back.

Removed, in one transaction:

* finished runs (completed, failed, interrupted) older than `run_days`, or beyond the newest
  `max_runs`, with their activations, their events and their run sessions (`run:<id>:*`);
* events older than `event_days` (all runs), except those of unfinished runs, and except the
  newest event, whose sequence number keeps `seq` monotonic across restarts;
* checkpoints beyond the newest `checkpoints_per_agent` of each agent, and temp files that an
  interrupted checkpoint write left behind.

Never removed: runs still `running` (they may be resumed), chat sessions (they are the user's
conversations), and the token ledger (spend history stays reportable; its rows are tiny).

Then `wal_checkpoint(TRUNCATE)` and `VACUUM` return the freed pages to the file system.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axo_tui.core.config.env_overrides import apply_env_overrides
from axo_tui.core.store.checkpoints import CheckpointStore
from axo_tui.core.store.journal import Journal, JournalError
from axo_tui.core.store.json_documents import json_documents
from axo_tui.core.store.owner_lease import owner_alive

log = logging.getLogger(__name__)

DAY = 86_400.0


@dataclass(frozen=True)
class RetentionPolicy:
    run_days: float = 30.0
    max_runs: int = 10_000
    event_days: float = 7.0
    checkpoints_per_agent: int = 3

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RetentionPolicy:
        """Defaults, overridden by AXO_KEEP_RUN_DAYS, AXO_KEEP_RUNS, AXO_KEEP_EVENT_DAYS and
        AXO_KEEP_CHECKPOINTS. A bad value is ignored with a warning rather than deleting
        more than intended."""
        env = os.environ if env is None else env
        fields: dict[str, tuple[str, type[int] | type[float], float]] = {
            "AXO_KEEP_RUN_DAYS": ("run_days", float, 0),
            "AXO_KEEP_RUNS": ("max_runs", int, 0),
            "AXO_KEEP_EVENT_DAYS": ("event_days", float, 0),
            "AXO_KEEP_CHECKPOINTS": ("checkpoints_per_agent", int, 1),
        }
        return apply_env_overrides(cls(), env, fields)


@dataclass
class GcReport:
    dry_run: bool
    runs: int = 0
    activations: int = 0
    events: int = 0
    session_messages: int = 0
    checkpoint_files: int = 0
    summaries: int = 0
    """Compaction summaries of sessions the journal no longer holds."""
    bytes_before: int = 0
    bytes_after: int | None = None
    """None for a dry run: nothing changed."""
    note: str | None = None
    """Why the file could not be compacted, when it could not."""

    @property
    def bytes_freed(self) -> int | None:
        return None if self.bytes_after is None else max(0, self.bytes_before - self.bytes_after)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "runs": self.runs,
            "activations": self.activations,
            "events": self.events,
            "session_messages": self.session_messages,
            "checkpoint_files": self.checkpoint_files,
            "summaries": self.summaries,
            "bytes_before": self.bytes_before,
            "bytes_after": self.bytes_after,
            "bytes_freed": self.bytes_freed,
            "note": self.note,
        }


# Runs to delete: finished, and old or beyond the newest `max_runs`.
_DOOMED_RUNS = """
SELECT id FROM runs WHERE status != 'running' AND (
    created_at < :run_cutoff
    OR id NOT IN (SELECT id FROM runs ORDER BY created_at DESC LIMIT :max_runs)
)
"""
# Run sessions are named run:<run id>:<agent id>; run ids hold no ':'.
_RUN_OF_SESSION = "substr(session_id, 5, instr(substr(session_id, 5), ':') - 1)"
_OLD_EVENTS = """
ts < :event_cutoff
AND (run_id IS NULL OR run_id NOT IN (SELECT id FROM runs WHERE status = 'running'))
"""
# The newest event stays whatever else goes: the bus numbers new events from it.
_NOT_NEWEST = "seq < (SELECT MAX(seq) FROM events)"


def collect_garbage(
    journal: Journal,
    store: CheckpointStore,
    policy: RetentionPolicy,
    *,
    agent_ids: list[str] | None = None,
    dry_run: bool = False,
    now: float | None = None,
) -> GcReport:
    """Apply `policy` to the journal and the checkpoints; see the module docstring.

    Raises:
        JournalError: the journal could not be written (nothing was deleted then: the
            deletions are one transaction).
    """
    now = time.time() if now is None else now
    params = {
        "run_cutoff": now - policy.run_days * DAY,
        "max_runs": policy.max_runs,
        "event_cutoff": now - policy.event_days * DAY,
    }
    report = GcReport(dry_run, bytes_before=_footprint(journal.path, store.root))
    db = journal.connection
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DROP TABLE IF EXISTS temp.doomed")
            db.execute(f"CREATE TEMP TABLE doomed AS {_DOOMED_RUNS}", params)
            report.runs = _count(db, "SELECT COUNT(*) FROM temp.doomed")
            in_doomed = "IN (SELECT id FROM temp.doomed)"
            report.activations = _delete(db, "activations", f"run_id {in_doomed}", dry_run)
            # An event goes when its run goes, or when it is old (the same row counts once).
            report.events = _delete(
                db,
                "events",
                f"{_NOT_NEWEST} AND (run_id {in_doomed} OR ({_OLD_EVENTS}))",
                dry_run,
                params,
            )
            report.session_messages = _delete(
                db,
                "session_messages",
                f"session_id LIKE 'run:%' AND {_RUN_OF_SESSION} {in_doomed}",
                dry_run,
            )
            if not dry_run:
                db.execute(f"DELETE FROM runs WHERE id {in_doomed}")
            stale = _stale_summaries(db, journal.path.parent / "memory" / "summaries")
            db.execute("DROP TABLE temp.doomed")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    except sqlite3.Error as exc:
        raise JournalError(f"{journal.path}: garbage collection failed: {exc}") from exc
    agents = sorted(set(store.agents()) | set(agent_ids or ()))
    for agent_id in agents:
        removed = store.prune(agent_id, policy.checkpoints_per_agent, dry_run=dry_run)
        report.checkpoint_files += len(removed)
    report.summaries = len(stale)
    if dry_run:
        return report
    for path in stale:
        with contextlib.suppress(OSError):
            path.unlink()
    _sweep_owner_files(journal.path.parent)
    report.note = _compact(db)
    report.bytes_after = _footprint(journal.path, store.root)
    return report


def _stale_summaries(db: sqlite3.Connection, directory: Path) -> list[Path]:
    """Compaction summaries (`memory/summaries/`) whose session has no message left in the
    journal, or belongs to a run being deleted: they hold conversation content. Runs inside
    the deleting transaction (it reads `temp.doomed`)."""
    stale = []
    for path, document in json_documents(directory):
        if "session_id" not in document:
            continue  # not one of ours: left alone
        # No message left, or (a dry run deletes nothing) a session of a doomed run.
        row = db.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM session_messages WHERE session_id=:s) OR ("
            f":s LIKE 'run:%' AND {_RUN_OF_SESSION.replace('session_id', ':s')} "
            "IN (SELECT id FROM temp.doomed))",
            {"s": str(document["session_id"])},
        ).fetchone()
        if row[0]:
            stale.append(path)
    return stale


def _sweep_owner_files(state_dir: Path) -> None:
    """Lock files of processes that were killed while they had no unfinished run (resume
    tidies the others). A file younger than a minute may belong to a process starting up."""
    with contextlib.suppress(OSError):
        for path in (state_dir / "owners").glob("*.lock"):
            if time.time() - path.stat().st_mtime > 60:
                owner_alive(state_dir, path.stem)


def _count(db: sqlite3.Connection, sql: str, params: Mapping[str, Any] | None = None) -> int:
    return int(db.execute(sql, params or {}).fetchone()[0])


def _delete(
    db: sqlite3.Connection,
    table: str,
    where: str,
    dry_run: bool,
    params: Mapping[str, Any] | None = None,
) -> int:
    if dry_run:
        return _count(db, f"SELECT COUNT(*) FROM {table} WHERE {where}", params)
    return db.execute(f"DELETE FROM {table} WHERE {where}", params or {}).rowcount


def _compact(db: sqlite3.Connection) -> str | None:
    """Give freed pages back to the file system. Another axo process reading the journal
    can keep VACUUM from running; the deletions stand and the space is reused later."""
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as exc:
        return (
            f"the journal was not compacted ({exc}); another axo process may be using it. "
            "The space is reused by new runs; run `axo gc` again when axo is idle to shrink it."
        )
    return None


def _footprint(journal_path: Path, checkpoints: Path) -> int:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            total += journal_path.with_name(journal_path.name + suffix).stat().st_size
    try:
        for directory in checkpoints.iterdir():
            if directory.is_dir():
                total += sum(f.stat().st_size for f in directory.iterdir() if f.is_file())
    except OSError:
        pass
    return total
