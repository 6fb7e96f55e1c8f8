"""Sleep-time consolidation: an idle agent reviews its recent activity and promotes the
durable facts into its core memory blocks.

Core memory only holds what an agent chose to write during a conversation, and agents
forget to. Once an agent has been idle for `consolidation.idle_threshold_secs` (and at most
once per `interval_secs`), it gets one extra turn, through the same engine as any other
(journaled, budgeted, streamed), in a session of its own: its activity since the last
consolidation, and the instruction to keep what will matter later with the core memory
tools, within the blocks' limits. What changed is compared block by block and reported.

"Idle" is read from the activity log's modification time, which every turn of the agent
touches, in this process or another (`axo chat` next to `axo dev`): an agent whose user
wrote a minute ago is mid-conversation and is left alone, as is one with a turn running.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

from axo_tui.core.base.enums import RunStatus
from axo_tui.core.config.schema import A2A_PROVIDER, AgentConfig, Config
from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import RuntimeNotice
from axo_tui.core.memory.activity_log import DayRange, render_entries
from axo_tui.core.memory.files import write_json_atomic
from axo_tui.core.memory.service import CONSOLIDATION_SESSION_PREFIX, AgentMemory
from axo_tui.core.runtime.runs import RunResult

log = logging.getLogger(__name__)

TICK_SECS = 30.0
MAX_REVIEW_CHARS = 8_000

TASK = (
    "Memory consolidation (sleep time). Below is your activity since your last "
    "consolidation. Promote facts that will still matter later (about the user, decisions, "
    "the project, how you should behave) into your core memory with core_memory_append or "
    "core_memory_replace. Keep each block within its limit: condense what is already there "
    "rather than piling up. Do not store chit-chat, and do not repeat what core memory "
    "already says. When done, reply with one short line saying what you changed, or "
    "'nothing to keep'."
)


@dataclass(frozen=True)
class BlockChange:
    label: str
    before: int
    after: int
    """Sizes in characters."""


@dataclass(frozen=True)
class ConsolidationReport:
    agent_id: str
    status: str
    """consolidated, unchanged, failed, or skipped (nothing new to review: not reported)."""
    changes: tuple[BlockChange, ...] = ()
    summary: str = ""

    def describe(self) -> str:
        if self.status == "failed":
            return f"consolidation of {self.agent_id} failed: {self.summary}"
        if not self.changes:
            return f"consolidated {self.agent_id}: nothing new to keep"
        parts = ", ".join(f"{c.label} {c.before}->{c.after} chars" for c in self.changes)
        return f"consolidated {self.agent_id}: {parts}"


class AgentActivity(Protocol):
    """An agent's turns in flight (the Runtime's AgentStatus)."""

    @property
    def running(self) -> int: ...

    @property
    def waiting(self) -> int: ...


class ConsolidationHost(Protocol):
    """What consolidation needs of the runtime it runs in (the Runtime implements it)."""

    @property
    def config(self) -> Config: ...

    @property
    def memory(self) -> AgentMemory: ...

    @property
    def bus(self) -> EventBus: ...

    def status(self, agent_id: str) -> AgentActivity: ...

    async def run_agent(
        self,
        agent_id: str,
        input_text: str,
        *,
        session_id: str | None = ...,
        task: str = ...,
        run_kind: str = ...,
        trigger: str = ...,
    ) -> RunResult: ...


class Consolidator:
    """Finds idle agents with new activity and runs their consolidation turn."""

    def __init__(self, runtime: ConsolidationHost) -> None:
        self._runtime = runtime
        self._path = runtime.memory.state_dir / "memory" / "consolidation.json"
        self._lock = asyncio.Lock()

    async def run_forever(self) -> None:
        """The background loop of a runtime started with `background=True`."""
        while True:
            await asyncio.sleep(TICK_SECS)
            try:
                await self.consolidate_idle()
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad pass must not end consolidation for good
                log.exception("memory consolidation pass failed")

    async def consolidate_idle(self, *, now: float | None = None) -> list[ConsolidationReport]:
        settings = self._runtime.config.consolidation
        if not settings.enabled:
            return []
        reports = []
        async with self._lock:  # a slow pass and the next tick must not overlap
            for agent in self._runtime.config.agents:
                if self.due(agent, now=now):
                    report = await self.consolidate(agent)
                    if report.status != "skipped":
                        reports.append(report)
        return reports

    def due(self, agent: AgentConfig, *, now: float | None = None) -> bool:
        """Idle long enough, not consolidated too recently, and with something new."""
        settings = self._runtime.config.consolidation
        now = time.time() if now is None else now
        status = self._runtime.status(agent.id)
        if status.running or status.waiting or not agent.memory.core_blocks:
            return False
        if agent.provider == A2A_PROVIDER:  # a remote agent keeps its own memory
            return False
        last_activity = self._last_activity(agent.id)
        if last_activity is None or now - last_activity < settings.idle_threshold_secs:
            return False
        last_run = self._last_runs().get(agent.id, 0.0)
        return now - last_run >= settings.interval_secs and last_activity > last_run

    async def consolidate(self, agent: AgentConfig) -> ConsolidationReport:
        memory = self._runtime.memory
        since = self._last_runs().get(agent.id, 0.0)
        review = self._review(agent.id, since)
        started = time.time()
        if review is None:  # e.g. only the last consolidation's own turn happened since
            self._mark(agent.id, started)
            return ConsolidationReport(agent.id, "skipped", summary="no new activity")
        before = {b.label: b.value for b in memory.core.blocks(agent)}
        result = await self._runtime.run_agent(
            agent.id,
            review,
            session_id=f"{CONSOLIDATION_SESSION_PREFIX}{agent.id}:{dt.date.today().isoformat()}",
            task=TASK,
            run_kind="consolidation",
            trigger="consolidation",
        )
        after = {b.label: b.value for b in memory.core.blocks(agent)}
        changes = tuple(
            BlockChange(label, len(before.get(label, "")), len(value))
            for label, value in after.items()
            if before.get(label) != value
        )
        if result.status != RunStatus.COMPLETED:
            report = ConsolidationReport(
                agent.id, "failed", changes, result.errors.get(agent.id, "failed")
            )
        else:
            status = "consolidated" if changes else "unchanged"
            report = ConsolidationReport(agent.id, status, changes, result.output.strip())
        # Marked even after a failure: retrying every tick would burn tokens on the same error.
        self._mark(agent.id, started)
        self._runtime.bus.emit(RuntimeNotice, agent_id=agent.id, message=report.describe())
        return report

    # ------------------------------------------------------------- helpers
    def _last_activity(self, agent_id: str) -> float | None:
        days = self._runtime.memory.log.days(agent_id)
        if not days:
            return None
        try:
            return self._runtime.memory.log.day_path(agent_id, days[-1]).stat().st_mtime
        except OSError:
            return None

    def _review(self, agent_id: str, since: float) -> str | None:
        """The agent's activity after `since`, without earlier consolidations, or None."""
        log_ = self._runtime.memory.log
        days = [d for d in log_.days(agent_id) if since == 0.0 or d >= _day_of(since)]
        if not days:
            return None
        window = DayRange(days[0], days[-1])
        entries: list[dict[str, Any]] = [
            entry
            for entry in log_.read(agent_id, window)
            if not str(entry.get("session_id") or "").startswith(CONSOLIDATION_SESSION_PREFIX)
            and _timestamp(entry) > since
        ]
        if not entries:
            return None
        text = render_entries(entries[-400:], window)
        if len(text) > MAX_REVIEW_CHARS:
            text = "[earlier activity cut]\n" + text[-MAX_REVIEW_CHARS:]
        return text

    def _last_runs(self) -> dict[str, float]:
        try:
            document = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict):
            return {}
        return {str(k): float(v) for k, v in document.items() if isinstance(v, int | float)}

    def _mark(self, agent_id: str, when: float) -> None:
        runs = self._last_runs()
        runs[agent_id] = when
        try:
            write_json_atomic(self._path, runs, keep_backup=False)
        except OSError as exc:
            log.warning("cannot record the consolidation of %s: %s", agent_id, exc)


def _day_of(ts: float) -> dt.date:
    return dt.datetime.fromtimestamp(ts).date()


def _timestamp(entry: dict[str, Any]) -> float:
    try:
        return dt.datetime.fromisoformat(str(entry.get("ts"))).timestamp()
    except ValueError:
        return 0.0
