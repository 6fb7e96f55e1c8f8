"""A project's recorded state, read and curated: the Runtime's public queries.

One `ProjectState` answers "which runs, which events, how many tokens, what does this agent
remember" and edits or forgets memory. A started Runtime offers one over its own journal and
memory (`runtime.state`); `build.open_state(data_dir)` opens one with no runtime at all, for
commands that must work on an invalid config or beside a running `axo dev`. Either way the
answers are the typed results of `api`, so every front end prints the same JSON.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from axo_tui.core.config.schema import AgentConfig, WasmToolConfig
from axo_tui.core.coordination.board import AuctionBoard
from axo_tui.core.memory.core_blocks import CoreBlock
from axo_tui.core.memory.recall_history import (
    RECALLS_SHOWN,
    Recall,
    RecallReader,
    activity_stamp,
    file_stamp,
)
from axo_tui.core.memory.service import AgentMemory
from axo_tui.core.runtime.api import (
    AgentStatusReport,
    AgentStatusRow,
    BlockEdit,
    EventRecord,
    ForgetReport,
    MemoryStamp,
    MemoryView,
    RecallCounts,
    RecallMatch,
    RunDetail,
    RunRecord,
    SessionInfo,
    UsageReport,
)
from axo_tui.core.runtime.approvals import ApprovalError, record_decision, revoke_rule
from axo_tui.core.store.approvals import ApprovalRecord, ApprovalRule
from axo_tui.core.store.checkpoints import AgentCheckpoint, CheckpointStore
from axo_tui.core.store.journal import Journal, JournalError
from axo_tui.core.telemetry.trace_tree import TraceNode, build_tree
from axo_tui.core.wasm.tool_status import WasmToolStatus, wasm_tool_statuses

if TYPE_CHECKING:
    from axo_tui.core.providers.base import Message
    from axo_tui.core.runtime.resume import InterruptedTurn
    from axo_tui.core.store.retention import GcReport, RetentionPolicy

Warn = Callable[[str | None, str], None]
"""Told (agent id or None, message) of a problem that does not stop the answer."""

JOURNAL_FILE = "axo.db"
TRACE_PAGE = 5000


class ProjectState:
    """Queries over a data directory, and memory curation (edit, forget).

    With no journal file yet, the run and session queries answer empty; a damaged one raises
    JournalError naming the file (see `store.journal`)."""

    def __init__(
        self,
        state_dir: Path,
        *,
        journal: Journal | None = None,
        memory: AgentMemory | None = None,
        warn: Warn | None = None,
    ) -> None:
        self.state_dir = state_dir
        self._journal = journal
        self._owns_journal = journal is None
        self._memory = memory
        self._owns_memory = memory is None
        self._warn = warn
        self._recall_reader: RecallReader | None = None
        self._recall_reader_lock = threading.Lock()  # `recent_recalls` runs in threads

    # ---------------------------------------------------------------- access
    @property
    def journal_path(self) -> Path:
        return self.state_dir / JOURNAL_FILE

    def recorded(self) -> bool:
        """Whether anything was ever recorded here (the journal exists)."""
        return self._journal is not None or self.journal_path.exists()

    def _reader(self) -> Journal | None:
        if self._journal is None and self.journal_path.exists():
            self._journal = Journal(self.journal_path)
        return self._journal

    def open(self) -> ProjectState:
        """Open the journal now, so that a damaged one fails here (JournalError)."""
        self._reader()
        return self

    def _agent_memory(self) -> AgentMemory:
        if self._memory is None:
            self._memory = AgentMemory(self.state_dir, notify=self._warn)
        return self._memory

    def close(self) -> None:
        """Close what this object opened itself (never a runtime's journal or memory)."""
        if self._owns_journal and self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._owns_memory and self._memory is not None:
            self._memory.semantic.close()

    async def aclose(self) -> None:
        """`close`, after the memory's background work (a search's workers) has ended."""
        if self._owns_memory and self._memory is not None:
            await self._memory.aclose()
        self.close()

    # ------------------------------------------------------------------ runs
    def runs(self, *, limit: int = 20, status: str | None = None) -> list[RunRecord]:
        """Recent runs, newest first; `status` keeps only runs in it."""
        journal = self._reader()
        return [] if journal is None else journal.list_runs(limit=limit, status=status)

    def find_run(self, run_id: str) -> RunRecord | None:
        """The run with this id or unique id prefix."""
        journal = self._reader()
        return None if journal is None else journal.get_run(run_id)

    def run(self, run_id: str) -> RunDetail | None:
        """One run (id or unique prefix) with its activations and token use per agent."""
        journal = self._reader()
        record = None if journal is None else journal.get_run(run_id)
        if journal is None or record is None:
            return None
        board = None
        if record.kind == "coordinator":
            board = AuctionBoard(record.id)
            for row in journal.events(run_id=record.id, limit=100_000):
                board.apply(str(row["kind"]), row)
        return RunDetail(
            record,
            tuple(journal.activations(record.id)),
            tuple(journal.usage_report(group_by="agent", run_id=record.id)),
            board,
        )

    # ---------------------------------------------------------------- events
    def events(
        self,
        *,
        after_seq: int = 0,
        run_id: str | None = None,
        agents: Sequence[str] | None = None,
        limit: int = 1000,
        newest: bool = False,
    ) -> list[EventRecord]:
        """Journaled events after `after_seq`, oldest first: the first `limit`, or with
        `newest` the last `limit`. A `run_id` must be a full id (see `find_run`)."""
        journal = self._reader()
        if journal is None:
            return []
        rows = journal.events(
            after_seq=after_seq, run_id=run_id, agents=agents, limit=limit, newest=newest
        )
        return [EventRecord.from_row(row) for row in rows]

    def trace(self, run_id: str) -> TraceNode | None:
        """The run's tree (id or unique prefix), as `axo trace RUN` and the workbench draw
        it: agents, model calls, tools, with durations, tokens and cost."""
        record = self.find_run(run_id)
        journal = self._reader()
        if record is None or journal is None:
            return None
        records: list[EventRecord] = []
        while True:  # all of it, a page at a time
            after = records[-1].seq if records else 0
            page = journal.events(after_seq=after, run_id=record.id, limit=TRACE_PAGE)
            records += [EventRecord.from_row(row) for row in page]
            if len(page) < TRACE_PAGE:
                return build_tree(record.id, records)

    def last_event_seq(self) -> int:
        """The sequence number of the newest journaled event (0: none yet)."""
        journal = self._reader()
        return 0 if journal is None else journal.max_seq()

    # ----------------------------------------------------------------- usage
    def usage(
        self, *, group_by: str = "agent", run_id: str | None = None, since: str | None = None
    ) -> UsageReport:
        """Tokens and cost by agent, day, run or model; `since` is a YYYY-MM-DD day."""
        if group_by not in ("agent", "day", "run", "model"):
            raise ValueError(f"group_by must be agent, day, run or model (got '{group_by}')")
        journal = self._reader()
        rows = (
            []
            if journal is None
            else journal.usage_report(group_by=group_by, run_id=run_id, since_day=since)
        )
        return UsageReport(group_by, run_id, since, tuple(rows))

    # -------------------------------------------------------------- sessions
    def sessions(self, agent_id: str | None = None) -> list[SessionInfo]:
        """Sessions (chats, run turns), newest first; all agents' without `agent_id`."""
        journal = self._reader()
        if journal is None:
            return []
        return [
            SessionInfo(sid, count, ts) for sid, _agent, count, ts in journal.sessions(agent_id)
        ]

    def session_history(
        self, session_id: str, *, rerun: InterruptedTurn | None = None
    ) -> list[Message]:
        """A session's messages, oldest first ([] for an unknown one). With `rerun`, the
        session's interrupted turn running again (`Runtime.interrupted_turn`), without that
        turn's messages: the rerun rewinds and rewrites them as it goes."""
        journal = self._reader()
        if journal is None:
            return []
        messages = journal.load_session(session_id)
        if rerun is not None:
            own = len(journal.session_roles_since(session_id, rerun.since))
            messages = messages[: len(messages) - own]
        return messages

    # ---------------------------------------------------------------- agents
    def agent_statuses(self, agents: Sequence[AgentConfig]) -> AgentStatusReport:
        """Each agent's activity and failures (journal), tokens today (ledger) and circuit
        (its checkpoint, so a circuit another process opened shows too)."""
        journal = self._reader()
        activity: dict[str, tuple[int, int, str, str | None, float]] = {}
        tokens: dict[str, int] = {}
        if journal is not None:
            activity = journal.agent_activity()
            today = dt.date.today().isoformat()
            tokens = {r.key: r.total_tokens for r in journal.usage_report(since_day=today)}
        store = CheckpointStore(self.state_dir / "checkpoints")
        rows: list[AgentStatusRow] = []
        warnings: list[str] = []
        for agent in agents:
            count, failed, last_status, last_error, last_at = activity.get(
                agent.id, (0, 0, "never run", None, 0.0)
            )
            loaded = store.load(agent.id)
            warnings.extend(loaded.warnings)
            checkpoint = loaded.checkpoint
            degraded = checkpoint is not None and checkpoint.degraded()
            state = "idle" if last_status == "completed" else last_status
            rows.append(
                AgentStatusRow(
                    id=agent.id,
                    state="degraded" if degraded else state,
                    consecutive_failures=checkpoint.consecutive_failures if checkpoint else 0,
                    degraded_until=checkpoint.circuit_open_until
                    if checkpoint is not None and degraded
                    else None,
                    activations=count,
                    failures=failed,
                    last_error=last_error,
                    last_activated=last_at or None,
                    tokens_today=tokens.get(agent.id, 0),
                    per_execution=agent.token_budget.per_execution,
                )
            )
        return AgentStatusReport(tuple(rows), tuple(warnings))

    def restart_agent(self, agent_id: str) -> AgentCheckpoint:
        """Close the agent's circuit in its checkpoint and forget its failures (`axo agents
        restart`); a runtime running beside it sees this at the agent's next activation,
        since the circuit lives in the checkpoint. With a runtime, use
        `Runtime.restart_agent`. Returns the checkpoint as it was (`degraded()`,
        `consecutive_failures`). Raises CheckpointError when it cannot be written."""
        from axo_tui.core.runtime.supervisor import Supervisor

        supervisor = Supervisor(CheckpointStore(self.state_dir / "checkpoints"))
        try:
            before, _ = supervisor.close_circuit(agent_id)
        finally:
            supervisor.close()
        return before

    # ------------------------------------------------------------- retention
    def collect_garbage(
        self, policy: RetentionPolicy, *, agent_ids: Sequence[str] = (), dry_run: bool = False
    ) -> GcReport:
        """Delete the old runs, events and checkpoints `policy` names, then compact the
        journal (`axo gc`); `dry_run` only counts them. Running runs, chat sessions and the
        ledger stay (see `store.retention`). Raises JournalError if the journal cannot be
        opened or written (nothing is deleted then), FileNotFoundError if there is none."""
        from axo_tui.core.store.retention import collect_garbage

        journal = self._reader()
        if journal is None:
            raise FileNotFoundError(f"{self.journal_path} does not exist")
        return collect_garbage(
            journal,
            CheckpointStore(self.state_dir / "checkpoints"),
            policy,
            agent_ids=list(agent_ids),
            dry_run=dry_run,
        )

    # ---------------------------------------------------------------- memory
    def memory_of(self, agent: AgentConfig) -> MemoryView:
        """Core blocks, recall counts, activity log days and sessions of an agent. A recall
        store or journal that cannot be opened is left out and said in `warnings`; a journal
        found damaged while its sessions are read raises JournalError, explained like any
        other read of it."""
        from axo_tui.core.memory.semantic import SemanticMemoryError

        memory = self._agent_memory()
        warnings: list[str] = []
        sessions: tuple[SessionInfo, ...] = ()
        try:
            self.open()
        except JournalError as exc:
            warnings.append(str(exc))
        else:
            sessions = tuple(self.sessions(agent.id))
        queued = sum(1 for entry in memory.spool.load() if entry.agent_id == agent.id)
        recall: RecallCounts | None
        try:
            recall = RecallCounts(
                memory.semantic.count(agent.id),
                memory.semantic.count(agent.id, shared=True),
                queued,
            )
        except SemanticMemoryError as exc:
            warnings.append(str(exc))
            recall = None
        return MemoryView(
            agent=agent.id,
            core=tuple(memory.core.all_blocks(agent)),
            recall=recall,
            activity_days=tuple(memory.log.days(agent.id)),
            sessions=sessions,
            log_dir=memory.log.agent_dir(agent.id),
            warnings=tuple(warnings),
        )

    def core_blocks(self, agent: AgentConfig) -> list[CoreBlock]:
        """The agent's core blocks: its own, then the team's shared ones. A damaged file is
        reported through the memory's notice (a runtime's goes on its bus: call this on the
        event loop), never raised."""
        return self._agent_memory().core.all_blocks(agent)

    def recent_recalls(self, agent_id: str, limit: int = RECALLS_SHOWN) -> list[Recall]:
        """What the agent recalled lately (its recall tools' calls and results, and passive
        recall), newest first, from the activity log of its last days. Plain file reading,
        safe in a worker thread; raises OSError if the log cannot be read."""
        with self._recall_reader_lock:
            if self._recall_reader is None:
                self._recall_reader = RecallReader(self._agent_memory().log)
            reader = self._recall_reader
        return reader.recent(agent_id, limit)

    def memory_stamp(self, agent_id: str) -> MemoryStamp:
        """Sizes and times of the files behind `core_blocks` and `recent_recalls`: cheap to
        poll, and different after a write to them by any process."""
        memory = self._agent_memory()
        return MemoryStamp(
            own_blocks=file_stamp(memory.core.agent_path(agent_id)),
            shared_blocks=file_stamp(memory.core.shared_path),
            activity_log=activity_stamp(memory.log, agent_id),
        )

    async def search_memory(self, agent: AgentConfig, query: str, k: int = 5) -> list[RecallMatch]:
        """The agent's long-term memories closest in meaning to `query` (what
        `recall_search` sees). Raises SemanticMemoryError if the store cannot be read."""
        hits = await self._agent_memory().search(agent.id, query, k)
        return [RecallMatch(hit) for hit in hits]

    def memory_block(self, agent: AgentConfig, label: str) -> str:
        """A core block's current text. Raises CoreMemoryError for an unknown block."""
        return self._agent_memory().core.block(agent, label).value

    def edit_memory(self, agent: AgentConfig, label: str, value: str) -> BlockEdit:
        """Replace a core block's text (locked and atomic: a running agent sees it on its
        next turn). Raises CoreMemoryError for an unknown block or a text over its limit."""
        core = self._agent_memory().core
        current = core.block(agent, label)
        if value == current.value:
            return BlockEdit(agent.id, label, current.chars, current.limit, changed=False)
        result = core.set(agent, label, value)
        return BlockEdit(agent.id, label, result.chars, result.limit, changed=True)

    def forget_memory(
        self, agent: AgentConfig, *, before: dt.date | None = None, core: bool = False
    ) -> ForgetReport:
        """Delete the agent's activity log, recall memories (stored and still queued) and
        compaction summaries: all, or what was recorded before a day. `core` also resets
        its own core blocks to the config. Shared memories and blocks are the team's and
        stay; so do session transcripts. Raises SemanticMemoryError if the recall store
        cannot be changed (the log and queue are forgotten by then), ValueError for `core`
        with `before` (a block has no date)."""
        if core and before is not None:
            raise ValueError("core blocks are reset whole; `core` cannot go with `before`")
        memory = self._agent_memory()
        days = memory.log.forget(agent.id, before)
        doomed = [
            entry.id
            for entry in memory.spool.load()
            if entry.agent_id == agent.id and (before is None or entry.id < _spool_id(before))
        ]
        memory.spool.forget(doomed)  # for good: no later process may store them
        cutoff = None if before is None else _day_start(before)
        recalled = memory.semantic.forget(agent.id, before=cutoff)
        summaries = memory.summaries.forget(agent.id, before=cutoff)
        if core:
            memory.core.reset(agent)
        return ForgetReport(agent.id, recalled + len(doomed), days, summaries, core)

    # ------------------------------------------------------------ approvals
    def pending_approvals(self) -> list[ApprovalRecord]:
        """Tool calls waiting for a human, oldest first (see `runtime.approvals`)."""
        journal = self._reader()
        return [] if journal is None else journal.pending_approvals()

    def recent_approvals(self, limit: int = 50) -> list[ApprovalRecord]:
        """Approvals of any status, newest first."""
        journal = self._reader()
        return [] if journal is None else journal.recent_approvals(limit)

    def approval(self, approval_id: str) -> ApprovalRecord | None:
        """One approval by its exact id."""
        journal = self._reader()
        return None if journal is None else journal.approval(approval_id)

    def approval_rules(self) -> list[ApprovalRule]:
        """The remembered decisions ("always for this agent and tool")."""
        journal = self._reader()
        return [] if journal is None else journal.approval_rules()

    def decide_approval(
        self,
        approval_id: str,
        decision: str,
        remember: str = "once",
        *,
        args_hash: str | None = None,
        exact: bool = True,
    ) -> ApprovalRecord:
        """Answer a pending approval from outside the runtime that waits on it (the CLI):
        that runtime sees it at its next look (`approvals.POLL_SECS`). With a runtime,
        use `Runtime.decide_approval`. Raises ApprovalError."""
        journal = self._reader()
        if journal is None:
            raise ApprovalError("not_found", f"no approval '{approval_id}': nothing was recorded")
        return record_decision(
            journal, approval_id, decision, remember, args_hash=args_hash, exact=exact
        )

    def revoke_approval_rule(self, agent_id: str, tool: str) -> ApprovalRule:
        """Forget a remembered decision. Raises ApprovalError if there is none."""
        journal = self._reader()
        if journal is None:
            raise ApprovalError(
                "not_found", f"no remembered decision for agent '{agent_id}' and tool '{tool}'"
            )
        return revoke_rule(journal, agent_id, tool)

    # ----------------------------------------------------------------- tools
    def wasm_tools(
        self, tools: Sequence[WasmToolConfig], project_dir: Path
    ) -> list[WasmToolStatus]:
        """The config's WASM tools: their grants and whether each module is the approved one
        (`axo tools list`, the workbench's WASM tools view)."""
        return wasm_tool_statuses(tools, self.state_dir, project_dir)


def _day_start(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time()).astimezone().timestamp()


def _spool_id(day: dt.date) -> str:
    """Spool ids start with the creation time in ns: the smallest id of that day."""
    return f"{int(_day_start(day) * 1e9):020d}"
