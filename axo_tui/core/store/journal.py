"""The run journal: runs, activations, events, the token ledger and chat sessions in SQLite.

WAL mode with `synchronous=NORMAL`: every committed transaction survives a killed process
(only an OS crash can lose the last few), which is the durability the resume logic relies on.
All calls come from one thread (the runtime's event loop); each public method is one
transaction, unless the caller groups several into one with `batch` (one commit instead of
several). In group mode (see `Journal.group_commits`) the hot-path writes and their commit run
on a writer thread of the journal's own (`journal_writer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import logging
import os
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axo_tui.core.base import jsonfast, localday
from axo_tui.core.base.enums import ActivationStatus, RunStatus
from axo_tui.core.base.errors import AxoError
from axo_tui.core.events.catalog import Event
from axo_tui.core.providers.base import Message, ToolCall
from axo_tui.core.store import journal_damage, journal_writer
from axo_tui.core.store.approvals import APPROVALS_SCHEMA, ApprovalJournal
from axo_tui.core.store.private_files import make_private, private_dir
from axo_tui.core.store.wal_checkpoints import Checkpointer

SCHEMA_VERSION = 3
"""2 added runs.owner (which process runs it, for resume) and activations.session_id;
3 added the approvals and approval_rules tables (`store.approvals`)."""

log = logging.getLogger(__name__)

SESSION_INDEX_CACHE = 1024
"""Sessions whose next message number the journal remembers."""

SQLITE_AUTOCHECKPOINT_PAGES = 1000
"""SQLite's default; group mode checkpoints in the background instead (`wal_checkpoints`)."""

GROUP_MAX_DELAY_SECS = 0.05
"""In group mode, the longest a write waits for its commit (see `Journal.group_commits`)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    output TEXT,
    error TEXT,
    failed TEXT NOT NULL DEFAULT '[]',
    skipped TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL,
    finished_at REAL,
    owner TEXT
);
CREATE INDEX IF NOT EXISTS runs_created ON runs(created_at);
CREATE INDEX IF NOT EXISTS runs_status ON runs(status);
CREATE TABLE IF NOT EXISTS activations (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    trigger TEXT NOT NULL,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    output TEXT,
    error TEXT,
    started_at REAL NOT NULL,
    finished_at REAL,
    session_id TEXT
);
CREATE INDEX IF NOT EXISTS activations_run ON activations(run_id);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    run_id TEXT,
    agent_id TEXT,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id);
CREATE TABLE IF NOT EXISTS usage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    day TEXT NOT NULL,
    run_id TEXT,
    activation_id TEXT,
    agent_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cost_usd REAL
);
CREATE INDEX IF NOT EXISTS usage_run ON usage(run_id);
CREATE INDEX IF NOT EXISTS usage_day ON usage(day);
CREATE TABLE IF NOT EXISTS session_messages (
    session_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    agent_id TEXT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    tool_calls TEXT,
    tool_call_id TEXT,
    name TEXT,
    ts REAL NOT NULL,
    PRIMARY KEY (session_id, idx)
);
"""

# Columns added after schema 1, as (table, column, type). `CREATE TABLE IF NOT EXISTS` leaves an
# existing table alone, so an older journal gets them through ALTER TABLE on open.
_ADDED_COLUMNS = (("runs", "owner", "TEXT"), ("activations", "session_id", "TEXT"))


class JournalError(AxoError):
    """The journal file cannot be opened or written; the message names the file and a fix."""


@dataclass(frozen=True)
class RunRecord:
    id: str
    kind: str
    target: str
    input: str
    status: RunStatus
    output: str | None
    error: str | None
    failed: tuple[str, ...]
    skipped: tuple[str, ...]
    created_at: float
    finished_at: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "input": self.input,
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "failed": list(self.failed),
            "skipped": list(self.skipped),
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }


@dataclass(frozen=True)
class ActivationRecord:
    id: str
    run_id: str
    agent_id: str
    trigger: str
    input: str
    status: ActivationStatus
    output: str | None
    error: str | None
    started_at: float
    finished_at: float | None
    session_id: str | None = None
    """The session the turn wrote to (None in journals older than schema 2)."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class UsageRow:
    """One line of a token report: a group key and its sums."""

    key: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Journal(ApprovalJournal):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._depth = 0
        """Nesting of `batch` blocks; inside one, writes join its transaction."""
        self._loop: asyncio.AbstractEventLoop | None = None
        """Set by `group_commits`: the loop whose turns pace the commits."""
        self._commit_handle: asyncio.Handle | None = None
        """The scheduled commit: at the latest moment, or, once a barrier waits, at the
        loop's next turn (`_commit_soon_due`)."""
        self._commit_soon_due = False
        """Whether `_commit_handle` is due at the loop's next turn. Kept apart rather than
        told by the handle's class: other loops (uvloop) have timer classes of their own,
        and a barrier that took the latest-moment timer for the next-turn one would wait
        out GROUP_MAX_DELAY_SECS."""
        self._waiters: list[asyncio.Future[None]] = []
        """Barriers waiting for the next commit."""
        self._ops: list[journal_writer.Op] = []
        """Group mode: writes queued for the next commit (see `_enqueue`)."""
        self._queued_starts: dict[str, list[Any]] = {}
        """Activation id -> the row of its start while that is queued (in `_ops`): its end
        is written into it, one INSERT instead of an INSERT and an UPDATE."""
        self._writer = journal_writer.Writer()
        self._checkpoints: Checkpointer | None = None
        """Group mode: the WAL's checkpoints, off the commits' path (`wal_checkpoints`)."""
        self._flight: Future[set[str]] | None = None
        """The commit running on the writer thread. While it runs, that thread alone uses
        `_db` (this one waits for it first: `_sync`)."""
        self._flight_waiters: list[asyncio.Future[None]] = []
        self._flight_began = (0.0, 0)
        """When the commit in flight started (perf counter) and how many writes it holds."""
        self.on_commit: Callable[[float, int, bool], None] | None = None
        """Told (seconds, writes, ok) as each group commit lands: commit latency metrics."""
        self._again = False
        """A commit was asked for while one was in flight: it starts when that one lands."""
        self._yielding = False
        """Inside `_yield_write_lock(self)`: the others must not wait for this one."""
        self._direct = False
        """The raw connection was handed out (`connection`): no more write-behind."""
        self._key = os.path.realpath(path)
        self._session_next: dict[str, int] = {}
        """Next message number of recently appended sessions (see `_remember_next`)."""
        self._run_tokens: dict[str, list[int]] = {}
        """Prompt and completion tokens of the runs created through this journal, added up
        as their usage is recorded, until the run finishes: the end of every run reads its
        usage, and a ledger query there waited for the queued writes first."""
        _check_writable(path.parent)
        _check_header(path)
        try:
            # The state dir holds transcripts and usage: private to its owner (DESIGN §4).
            # SQLite gives the WAL and its index the database file's mode: 0600 for all three.
            private_dir(path.parent)
            _create_private(path)
            # Room for the multi-row INSERTs of group commits (up to 64 row counts a table)
            # next to the other statements: compiling one again costs more than running it.
            self._db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, cached_statements=512
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute("PRAGMA foreign_keys=ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"{path}: written by a newer axo (schema {version}, this axo knows "
                    f"{SCHEMA_VERSION}); upgrade axo or use another --data-dir"
                )
            self._db.executescript(_SCHEMA + APPROVALS_SCHEMA)
            self._add_missing_columns()
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            # Reads every page header of the schema: a truncated or overwritten file fails
            # here, with a clear message, instead of in the middle of a run.
            self._db.execute("SELECT COUNT(*) FROM runs").fetchone()
        except sqlite3.DatabaseError as exc:
            # SQLite decides what is damage (a WAL holding the rest of a file is not): the
            # message says a full disk is full, and what damage leaves readable.
            message = journal_damage.explain(path, exc, "cannot open the journal")
            raise JournalError(message) from exc
        except OSError as exc:
            raise JournalError(
                journal_damage.disk_full(path.parent, exc)
                or f"{path}: cannot create the journal: {exc.strerror or exc}"
            ) from exc

    def _add_missing_columns(self) -> None:
        with self._transaction() as db:  # one process migrates; others then see the columns
            for table, column, kind in _ADDED_COLUMNS:
                present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    def close(self) -> None:
        self.commit_pending()
        self._writer.shutdown()
        self._stop_checkpoints()
        others = _JOURNALS.get(self._key)
        if others is not None:
            others.discard(self)
        self._loop = None
        self._db.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection, for maintenance over the whole schema (`axo gc`). Everything
        pending is committed first: its user runs transactions of its own on it. From then
        on the writer thread is not used: the caller may use the connection at any time."""
        self.commit_pending()
        self._direct = True
        self._stop_checkpoints()
        return self._db

    def _stop_checkpoints(self) -> None:
        """Back to SQLite's automatic checkpoints, once the background one has finished."""
        if self._checkpoints is not None:
            self._checkpoints.close()
            self._checkpoints = None
            self._db.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")

    # ------------------------------------------------------------ group commit
    def group_commits(self, loop: asyncio.AbstractEventLoop) -> None:
        """From now on, commit at durability points instead of once per write.

        A commit (a WAL append of every page the transaction touched) cost more than the
        rest of a workflow step, and a step writes a dozen rows at different moments: its
        start, each call's usage, its transcript, its events, its end. In group mode those
        writes are queued, and run with their commit on the journal's writer thread (SQLite
        releases the GIL meanwhile: the loop's thread goes on with the runtime's work). The
        commit comes when someone needs it, `durable()`, awaited before anything is
        announced to the world (an activation's completion, a run's end, a tool with side
        effects about to run), and at the latest GROUP_MAX_DELAY_SECS after the first
        write, so that other processes never wait long for the lock nor for new events.
        The durability barriers of concurrent activations (a fan-out) share one commit.
        Reads and the writes whose caller needs a result run on the loop's thread, after
        the queued writes (`_sync`): they see every write made so far.
        A kill loses only writes nobody was told about: an activation whose start was not
        committed is one a resume runs again anyway."""
        self._loop = loop
        _JOURNALS.setdefault(self._key, weakref.WeakSet()).add(self)
        if self._checkpoints is None and not self._direct:
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpoints = Checkpointer(self.path)

    def _enqueue(self, sql: str, params: Sequence[Any], session: str | None = None) -> None:
        """A write whose caller needs no result: in group mode, queued for the writer thread
        (`session`: it appends to that session, see `journal_writer.execute`)."""
        if self._loop is None or self._direct:
            self._write(sql, params)
            return
        self._ops.append((sql, params, session, False))
        if self._commit_handle is None:
            self._commit_handle = self._loop.call_later(GROUP_MAX_DELAY_SECS, self._commit_group)

    def _sync(self) -> JournalError | None:
        """Make `_db` this thread's and up to date: wait for the commit in flight, then run
        the queued writes here, in the group transaction (the next commit takes it over), so
        that what follows sees every write made so far. Every use of `_db` outside group
        mode's queue starts here. Returns the error that lost writes on the way (their
        waiters have it already), if any."""
        error = None
        flight = self._flight
        if flight is not None:
            # The flight may wait for the write lock held by another journal of this thread,
            # whose commit waits for this thread: commit that one first.
            _yield_write_lock(self)
            wait_futures((flight,))
            error = self._land(flight)
            if self._again or self._waiters:
                self._commit_soon()
        if self._ops:
            ops = self._take_ops()
            try:
                self._begin_group()
                renumbered = journal_writer.execute(self._db, ops, self.path)
            except (sqlite3.Error, JournalError) as exc:
                return self._lose(exc)
            self._forget_next(renumbered)
        return error

    def _begin_group(self) -> None:
        """Open the group transaction on this thread (and schedule its latest commit) unless
        one is open. Only after `_sync`: no flight may be using `_db`."""
        if self._db.in_transaction:
            return
        _yield_write_lock(self)
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise JournalError(f"{self.path}: write failed: {exc}") from exc
        if self._loop is not None and self._commit_handle is None:
            self._commit_handle = self._loop.call_later(GROUP_MAX_DELAY_SECS, self._commit_group)

    def _commit_group(self) -> None:
        """Commit the group on the writer thread; its waiters learn the outcome when the
        commit lands (`_landed`). One commit at a time: one asked for meanwhile follows."""
        self._unschedule_commit()
        if self._flight is not None:
            self._again = True
            return
        if self._depth:  # a batch is open right now (cannot span an await): never half of it
            self._commit_soon()
            return
        if self._direct:
            self._commit_now()
            return
        self._again = False
        ops = self._take_ops()
        waiters, self._waiters = self._waiters, []
        if not ops and not self._db.in_transaction:
            journal_writer.settle(waiters, None)
            return
        assert self._loop is not None
        job = functools.partial(journal_writer.commit, self._connection, ops, self.path)
        self._flight_began = (time.perf_counter(), len(ops))
        self._flight = self._writer.start(job, self._loop, self._landed)
        self._flight_waiters = waiters

    def _take_ops(self) -> list[journal_writer.Op]:
        """The queued writes, handed over to be run: a queued start taken with them can no
        longer take its activation's end."""
        ops, self._ops = self._ops, []
        self._queued_starts.clear()
        return ops

    def _connection(self) -> sqlite3.Connection:
        return self._db  # looked up when the writer thread runs (tests swap `_db`)

    def _landed(self, flight: Future[set[str]]) -> None:
        """On the loop: a commit came back from the writer thread. Starts the next one if a
        barrier or the latest moment came meanwhile."""
        self._land(flight)
        if self._flight is None and (self._again or self._waiters):
            self._commit_group()

    def _land(self, flight: Future[set[str]]) -> JournalError | None:
        """Take the outcome of a finished flight (once: `_sync` may have taken it first)."""
        if flight is not self._flight:
            return None
        self._flight = None
        waiters, self._flight_waiters = self._flight_waiters, []
        began, writes = self._flight_began
        try:
            renumbered = flight.result()
        except Exception as exc:
            self._tell_commit(began, writes, ok=False)
            # Later waiters wait for every write made so far, those just lost included.
            waiters += self._waiters
            self._waiters = []
            return self._lose(exc, waiters)
        self._forget_next(renumbered)
        journal_writer.settle(waiters, None)
        if self._checkpoints is not None:
            self._checkpoints.committed()
        self._tell_commit(began, writes, ok=True)
        return None

    def _tell_commit(self, began: float, writes: int, *, ok: bool) -> None:
        listener = self.on_commit
        if listener is not None:
            try:
                listener(time.perf_counter() - began, writes, ok)
            except Exception:  # a listener's bug never fails a commit
                log.exception("journal commit listener failed")

    def _lose(
        self, exc: BaseException, waiters: list[asyncio.Future[None]] | None = None
    ) -> JournalError:
        """Writes failed and their group is rolled back: tell the waiters (by default those of
        the next commit), log, and recount the sessions whose appends the group held."""
        journal_writer.rollback(self._db)
        if isinstance(exc, JournalError | journal_writer.AppendConflict):
            error = JournalError(str(exc))
        else:
            error = JournalError(journal_damage.explain(self.path, exc, "write failed"))
        log.error("%s", error)
        if waiters is None:
            waiters, self._waiters = self._waiters, []
        journal_writer.settle(waiters, error)
        # The remembered numbers counted the lost appends: a queued append recounts, and a
        # run's usage is read back from what the ledger really holds.
        self._session_next.clear()
        self._run_tokens.clear()
        self._ops = [
            (sql, params, session, session is not None) for sql, params, session, _ in self._ops
        ]
        return error

    def _forget_next(self, sessions: Iterable[str]) -> None:
        """Sessions whose appends were renumbered: their next number is counted again."""
        for session_id in sessions:
            self._session_next.pop(session_id, None)

    def _commit_soon(self) -> None:
        """Commit at the loop's next turn: every barrier reached in this turn shares it."""
        if self._loop is None or self._commit_soon_due:
            return
        self._unschedule_commit()
        self._commit_handle = self._loop.call_soon(self._commit_group)
        self._commit_soon_due = True

    def _unschedule_commit(self) -> None:
        """Cancel the scheduled commit, if any (latest moment or next turn)."""
        if self._commit_handle is not None:
            self._commit_handle.cancel()
            self._commit_handle = None
            self._commit_soon_due = False

    def _commit_now(self) -> JournalError | None:
        """Commit every write made so far on this thread, now; returns the error, if any."""
        error = self._sync()
        self._unschedule_commit()
        self._again = False
        if self._db.in_transaction:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                return self._lose(exc)
            if self._checkpoints is not None:
                self._checkpoints.committed()
        waiters, self._waiters = self._waiters, []
        journal_writer.settle(waiters, None)
        return error

    async def durable(self, *, alone: bool = False) -> None:
        """Return once every write made so far is committed (at once outside group mode,
        or when nothing is pending). Raises JournalError if that commit failed.

        `alone`: the caller knows nothing else could share this commit (the only activation
        in flight): commit now, on this thread, rather than at the loop's next turn on the
        writer thread, which saves that turn and the two thread hops."""
        if self._loop is None or (
            not self._ops and self._flight is None and not self._db.in_transaction
        ):
            return
        if alone and not self._depth and self._flight is None:
            # (With a commit in flight, waiting for it would block the loop; its landing
            # starts the next one, which this barrier joins.)
            error = self._commit_now()
            if error is not None:
                raise error
            return
        waiter = self._loop.create_future()
        self._waiters.append(waiter)
        if self._flight is None:  # otherwise its landing starts the next commit
            self._commit_soon()
        await waiter

    def commit_pending(self) -> None:
        """Commit everything now (shutdown, or a caller that cannot await)."""
        if self._loop is not None and not self._depth:
            self._commit_now()

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """One transaction (one commit) for the writes of a synchronous stretch of code, such
        as an activation's start and its event. Everything written in it is committed when
        the block ends, also when it ends with an exception (as if each write had been its
        own transaction). Never hold it across an await: other tasks' writes would join it,
        and their "committed" would wait for this block's end. In group mode the writes
        join the group, and no commit starts while the block is open."""
        if self._depth or self._loop is not None:
            return _Nested(self)  # twice a turn: a class, not a generator, is the cheap one
        return self._own_transaction()

    @contextmanager
    def _own_transaction(self) -> Iterator[None]:
        _yield_write_lock(self)
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise JournalError(f"{self.path}: write failed: {exc}") from exc
        self._depth = 1
        try:
            yield
        finally:
            self._depth = 0
            try:
                self._db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise JournalError(f"{self.path}: write failed: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if self._loop is not None:
            self._sync()
            self._begin_group()
        if self._db.in_transaction:  # inside a batch or a group: a savepoint
            self._db.execute("SAVEPOINT axo_step")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK TO axo_step")
                self._db.execute("RELEASE axo_step")
                raise
            self._db.execute("RELEASE axo_step")
            return
        _yield_write_lock(self)
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise JournalError(f"{self.path}: write failed: {exc}") from exc

    def _write(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        """A write executed now, on this thread (its caller needs the cursor, or no loop
        paces commits)."""
        try:
            return self._writable().execute(sql, params)
        except sqlite3.OperationalError as exc:
            raise JournalError(f"{self.path}: write failed: {exc}") from exc

    def _writable(self) -> sqlite3.Connection:
        """`_db`, ready for a write on this thread: in group mode after the queued writes and
        inside the group transaction; otherwise with no other journal of ours holding the lock."""
        if self._loop is not None:
            self._sync()
            self._begin_group()
        elif not self._db.in_transaction:
            _yield_write_lock(self)
        return self._db

    # ----------------------------------------------------------------- runs
    def create_run(
        self, run_id: str, kind: str, target: str, input_text: str, *, owner: str | None = None
    ) -> None:
        self._enqueue(
            "INSERT INTO runs (id, kind, target, input, status, created_at, owner) "
            "VALUES (?, ?, ?, ?, 'running', ?, ?)",
            (run_id, kind, target, input_text, time.time(), owner),
        )
        self._run_tokens[run_id] = [0, 0]

    def run_owner(self, run_id: str) -> str | None:
        self._sync()
        row = self._db.execute("SELECT owner FROM runs WHERE id=?", (run_id,)).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def claim_run(self, run_id: str, previous_owner: str | None, owner: str) -> bool:
        """Take over an unfinished run (`running`, or `interrupted`: it runs again) if it
        still belongs to `previous_owner`. Two processes resuming at once both try; SQLite
        serialises the updates and only one matches."""
        cursor = self._write(
            "UPDATE runs SET owner=?, status='running', error=NULL, finished_at=NULL "
            "WHERE id=? AND status IN ('running', 'interrupted') AND owner IS ?",
            (owner, run_id, previous_owner),
        )
        return cursor.rowcount == 1

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        output: str,
        *,
        error: str | None = None,
        failed: Iterable[str] = (),
        skipped: Iterable[str] = (),
    ) -> None:
        self._enqueue(
            "UPDATE runs SET status=?, output=?, error=?, failed=?, skipped=?, finished_at=? "
            "WHERE id=?",
            (
                status,
                output,
                error,
                json.dumps(list(failed)),
                json.dumps(list(skipped)),
                time.time(),
                run_id,
            ),
        )
        self._run_tokens.pop(run_id, None)

    def get_run(self, run_id: str) -> RunRecord | None:
        self._sync()
        row = self._db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            # Accept a unique prefix, as people copy the short id from a listing.
            rows = self._db.execute(
                "SELECT * FROM runs WHERE id LIKE ? LIMIT 2", (run_id + "%",)
            ).fetchall()
            row = rows[0] if len(rows) == 1 else None
        return _run(row) if row is not None else None

    def list_runs(self, *, limit: int = 50, status: str | None = None) -> list[RunRecord]:
        self._sync()
        if status is None:
            rows = self._db.execute(
                "SELECT * FROM runs ORDER BY created_at DESC LIMIT ?", (limit,)
            ).fetchall()
        else:
            rows = self._db.execute(
                "SELECT * FROM runs WHERE status=? ORDER BY created_at DESC LIMIT ?",
                (status, limit),
            ).fetchall()
        return [_run(row) for row in rows]

    # ---------------------------------------------------------- activations
    def start_activation(
        self,
        activation_id: str,
        run_id: str,
        agent_id: str,
        trigger: str,
        input_text: str,
        *,
        session_id: str | None = None,
    ) -> None:
        row = [
            activation_id,
            run_id,
            agent_id,
            trigger,
            input_text,
            ActivationStatus.RUNNING,
            time.time(),
        ]
        row += (session_id, None, None, None)
        self._enqueue(_INSERT_ACTIVATION, row)
        if self._loop is not None and not self._direct:
            self._queued_starts[activation_id] = row

    def finish_activation(
        self,
        activation_id: str,
        status: ActivationStatus,
        output: str | None,
        error: str | None = None,
    ) -> None:
        row = self._queued_starts.pop(activation_id, None)
        if row is not None:  # its start is still queued: one row with the outcome in it
            row[5], row[8:] = status, (output, error, time.time())
            return
        self._enqueue(
            "UPDATE activations SET status=?, output=?, error=?, finished_at=? WHERE id=?",
            (status, output, error, time.time(), activation_id),
        )

    def activations(self, run_id: str) -> list[ActivationRecord]:
        self._sync()
        rows = self._db.execute(
            "SELECT id, run_id, agent_id, trigger, input, status, output, error, started_at, "
            "finished_at, session_id FROM activations WHERE run_id=? ORDER BY started_at, rowid",
            (run_id,),
        ).fetchall()
        return [
            ActivationRecord(id_, run, agent, trigger, text, ActivationStatus(status), *rest)
            for id_, run, agent, trigger, text, status, *rest in rows
        ]

    def orphan_running_activations(self) -> list[ActivationRecord]:
        """Activations still `running` of runs this journal does not hold: steps of cluster
        runs (`core.distributed`) this node was running when it stopped."""
        self._sync()
        rows = self._db.execute(
            "SELECT id, run_id, agent_id, trigger, input, status, output, error, started_at, "
            "finished_at, session_id FROM activations a WHERE status = 'running' "
            "AND a.run_id != '' AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = a.run_id) "
            "ORDER BY started_at, rowid"
        ).fetchall()
        return [
            ActivationRecord(id_, run, agent, trigger, text, ActivationStatus(status), *rest)
            for id_, run, agent, trigger, text, status, *rest in rows
        ]

    def agent_activity(self) -> dict[str, tuple[int, int, str, str | None, float]]:
        """Per agent: (activations, failures, last status, last error, last start time)."""
        self._sync()
        rows = self._db.execute(
            "SELECT agent_id, COUNT(*), SUM(status = 'failed'), "
            "(SELECT status FROM activations a2 WHERE a2.agent_id = a.agent_id "
            " ORDER BY started_at DESC, rowid DESC LIMIT 1), "
            "(SELECT error FROM activations a3 WHERE a3.agent_id = a.agent_id "
            " ORDER BY started_at DESC, rowid DESC LIMIT 1), MAX(started_at) "
            "FROM activations a GROUP BY agent_id"
        ).fetchall()
        return {
            str(agent): (int(count), int(failed or 0), str(status), error, float(last))
            for agent, count, failed, status, error, last in rows
        }

    # --------------------------------------------------------------- events
    def record_event(self, event: Event) -> None:
        if not event.journaled:
            return
        self._enqueue(
            "INSERT OR REPLACE INTO events (seq, ts, kind, run_id, agent_id, payload) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                event.seq,
                event.ts,
                event.kind,
                event.run_id,
                event.agent_id,
                jsonfast.dumps(event.payload()),
            ),
        )

    def max_seq(self) -> int:
        self._sync()
        row = self._db.execute("SELECT MAX(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def events(
        self,
        *,
        after_seq: int = 0,
        run_id: str | None = None,
        agents: Sequence[str] | None = None,
        limit: int = 1000,
        newest: bool = False,
    ) -> list[dict[str, Any]]:
        """Events after `after_seq`, oldest first: the first `limit`, or with `newest` the
        last `limit` of them."""
        self._sync()
        sql = "SELECT seq, ts, kind, run_id, agent_id, payload FROM events WHERE seq > ?"
        params: list[Any] = [after_seq]
        if run_id is not None:
            sql += " AND run_id = ?"
            params.append(run_id)
        if agents:
            sql += f" AND agent_id IN ({','.join('?' * len(agents))})"
            params.extend(agents)
        sql += f" ORDER BY seq {'DESC' if newest else 'ASC'} LIMIT ?"
        params.append(limit)
        rows = self._db.execute(sql, params).fetchall()
        if newest:
            rows.reverse()
        out = []
        for seq, ts, kind, run, agent, payload in rows:
            out.append(
                {
                    "seq": seq,
                    "ts": ts,
                    "kind": kind,
                    "run_id": run,
                    "agent_id": agent,
                    **json.loads(payload),
                }
            )
        return out

    # ---------------------------------------------------------------- usage
    def record_usage(
        self,
        *,
        run_id: str | None,
        activation_id: str | None,
        agent_id: str,
        provider: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cost_usd: float | None,
    ) -> None:
        now = time.time()
        totals = self._run_tokens.get(run_id) if run_id is not None else None
        if totals is not None:
            totals[0] += prompt_tokens
            totals[1] += completion_tokens
        self._enqueue(
            "INSERT INTO usage (ts, day, run_id, activation_id, agent_id, provider, model, "
            "prompt_tokens, completion_tokens, cost_usd) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                now,
                localday.day_of(now),
                run_id,
                activation_id,
                agent_id,
                provider,
                model,
                prompt_tokens,
                completion_tokens,
                cost_usd,
            ),
        )

    def run_tokens(self, run_id: str) -> tuple[int, int]:
        """(prompt, completion) tokens the ledger holds for one run."""
        totals = self._run_tokens.get(run_id)
        if totals is not None:
            return totals[0], totals[1]
        return self._ledger_tokens("run_id", run_id)

    def usage_report(
        self,
        *,
        group_by: str = "agent",
        run_id: str | None = None,
        since_day: str | None = None,
    ) -> list[UsageRow]:
        self._sync()
        columns = {"agent": "agent_id", "run": "run_id", "day": "day", "model": "model"}
        if group_by not in columns:
            raise ValueError(f"group_by must be one of {sorted(columns)}")
        column = columns[group_by]
        sql = (
            f"SELECT COALESCE({column}, '-'), COUNT(*), SUM(prompt_tokens), "
            "SUM(completion_tokens), SUM(cost_usd), COUNT(cost_usd) FROM usage WHERE 1=1"
        )
        params: list[Any] = []
        if run_id is not None:
            sql += " AND run_id = ?"
            params.append(run_id)
        if since_day is not None:
            sql += " AND day >= ?"
            params.append(since_day)
        sql += f" GROUP BY {column} ORDER BY {column}"
        return [
            UsageRow(key, calls, int(prompt or 0), int(completion or 0), cost if priced else None)
            for key, calls, prompt, completion, cost, priced in self._db.execute(sql, params)
        ]

    def activation_tokens(self, activation_id: str) -> tuple[int, int]:
        """(prompt, completion) tokens the ledger holds for one activation."""
        return self._ledger_tokens("activation_id", activation_id)

    def _ledger_tokens(self, column: str, value: str) -> tuple[int, int]:
        """(prompt, completion) tokens of the ledger rows whose `column` (a name of ours,
        never a caller's string) holds `value`."""
        self._sync()
        row = self._db.execute(
            f"SELECT SUM(prompt_tokens), SUM(completion_tokens) FROM usage WHERE {column}=?",
            (value,),
        ).fetchone()
        return int(row[0] or 0), int(row[1] or 0)

    # ------------------------------------------------------------- sessions
    def load_session(self, session_id: str) -> list[Message]:
        self._sync()
        rows = self._db.execute(
            "SELECT role, content, tool_calls, tool_call_id, name FROM session_messages "
            "WHERE session_id=? ORDER BY idx",
            (session_id,),
        ).fetchall()
        self._remember_next(session_id, len(rows))  # numbered without gaps from 0
        return [_message(*row) for row in rows]

    def start_session(self, session_id: str) -> None:
        """`session_id` is new and empty (the caller named it for a fresh run): its first
        append numbers from 0 without counting. Were it not empty after all, that append
        would collide, count again and still number correctly."""
        self._remember_next(session_id, 0)

    def append_session(self, session_id: str, agent_id: str, messages: Sequence[Message]) -> int:
        """Append messages; returns the session's length after them (as `session_length`
        would count it: messages are numbered without gaps from 0).

        One multi-row INSERT, atomic on its own: no savepoint around it (two statements more
        per append, twice a turn). A number taken by another process since we counted fails
        the whole statement and nothing else; we count again and retry. In group mode an
        append whose first number is known is queued like the other writes; were its numbers
        taken meanwhile, the writer renumbers it (and the length returned here fell short by
        as many messages as the other process appended)."""
        if not messages:
            return self.session_length(session_id)
        known = self._session_next.pop(session_id, None)
        queue = self._loop is not None and not self._direct
        if known is not None and queue and len(messages) <= _MESSAGES_PER_INSERT:
            params = _message_params(session_id, agent_id, known, messages)
            self._enqueue(_insert_messages_sql(len(messages)), params, session_id)
            start = known
        elif len(messages) > _MESSAGES_PER_INSERT:
            with self._transaction() as db:  # several statements: one transaction for them
                start = journal_writer.next_index(db, session_id)
                for first in range(0, len(messages), _MESSAGES_PER_INSERT):
                    chunk = messages[first : first + _MESSAGES_PER_INSERT]
                    db.execute(
                        _insert_messages_sql(len(chunk)),
                        _message_params(session_id, agent_id, start + first, chunk),
                    )
        else:
            start = known if known is not None else 0
            params = _message_params(session_id, agent_id, start, messages)
            try:
                renumbered = journal_writer.append(
                    self._writable(),
                    _insert_messages_sql(len(messages)),
                    params,
                    session_id,
                    self.path,
                    recount=known is None,
                )
            except journal_writer.AppendConflict as exc:
                raise JournalError(str(exc)) from None
            except sqlite3.OperationalError as exc:
                raise JournalError(f"{self.path}: write failed: {exc}") from exc
            if renumbered is not None:
                start = renumbered
        self._remember_next(session_id, start + len(messages))
        return start + len(messages)

    def _remember_next(self, session_id: str, index: int) -> None:
        """Remember a session's next message number (most recent sessions only): a turn
        appends twice, and counting again each time was a query per append."""
        self._session_next[session_id] = index
        if len(self._session_next) > SESSION_INDEX_CACHE:
            del self._session_next[next(iter(self._session_next))]

    def session_length(self, session_id: str) -> int:
        self._sync()
        row = self._db.execute(
            "SELECT COUNT(*) FROM session_messages WHERE session_id=?", (session_id,)
        ).fetchone()
        return int(row[0])

    def session_roles_since(self, session_id: str, since: float) -> list[str]:
        """The roles of the messages a session received at or after `since`, in order."""
        self._sync()
        rows = self._db.execute(
            "SELECT role FROM session_messages WHERE session_id=? AND ts >= ? ORDER BY idx",
            (session_id, since),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def rewind_session(self, session_id: str, since: float) -> int:
        """Drop the messages a session received at or after `since` (an interrupted turn's
        user message and partial reply), so the turn can run again without duplicating them.
        Returns how many were dropped."""
        self._session_next.pop(session_id, None)
        cursor = self._write(
            "DELETE FROM session_messages WHERE session_id=? AND ts >= ?", (session_id, since)
        )
        return cursor.rowcount

    def clear_session(self, session_id: str) -> None:
        self._session_next.pop(session_id, None)
        self._write("DELETE FROM session_messages WHERE session_id=?", (session_id,))

    def sessions(self, agent_id: str | None = None) -> list[tuple[str, str, int, float]]:
        """(session id, agent id, message count, last activity) for each session."""
        self._sync()
        sql = (
            "SELECT session_id, agent_id, COUNT(*), MAX(ts) FROM session_messages "
            "{where} GROUP BY session_id ORDER BY MAX(ts) DESC"
        )
        if agent_id is None:
            rows = self._db.execute(sql.format(where="")).fetchall()
        else:
            rows = self._db.execute(sql.format(where="WHERE agent_id=?"), (agent_id,)).fetchall()
        return [(str(a), str(b), int(c), float(d)) for a, b, c, d in rows]


_JOURNALS: dict[str, weakref.WeakSet[Journal]] = {}
"""Journals in group mode, by file: see `_yield_write_lock`."""


def _explained(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method`, with SQLite's errors turned into a JournalError that names the file and
    says what happened (a full disk, damage found by quick_check, what is still readable):
    a read that meets a damaged page deep in a run must not end in a traceback."""

    @functools.wraps(method)
    def explained(journal: Journal, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(journal, *args, **kwargs)
        except sqlite3.Error as exc:
            raise JournalError(
                journal_damage.explain(journal.path, exc, "cannot use the journal")
            ) from exc

    return explained


# Every public query and write; `durable` reports through `_lose`, `connection` hands out
# the raw connection (its users catch sqlite3.Error themselves).
for _name, _member in list(vars(Journal).items()):
    if not _name.startswith("_") and inspect.isfunction(_member) and _name != "durable":
        setattr(Journal, _name, _explained(_member))


def _yield_write_lock(journal: Journal) -> None:
    """Commit now what the other journals of this process on the same file have pending,
    when they run on this thread, before this thread waits for the write lock or for a writer
    thread that may wait for it. Their commits wait for our loop's next turn, and we are that
    loop: waiting (busy_timeout) would only stall both. (So a journal of this thread also
    sees, once it writes, what they wrote before.) Other processes and threads just wait:
    their loops commit on their own."""
    others = _JOURNALS.get(journal._key)
    if not others or (len(others) == 1 and journal in others):
        return
    mine = [other for other in list(others) if _yields_to(journal, other)]
    yielding, journal._yielding = journal._yielding, True
    try:
        # Those holding the lock here first: the flights of the others may wait for it.
        for other in sorted(mine, key=lambda other: other._flight is not None):
            other.commit_pending()
    finally:
        journal._yielding = yielding


def _yields_to(journal: Journal, other: Journal) -> bool:
    """`other` runs on this thread and can commit now. One yielding itself holds no lock
    here (it is about to wait) and is already committing the others."""
    if other is journal or other._loop is None or other._depth or other._yielding:
        return False
    try:
        return asyncio.get_running_loop() is other._loop
    except RuntimeError:  # no loop runs here: only a loop not running anywhere is ours
        return not other._loop.is_running()


_INSERT_ACTIVATION = (
    "INSERT INTO activations (id, run_id, agent_id, trigger, input, status, started_at, "
    "session_id, output, error, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)

_MESSAGES_PER_INSERT = 500
"""Rows of one INSERT (9 parameters each: far below SQLite's 32,766-parameter limit)."""


def _insert_messages_sql(rows: int) -> str:
    return journal_writer.rows_sql(
        "INSERT INTO session_messages (session_id, idx, agent_id, role, content, "
        "tool_calls, tool_call_id, name, ts)",
        "(?,?,?,?,?,?,?,?,?)",
        rows,
    )


def _message_params(
    session_id: str, agent_id: str, start: int, messages: Sequence[Message]
) -> list[Any]:
    """The parameters of `_insert_messages_sql(len(messages))`, row after row."""
    now = time.time()
    params: list[Any] = []
    for offset, message in enumerate(messages):
        params += (
            session_id,
            start + offset,
            agent_id,
            message.role,
            message.content,
            _dump_tool_calls(message.tool_calls),
            message.tool_call_id,
            message.name,
            now,
        )
    return params


def _check_writable(directory: Path) -> None:
    """Fail early, naming the directory, rather than with SQLite's "unable to open database
    file" (or worse, later, "attempt to write a readonly database" in the middle of a run)."""
    existing = directory
    try:
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
    except OSError as exc:  # a parent we may not even look into
        raise JournalError(
            f"{directory}: cannot reach the data directory ({exc.strerror or exc}); "
            "check its permissions, or choose another --data-dir / AXO_DATA_DIR."
        ) from exc
    if existing.exists() and not existing.is_dir():
        raise JournalError(
            f"{existing}: is a file, not a directory; axo keeps its state in a directory. "
            "Move the file or choose another --data-dir / AXO_DATA_DIR."
        )
    if existing.exists() and not os.access(existing, os.W_OK | os.X_OK):
        raise JournalError(
            f"{existing}: the data directory is read-only, so axo cannot record runs there. "
            "Make it writable, or choose another --data-dir / AXO_DATA_DIR."
        )


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _create_private(path: Path) -> None:
    """Create the journal file 0600 before SQLite does (it would use 0644), or tighten the
    files an older axo left broader."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            make_private(each)


def _check_header(path: Path) -> None:
    """Recognise a file that is not a SQLite database at all from its header. Whether one is
    whole is SQLite's to say: a file shorter than its header says is intact when the WAL
    beside it holds the rest (a checkpoint interrupted by a kill or a full disk)."""
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise JournalError(f"{path}: cannot read the journal: {exc.strerror or exc}") from exc
    if not header:
        return  # an empty file is a new database to SQLite
    fix = "move it aside (nothing else in the data directory is touched) and start again"
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise JournalError(f"{path}: is not an axo journal (not a SQLite database); {fix}.")


def _run(row: tuple[Any, ...]) -> RunRecord:
    (
        run_id,
        kind,
        target,
        input_text,
        status,
        output,
        error,
        failed,
        skipped,
        created,
        finished,
        *_,
    ) = row
    return RunRecord(
        run_id,
        kind,
        target,
        input_text,
        RunStatus(status),
        output,
        error,
        tuple(json.loads(failed)),
        tuple(json.loads(skipped)),
        created,
        finished,
    )


class _Nested:
    """A batch inside another, or in group mode: it only holds back the group's commit."""

    __slots__ = ("_journal",)

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    def __enter__(self) -> None:
        self._journal._depth += 1

    def __exit__(self, *exc_info: object) -> None:
        self._journal._depth -= 1


def _dump_tool_calls(calls: tuple[ToolCall, ...]) -> str | None:
    if not calls:
        return None
    return jsonfast.dumps([{"id": c.id, "name": c.name, "arguments": c.arguments} for c in calls])


def _message(
    role: Any, content: str, tool_calls: str | None, tool_call_id: str | None, name: str | None
) -> Message:
    calls: tuple[ToolCall, ...] = ()
    if tool_calls:
        calls = tuple(
            ToolCall(c["id"], c["name"], dict(c["arguments"])) for c in json.loads(tool_calls)
        )
    return Message(role, content, calls, tool_call_id, name)
