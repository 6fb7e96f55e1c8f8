"""The memory of a runtime's agents: the four tiers behind one object the turn loop calls.

Tier 1 (sessions) lives in the journal; this service adds tier 2 (the daily activity log),
tier 3 (core memory blocks) and tier 4 (semantic recall), and the tools that reach them.
The runner calls it at four points of a turn: the prompt (core memory and passively
recalled memories), the tool list, each thing that happens (logged as it happens), and the
end of a successful turn (the exchange is stored for recall, in the background so a reply
is never held up by embedding).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Collection, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from axo_tui.core.base import localday
from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.memory.activity_log import ActivityLog
from axo_tui.core.memory.backlog import Backlog
from axo_tui.core.memory.compaction import Counter, compact
from axo_tui.core.memory.core_blocks import (
    CORE_TOOL_NAMES,
    CoreMemory,
    CoreMemoryError,
    Notify,
)
from axo_tui.core.memory.pending import PendingSpool, new_memory_id
from axo_tui.core.memory.plain_prompt import plain_core_memory, plain_recall
from axo_tui.core.memory.semantic import (
    PendingMemory,
    RecallHit,
    SemanticMemory,
    SemanticMemoryError,
)
from axo_tui.core.memory.statements import user_fact
from axo_tui.core.memory.summary import Ask, Fit, SummaryStore, compact_with_summary
from axo_tui.core.memory.tools import RECALL_TOOL_NAMES, memory_tools
from axo_tui.core.providers.base import Message, ToolSpec
from axo_tui.core.tools import Tool, ToolRegistry

if TYPE_CHECKING:
    from axo_tui.core.embeddings.base import Embedder

log = logging.getLogger(__name__)
T = TypeVar("T")

CONSOLIDATION_SESSION_PREFIX = "consolidation:"
"""Consolidation turns run in sessions named so: their exchanges are not stored for recall,
and consolidation never reviews its own activity."""
RECALL_HIT_CHARS = 600
"""A passively injected memory is cut here: recall is a pointer, recall_search gives more."""
EXCHANGE_CHARS = 4000
"""An exchange is stored (and embedded; MiniLM reads 256 tokens anyway) up to this size."""
REPLY_CHARS = 1000
"""The agent's reply kept with a stored exchange (shown by recall_search, marked as its own)."""
CAPTURE_BLOCKS = ("human", "user")
"""Where the runtime keeps what a user asks an agent to remember (see `capture_statement`)."""
CLOSE_TIMEOUT_SECS = 30.0
DRAIN_BATCH = 16
"""Memories embedded per forward pass in the background (bounds how long closing waits)."""
DRAIN_QUIET_SECS = 1.0
DRAIN_MAX_DELAY_SECS = 10.0
STORE_ATTEMPTS = 3
STORE_RETRY_SECS = 1.0
"""A failed store is tried again after this pause, doubled each time, STORE_ATTEMPTS in all;
after that its memories stay in the spool for the next start."""
BACKLOG_LIMIT = 256
"""Memories wait (spooled) for a recall to need them, since storing loads chromadb and the
embedding model; a longer backlog than this is stored in the background anyway, so the spool
of a process that never recalls stays bounded."""


def compaction_hint(offered: Collection[str]) -> str:
    """Where the text of compacted turns still is, naming only tools the agent has."""
    places = []
    if "recall_timeframe" in offered:
        places.append("your activity log (recall_timeframe {date})")
    if "recall_search" in offered:
        places.append("semantic memory (recall_search {query})")
    return f"Their full text is in {' and '.join(places)}." if places else ""


class AgentMemory:
    """Memory tiers 2-4 of every agent under one state directory."""

    def __init__(
        self,
        state_dir: Path,
        *,
        embedder: Embedder | None = None,
        embedder_factory: Callable[[], Embedder] | None = None,
        notify: Notify | None = None,
    ) -> None:
        self.state_dir = state_dir
        self._notify = notify
        self.core = CoreMemory(state_dir / "memory" / "core", notify=notify)
        self.log = ActivityLog.of_project(state_dir)
        semantic_path = state_dir / "memory" / "semantic"
        if embedder_factory is not None:
            self.semantic = SemanticMemory(
                semantic_path, embedder=embedder, embedder_factory=embedder_factory
            )
        else:
            self.semantic = SemanticMemory(semantic_path, embedder=embedder)
        self.tools = ToolRegistry(memory_tools(self))
        self.spool = PendingSpool(state_dir / "memory" / "semantic-pending")
        self.summaries = SummaryStore(state_dir / "memory" / "summaries")
        self._summary_problems: set[tuple[str, str]] = set()
        self._queue = Backlog()
        self._drain_task: asyncio.Task[None] | None = None
        self._caught_up = False
        self._recall_used = False
        """A recall needed the store in this process: what is pending is stored from now on."""
        self._closing = False
        self._mine: set[str] = set()
        """Ids this process spooled and has not stored yet (not leftovers of another)."""
        self._consolidation: asyncio.Task[None] | None = None
        self._waiting: asyncio.Future[None] | None = None
        self._storing: list[tuple[list[PendingMemory], asyncio.Event]] = []
        """Batches being stored now: a recall waits for those holding what it could find."""
        self._urgent = False
        self._last_remembered = self._first_queued = 0.0
        """Monotonic times: the newest memory queued, and the start of the current wait to
        store (see `_drain`)."""
        # Two worker threads: one stores (big batches, in the background), one recalls (a
        # single short query a turn is waiting for). One thread each keeps forward passes from
        # piling up on two cores; two threads keep a recall from queueing behind a batch.
        # SemanticMemory serialises the chromadb calls themselves.
        self._workers: dict[str, ThreadPoolExecutor] = {}
        self._semantic_problem: str | None = None
        """Set after semantic recall failed once: it stays off (one warning, not one a turn)."""
        self._recall_problems: set[str] = set()

    # ------------------------------------------------------------ the turn
    def tools_for(self, agent: AgentConfig) -> list[Tool]:
        """The memory tools this agent gets, whatever its `tools:` allow-list says."""
        names = list(CORE_TOOL_NAMES) if agent.memory.core_blocks else []
        names.extend(RECALL_TOOL_NAMES)
        chosen = agent.memory.tools  # `memory.tools`: None offers them all
        if chosen is not None:
            names = [name for name in names if name in chosen]
        return [tool for name in names if (tool := self.tools.get(name)) is not None]

    def core_section(
        self, agent: AgentConfig, *, editable: bool = True, plain: bool = False
    ) -> str:
        """The core blocks for the system prompt; `plain` sentences for a small model."""
        if plain:
            return plain_core_memory(self.core.blocks(agent))
        return self.core.render(agent, editable=editable)

    def capture_statement(self, agent: AgentConfig, text: str) -> tuple[str, str] | None:
        """For an agent that cannot edit its core memory itself: keep what the user plainly
        asks it to remember (`statements`) in its `human` block (or its first block other
        than `persona`). Returns (block, fact) when something was kept."""
        fact = user_fact(text)
        if fact is None:
            return None
        labels = [spec.label for spec in agent.memory.core_blocks]
        chosen = [label for label in CAPTURE_BLOCKS if label in labels]
        chosen += [label for label in labels if label != "persona"]
        if not chosen:
            return None
        label = chosen[0]
        try:
            if fact in self.core.block(agent, label).value:
                return None  # said before: kept once
            self.core.append(agent, label, fact)
        except (CoreMemoryError, OSError) as exc:
            self._warn(agent.id, f"could not keep {fact!r} in core memory block {label!r}: {exc}")
            return None
        return label, fact

    async def recall_section(
        self, agent: AgentConfig, query: str, session_id: str, *, plain: bool = False
    ) -> str:
        """What the user said in earlier sessions that is relevant to `query`, or "" (also
        when off). Never the agent's own replies then: an answer is not a fact (a small
        model's may be wrong), and recalled as one it would be repeated."""
        settings = agent.memory.recall
        if not settings.passive_inject or settings.top_k <= 0:
            return ""
        if not await self._ready_to_recall(agent.id, session_id):
            return ""
        hits = await self._search(
            agent.id,
            query,
            settings.top_k,
            min_score=settings.min_score,
            exclude_session=session_id,
        )
        if not hits:
            return ""
        if plain:
            return plain_recall(hits, limit=RECALL_HIT_CHARS)
        lines = [
            "<recalled_memories>",
            "What the user said in earlier conversations (by relevance to the message; your "
            "replies then are left out; more with recall_search {query, k} or "
            "recall_timeframe {date}):",
            *(self.format_hit(hit, limit=RECALL_HIT_CHARS, reply=False) for hit in hits),
            "</recalled_memories>",
        ]
        return "\n".join(lines)

    @staticmethod
    def recalls(agent: AgentConfig, offered: Collection[str]) -> bool:
        """Whether anything can recall this agent's exchanges: its passive recall, its
        recall_search tool (`offered`), or the team (`share`). If not, they are not stored:
        storing loads chromadb and the embedding model for nothing, and they would wait in
        the spool for a recall that never comes."""
        settings = agent.memory.recall
        passive = settings.passive_inject and settings.top_k > 0
        return passive or settings.share or "recall_search" in offered

    def memory_note(self, offered: Collection[str] = RECALL_TOOL_NAMES) -> str:
        """Tells the agent what it can recall beyond this prompt, with the recall tools it
        has (`memory.tools` may leave one out: the note must not name a tool it lacks)."""
        ways = []
        if "recall_search" in offered:
            ways.append("search them with recall_search {query, k}")
        if "recall_timeframe" in offered:
            ways.append(
                "read a day's activity with recall_timeframe {date} or {from, to} (YYYY-MM-DD)"
            )
        if not ways:
            return ""
        return f"Older conversations are not in this prompt but are not lost: {', or '.join(ways)}."

    async def compact(
        self,
        agent: AgentConfig,
        session_id: str,
        messages: tuple[Message, ...],
        specs: tuple[ToolSpec, ...],
        *,
        window: int,
        reserve: int,
        count: Counter,
        offered: Collection[str],
        ask: Ask | None,
    ) -> tuple[Message, ...]:
        """`messages` fitted to the context window (see `compaction` and `summary`): the
        folded turns summarised by the agent's model through `ask` when it is given and
        `memory.compaction.summarise` is on, else condensed to first lines."""
        hint = compaction_hint(offered)
        if ask is None or not agent.memory.compaction.summarise:
            plain = compact(
                messages, specs, window=window, reserve=reserve, count=count, recall_hint=hint
            )
            return plain.messages
        fit = Fit(window, reserve, count, ask, self.summaries, session_id, agent.id, hint)
        result = await compact_with_summary(messages, specs, fit)
        problem = result.summary_problem
        if problem and (session_id, problem) not in self._summary_problems:
            # Once per session and reason: a long chat over its budget would say it every turn.
            self._summary_problems.add((session_id, problem))
            self._warn(
                agent.id,
                f"compaction of session {session_id!r} used first lines, not a model "
                f"summary: {problem}",
            )
        return result.messages

    def defer_writes(self, loop: asyncio.AbstractEventLoop) -> None:
        """Write activity-log lines and spooled memories at the loop's next turn, gathered
        (`deferred_lines`); until `aclose`."""
        self.log.defer(loop, self._log_write_failed)
        self.spool.defer(
            loop,
            lambda exc: self._warn(
                None, f"cannot spool memories for recall (kept in memory): {exc}"
            ),
        )

    def record(self, agent_id: str, kind: str, fields: Mapping[str, Any]) -> None:
        """Append to the activity log; a full disk must not fail the turn, only warn."""
        try:
            self.log.write(agent_id, kind, fields)
        except OSError as exc:
            self._log_write_failed(agent_id, exc)

    def _log_write_failed(self, agent_id: str, exc: OSError) -> None:
        self._warn(agent_id, f"cannot write the activity log: {exc}")

    def remember_exchange(
        self,
        agent: AgentConfig,
        *,
        user: str,
        reply: str,
        session_id: str,
        run_id: str | None,
    ) -> None:
        """Store a finished exchange for semantic recall: spooled now, embedded later.

        With `memory.recall.share`, it goes to the team's collection instead of the agent's
        own: every agent (this one included) recalls it, and it is stored once, so the
        agent never gets the same memory twice from its two collections."""
        if not (user.strip() or reply.strip()):
            return
        if session_id.startswith(CONSOLIDATION_SESSION_PREFIX):
            return  # a digest of activity already stored: recalling it would only duplicate
        # What the user said is what is recalled (and embedded); the reply goes along, marked
        # as the agent's own, so recall never hands a model's wrong answer back as a fact.
        text = user.strip()[:EXCHANGE_CHARS]
        if not text:
            return
        meta: dict[str, str | float | int | bool] = {
            "session_id": session_id,
            "run_id": run_id or "",
            "day": localday.day_of(time.time()),
            "kind": "exchange",
            "said_by": "user",
            "reply": reply.strip()[:REPLY_CHARS],
        }
        shared = agent.memory.recall.share
        self.remember(PendingMemory(new_memory_id(), agent.id, text, meta, shared=shared))

    def remember(self, entry: PendingMemory) -> None:
        """Queue one memory for embedding (the spool keeps it if this process stops first).
        With recall off after a failure it is spooled only: the next start stores it."""
        try:
            self.spool.put(entry)
        except OSError as exc:
            self._warn(entry.agent_id, f"cannot queue a memory for recall: {exc}")
        if self._semantic_problem is not None:
            return
        self._mine.add(entry.id)
        self._last_remembered = time.monotonic()
        if not self._queue:
            self._first_queued = self._last_remembered
        self._queue.add(entry)
        self._kick()

    def _kick(self) -> None:
        if self._closing or self._semantic_problem is not None:
            return
        if not (self._recall_used or self._urgent or len(self._queue) > BACKLOG_LIMIT):
            return  # nothing recalls yet: chromadb and the model stay unloaded (see BACKLOG_LIMIT)
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        """Embed and store queued memories, in batches: a burst of turns costs a few forward
        passes and chromadb writes, not one each. Stops between batches when closing.

        Storing waits until turns pause for DRAIN_QUIET_SECS (at most DRAIN_MAX_DELAY_SECS):
        the first store loads chromadb and the model, which holds the GIL for a second or
        more, and every forward pass competes with the turns for two cores. `flush` (a
        search wants everything stored) skips the wait."""
        while self._queue and not self._closing and self._semantic_problem is None:
            now = time.monotonic()
            wait = min(
                DRAIN_QUIET_SECS - (now - self._last_remembered),
                DRAIN_MAX_DELAY_SECS - (now - self._first_queued),
            )
            if wait > 0 and not self._urgent:
                await self._pause(wait)
                continue
            batch = self._queue.take(DRAIN_BATCH)
            if not await self._store_batch(batch):
                return  # recall is off now; the batch and the rest stay spooled
            self._first_queued = time.monotonic()
        self._urgent = False

    async def _store_batch(self, batch: list[PendingMemory]) -> bool:
        """Store `batch`, trying again after a pause when that fails. A memory leaves the
        spool only once stored: when every try failed (or the failure cannot pass, such as
        a model mismatch), recall is turned off with a warning, and the batch stays
        spooled for the next start, never dropped."""
        storing = (batch, asyncio.Event())
        self._storing.append(storing)
        try:
            return await self._store_batch_now(batch)
        finally:
            self._storing.remove(storing)
            storing[1].set()

    async def _store_batch_now(self, batch: list[PendingMemory]) -> bool:
        agent_id = batch[0].agent_id
        pause = STORE_RETRY_SECS
        for attempt in range(1, STORE_ATTEMPTS + 1):
            try:
                await self._in_worker("store", self.semantic.add_many, batch)
            except SemanticMemoryError as exc:
                self._disable_semantic(agent_id, str(exc))
                return False
            except Exception as exc:  # recall is an extra: it must never take a turn down
                log.debug("storing memories failed", exc_info=True)  # the trace, for -v
                problem = f"storing {len(batch)} memories for recall failed: {exc}"
                if attempt == STORE_ATTEMPTS or self._closing:
                    self._disable_semantic(agent_id, problem)
                    return False
                self._warn(agent_id, f"{problem}; they stay pending, trying again in {pause:g}s")
                await self._pause(pause)
                pause *= 2
            else:
                break
        for entry in batch:
            self.spool.remove(entry.id)
            self._mine.discard(entry.id)
        return True

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless `flush` or `aclose` cancels `_waiting` first."""
        self._waiting = asyncio.ensure_future(asyncio.sleep(seconds))
        await asyncio.wait({self._waiting})

    def _catch_up(self) -> None:
        """Once per process, before the first recall: what an earlier process left in the
        spool (it closed with a backlog, or was killed) joins the backlog, oldest first."""
        if self._caught_up:
            return
        self._caught_up = True
        self._queue.add_older(e for e in self.spool.load() if e.id not in self._mine)

    async def _ready_to_recall(self, agent_id: str, session_id: str) -> bool:
        """Whether a recall by `agent_id` in `session_id` can find anything; if so, what it
        could find and is still pending is stored first. Nothing stored and nothing pending
        but this conversation: False, and chromadb and the model stay unloaded. The other
        agents' backlog is stored in the background, never before this turn's call."""
        self._catch_up()
        if self._semantic_problem is not None:
            return False
        # The background drain may have taken this agent's memories already: they are
        # neither in the queue nor stored until its batch is, so the recall waits for it.
        in_flight = [
            stored
            for batch, stored in self._storing
            if any(e.shared or e.agent_id == agent_id for e in batch)
        ]
        if (
            not self.semantic.exists()
            and not in_flight
            and not self._queue.holds_other_session(agent_id, session_id)
        ):
            return False
        self._recall_used = True
        own = self._queue.take_for(agent_id)
        for start in range(0, len(own), DRAIN_BATCH):
            if not await self._store_batch(own[start : start + DRAIN_BATCH]):
                return False
        for stored in in_flight:
            await stored.wait()
        self._kick()  # the rest, in the background
        return self._semantic_problem is None and self.semantic.exists()

    # ------------------------------------------------------------- recall
    async def search(self, agent_id: str, query: str, k: int) -> list[RecallHit]:
        """For recall_search and the CLI. Raises SemanticMemoryError."""
        if self._semantic_problem is not None:
            raise SemanticMemoryError(self._semantic_problem)
        self._catch_up()
        self._recall_used = True
        await self.flush()  # what was said a moment ago must be findable
        if self._semantic_problem is not None:
            raise SemanticMemoryError(self._semantic_problem)
        return await self._in_worker("recall", self.semantic.search, agent_id, query, k)

    async def _search(
        self, agent_id: str, query: str, k: int, *, min_score: float, exclude_session: str
    ) -> list[RecallHit]:
        if self._semantic_problem is not None:
            return []
        try:
            return await self._in_worker(
                "recall",
                self.semantic.search,
                agent_id,
                query,
                k,
                min_score=min_score,
                exclude_session=exclude_session,
            )
        except SemanticMemoryError as exc:
            self._disable_semantic(agent_id, str(exc))
        except Exception as exc:
            # One recall missed, not recall turned off: the next turn tries again. Said once
            # per distinct problem, without a traceback on the terminal.
            log.debug("semantic recall for %s failed", agent_id, exc_info=True)
            problem = f"semantic recall failed (this turn goes without it): {exc}"
            if problem not in self._recall_problems:
                self._recall_problems.add(problem)
                self._warn(agent_id, problem)
        return []

    @staticmethod
    def format_hit(hit: RecallHit, *, limit: int = 2000, reply: bool = True) -> str:
        """One recalled memory: what the user said, then (with `reply`) the agent's reply
        then, marked as its own and unchecked."""
        when = dt.datetime.fromtimestamp(hit.ts).strftime("%Y-%m-%d %H:%M") if hit.ts else "?"
        text = hit.text if len(hit.text) <= limit else hit.text[:limit] + "..."
        scope = " shared" if hit.shared else ""
        said = f"user: {text}" if hit.reply or not reply else text
        line = f"- [{when}{scope} score {hit.score:.2f}] {said}"
        if reply and hit.reply:
            answer = hit.reply if len(hit.reply) <= limit else hit.reply[:limit] + "..."
            line += f"\n  your reply then (unchecked): {answer}"
        return line

    def _disable_semantic(self, agent_id: str | None, problem: str) -> None:
        if self._semantic_problem is None:
            self._semantic_problem = problem
            self._warn(
                agent_id,
                f"{problem} (semantic recall is off until restart; exchanges not stored yet"
                f" stay pending in {self.spool.directory} and are stored at the next start)",
            )

    def _warn(self, agent_id: str | None, message: str) -> None:
        log.warning("%s", message)
        if self._notify is not None:
            self._notify(agent_id, message)

    async def _in_worker(
        self, lane: str, function: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> T:
        worker = self._workers.get(lane)
        if worker is None:
            worker = self._workers[lane] = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=f"axo-memory-{lane}"
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(worker, functools.partial(function, *args, **kwargs))

    # ----------------------------------------------------------- lifecycle
    async def flush(self) -> None:
        """Wait until every queued memory is stored (or storing failed)."""
        self._urgent = True
        if self._waiting is not None:
            self._waiting.cancel()  # wakes the drain from its quiet wait
        self._kick()
        task = self._drain_task
        if task is not None and not task.done():
            await task

    def start_consolidation(self, consolidate: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `consolidate` (the runtime's loop that consolidates idle agents) in the
        background until `aclose`, which stops it before the last memories are stored."""
        if self._consolidation is None or self._consolidation.done():
            self._consolidation = asyncio.ensure_future(consolidate())

    async def aclose(self) -> None:
        consolidation, self._consolidation = self._consolidation, None
        if consolidation is not None:
            consolidation.cancel()
            await asyncio.gather(consolidation, return_exceptions=True)
        # Only the batch in flight is awaited; the rest stays spooled for the next process,
        # so closing never waits on a long backlog of embeddings.
        self._closing = True
        if self._waiting is not None:
            self._waiting.cancel()  # a drain still waiting for quiet stops at once
        task = self._drain_task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=CLOSE_TIMEOUT_SECS)
            if not task.done():  # still storing: its batch stays spooled for the next start
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        workers, self._workers = self._workers, {}
        for worker in workers.values():
            worker.shutdown(wait=True)
        self.spool.close()  # what is still queued stays spooled for the next process
        self.semantic.close()
        self.log.close()
        # Ready to be used again (a runtime can be started after it was closed): what is
        # still queued is in the spool, and the next catch-up stores it.
        self._queue.clear()
        self._mine, self._drain_task = set(), None
        self._caught_up = self._closing = self._recall_used = False
