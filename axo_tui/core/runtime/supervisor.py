"""Supervision: checkpoint every turn, restart a failed agent with backoff, open a circuit.

Each agent is supervised on its own, so one agent's trouble never slows the others:

* After every activation the agent's checkpoint is written, in the background (the journal,
  committed before the completion is reported, is what resume relies on), carrying its failure
  count and circuit state across processes. A restart waits for it.
* An activation that fails like a crash (the provider failed after its retries, a tool loop, an
  internal error) schedules a *restart*: before the agent's next activation, wait out a backoff
  (1 s, 2 s, 4 s ... capped) and reload its state from its newest good checkpoint. Budget
  refusals are the budget working as intended, not crashes: they count for nothing here.
* After `failure_threshold` consecutive crashes the circuit opens: the agent is `degraded` and
  its activations are refused at once, with an error that says why and until when, instead of
  hammering a broken provider. After the cool-down one trial activation is let through (a
  success closes the circuit, a failure opens it again); `axo agents restart ID` closes it now,
  even from another process, since the circuit lives in the checkpoint.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from axo_tui.core.base.enums import ErrorKind
from axo_tui.core.base.errors import AxoError
from axo_tui.core.config.env_overrides import apply_env_overrides
from axo_tui.core.runtime.agent_turn import TurnRequest
from axo_tui.core.store.checkpoints import AgentCheckpoint, CheckpointError, CheckpointStore
from axo_tui.core.store.journal import Journal

log = logging.getLogger(__name__)

CRASH_KINDS = frozenset({ErrorKind.PROVIDER, ErrorKind.TOOL_LOOP, ErrorKind.INTERNAL})
"""Failure kinds that count towards a restart and the circuit (see `Runtime.activate`)."""


class CircuitOpenError(AxoError):
    """The agent is degraded: its activation was refused without calling anything."""

    def __init__(self, agent_id: str, checkpoint: AgentCheckpoint) -> None:
        until = checkpoint.circuit_open_until or 0.0
        when = dt.datetime.fromtimestamp(until).strftime("%H:%M:%S")
        last = f" (last error: {checkpoint.last_error})" if checkpoint.last_error else ""
        super().__init__(
            f"agent '{agent_id}' is degraded after {checkpoint.consecutive_failures} failures "
            f"in a row{last}; its activations are refused until {when}. Fix the cause, then "
            f"run `axo agents restart {agent_id}` to retry now."
        )
        self.agent_id = agent_id
        self.until = until


@dataclass(frozen=True)
class SupervisionPolicy:
    failure_threshold: int = 3
    """Consecutive crash-like failures that open the circuit."""
    cooldown_secs: float = 60.0
    """How long an open circuit refuses activations before letting a trial through."""
    backoff_base_secs: float = 1.0
    """Wait before the first restart; doubles with each further consecutive failure."""
    backoff_cap_secs: float = 30.0

    def backoff(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return min(self.backoff_cap_secs, self.backoff_base_secs * 2.0 ** (failures - 1))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SupervisionPolicy:
        """Defaults, overridden by AXO_CIRCUIT_FAILURES, AXO_CIRCUIT_COOLDOWN_SECS,
        AXO_RESTART_BACKOFF_SECS and AXO_RESTART_BACKOFF_CAP_SECS. A bad value is ignored
        with a warning: a typo in an environment variable must not stop the runtime."""
        env = os.environ if env is None else env
        fields: dict[str, tuple[str, type[int] | type[float], float]] = {
            "AXO_CIRCUIT_FAILURES": ("failure_threshold", int, 1),
            "AXO_CIRCUIT_COOLDOWN_SECS": ("cooldown_secs", float, 0),
            "AXO_RESTART_BACKOFF_SECS": ("backoff_base_secs", float, 0),
            "AXO_RESTART_BACKOFF_CAP_SECS": ("backoff_cap_secs", float, 0),
        }
        return apply_env_overrides(cls(), env, fields)


Notify = Callable[[str, str], None]
"""(agent id, message): a warning a user should see."""


@dataclass
class _Health:
    checkpoint: AgentCheckpoint
    restart_due: float | None = None
    """Monotonic time from which the pending restart may happen; None when none is pending."""
    version: int = 0
    """Bumped by every turn; `written` is the version last handed to the disk."""
    written: int = 0
    queue: list[tuple[int, AgentCheckpoint]] = field(default_factory=list)
    """States of turns not yet handed to the writer, with their versions, oldest first."""
    floor: int = 0
    """States at or below this version are superseded (`close_circuit` wrote a newer one)."""


CHECKPOINT_BATCH_SECS = 0.02
"""How long the checkpoint writer gathers turns before it writes a batch."""


class Supervisor:
    def __init__(
        self,
        store: CheckpointStore,
        *,
        policy: SupervisionPolicy | None = None,
        notify: Notify | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.policy = policy if policy is not None else SupervisionPolicy.from_env()
        self._notify = notify or (lambda agent_id, message: None)
        self._sleep = sleep
        self._clock = clock
        self._monotonic = monotonic
        self._health: dict[str, _Health] = {}
        # Numbering a checkpoint and writing it must not interleave between the writer thread
        # and `close_circuit` (called on the loop); one lock per agent.
        self._write_locks: dict[str, threading.Lock] = {}
        self._dirty: dict[str, _Health] = {}
        """Agents whose newest state waits for the next batch of checkpoint writes."""
        self._writer: asyncio.Future[None] | None = None
        self._write_thread: concurrent.futures.ThreadPoolExecutor | None = None
        """The writer's one thread (it hands over one batch at a time); ended by `close`."""

    # ------------------------------------------------------------------ state
    def restore(self, agent_ids: Iterable[str]) -> None:
        """Load each agent's newest good checkpoint. Damaged files are reported, skipped."""
        for agent_id in agent_ids:
            self._load(agent_id)

    def _load(self, agent_id: str) -> _Health:
        loaded = self.store.load(agent_id)
        for warning in loaded.warnings:
            self._warn(agent_id, warning)
        health = _Health(loaded.checkpoint or AgentCheckpoint(agent_id))
        self._health[agent_id] = health
        return health

    def _get(self, agent_id: str) -> _Health:
        health = self._health.get(agent_id)
        return health if health is not None else self._load(agent_id)

    def checkpoint(self, agent_id: str) -> AgentCheckpoint:
        """The agent's newest checkpoint as this process knows it."""
        return self._get(agent_id).checkpoint

    def degraded(self, agent_id: str) -> bool:
        health = self._health.get(agent_id)
        return health is not None and health.checkpoint.degraded(self._clock())

    # ---------------------------------------------------------- before a turn
    async def admit(self, agent_id: str) -> None:
        """Let an activation start: refuse it if the circuit is open, or wait out the backoff
        of a pending restart and restart the agent from its checkpoint first.

        Raises:
            CircuitOpenError: the agent is degraded.
        """
        health = self._get(agent_id)
        if health.restart_due is not None and health.written < health.version:
            await self.settled(agent_id)  # a restart reloads the checkpoint: it must be there
        if health.checkpoint.degraded(self._clock()):
            # `axo agents restart` in another process closes the circuit on disk.
            on_disk = self.store.load(agent_id).checkpoint
            if (
                on_disk is not None
                and on_disk.seq > health.checkpoint.seq
                and not on_disk.degraded(self._clock())
            ):
                health.checkpoint, health.restart_due = on_disk, None
            else:
                raise CircuitOpenError(agent_id, health.checkpoint)
        if health.restart_due is None:
            return
        delay = health.restart_due - self._monotonic()
        if delay > 0:
            await self._sleep(delay)
        if health.restart_due is None:
            return  # a concurrent activation of the same agent restarted it meanwhile
        health.restart_due = None
        loaded = self.store.load(agent_id)
        for warning in loaded.warnings:
            self._warn(agent_id, warning)
        if loaded.checkpoint is not None and loaded.checkpoint.seq >= health.checkpoint.seq:
            health.checkpoint = loaded.checkpoint
        source = loaded.path.name if loaded.path is not None else "a fresh state"
        self._warn(
            agent_id,
            f"agent '{agent_id}' restarted from checkpoint {source} after "
            f"{health.checkpoint.consecutive_failures} failure(s)"
            + (f", after a {delay:.1f}s backoff" if delay > 0 else ""),
        )

    # ----------------------------------------------------------- after a turn
    async def after_turn(
        self,
        request: TurnRequest,
        journal: Journal,
        *,
        ok: bool,
        error: str | None = None,
        error_kind: ErrorKind | None = None,
        usage: tuple[int, int] | None = None,
        session_length: int | None = None,
    ) -> AgentCheckpoint | None:
        """Checkpoint the agent after an activation and update its supervision state.

        Never raises for a write that fails: the turn's output is already in the journal, so
        a failed checkpoint is a warning (naming the file and the fix), not a lost turn.
        Refusals by an open circuit are not turns and write nothing. `usage` (prompt,
        completion) and `session_length` are what the caller already knows of the turn; when
        not given they are read back from the journal.
        """
        agent_id = request.agent.id
        if error_kind == ErrorKind.CIRCUIT_OPEN:
            return None
        health = self._get(agent_id)
        previous = health.checkpoint
        prompt, completion = (
            usage if usage is not None else journal.activation_tokens(request.activation_id)
        )
        if session_length is None:
            session_length = journal.session_length(request.session_id)
        crashed = not ok and error_kind in CRASH_KINDS
        consecutive = 0 if ok else previous.consecutive_failures + int(crashed)
        open_until = previous.circuit_open_until if not ok and not crashed else None
        if crashed and consecutive >= self.policy.failure_threshold:
            open_until = self._clock() + self.policy.cooldown_secs
        updated = previous.evolve(
            activation_id=request.activation_id,
            run_id=request.run_id,
            session_id=request.session_id,
            sessions=previous.with_session(request.session_id, session_length),
            prompt_tokens=previous.prompt_tokens + prompt,
            completion_tokens=previous.completion_tokens + completion,
            activations=previous.activations + 1,
            failures=previous.failures + int(not ok),
            consecutive_failures=consecutive,
            last_error=None if ok else error,
            circuit_open_until=open_until,
        )
        health.checkpoint = updated
        health.version += 1
        health.queue.append((health.version, updated))
        self._schedule_write(agent_id, health)
        if crashed:
            health.restart_due = self._monotonic() + self.policy.backoff(consecutive)
        elif ok:
            health.restart_due = None
        if crashed and open_until is not None and previous.circuit_open_until != open_until:
            self._warn(agent_id, str(CircuitOpenError(agent_id, updated)))
        return updated

    # ------------------------------------------------------------ the writes
    # A checkpoint is written in the background, off the turn's path: its fsync took most
    # of a short turn's time, and the completion does not need it (the journal, committed
    # first, is what resume relies on). One writer serves every agent: each batch is one
    # hand-off to a thread (gathered over CHECKPOINT_BATCH_SECS), not one per turn; each
    # turn still gets its checkpoint, in order. An agent that must restart from its
    # checkpoint waits for its pending writes (`admit`); closing waits for all (`settled`).
    def _schedule_write(self, agent_id: str, health: _Health) -> None:
        self._dirty[agent_id] = health
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write_behind())

    async def _write_behind(self) -> None:
        loop = asyncio.get_running_loop()
        while self._dirty:
            # Gather the turns that end meanwhile into the same batch: each hand-off to a
            # thread costs the turns GIL switches, a batch of one agent in a chain as much
            # as a batch of a hundred.
            await asyncio.sleep(CHECKPOINT_BATCH_SECS)
            batch = [(health, health.queue) for health in self._dirty.values()]
            self._dirty.clear()
            for health, _ in batch:
                health.queue = []
            if self._write_thread is None:
                self._write_thread = concurrent.futures.ThreadPoolExecutor(
                    1, thread_name_prefix="axo-checkpoint"
                )
            results = await loop.run_in_executor(self._write_thread, self._write_batch, batch)
            for (health, states), result in zip(batch, results, strict=True):
                if isinstance(result, CheckpointError):
                    self._warn(health.checkpoint.agent_id, str(result))  # next turn retries
                elif result is not None:
                    # The number the store gave it, also on a state that moved on meanwhile.
                    health.checkpoint = health.checkpoint.evolve(seq=result.seq)
                health.written = max(health.written, states[-1][0])

    def _write_batch(
        self, batch: list[tuple[_Health, list[tuple[int, AgentCheckpoint]]]]
    ) -> list[AgentCheckpoint | CheckpointError | None]:
        """Write each agent's queued states in order, one checkpoint per turn. Returns, per
        agent, the last one written, the error that stopped it, or None (all superseded)."""
        results: list[AgentCheckpoint | CheckpointError | None] = []
        for health, states in batch:
            last: AgentCheckpoint | CheckpointError | None = None
            lock = self._write_locks.setdefault(health.checkpoint.agent_id, threading.Lock())
            for version, state in states:
                with lock:
                    if version <= health.floor:
                        continue  # `close_circuit` wrote a newer state meanwhile
                    try:
                        last = self.store.write(state)
                    except CheckpointError as exc:
                        last = exc
                        break
            results.append(last)
        return results

    def _write_current(self, health: _Health) -> AgentCheckpoint:
        """Write the agent's state as it is now, superseding every queued one."""
        lock = self._write_locks.setdefault(health.checkpoint.agent_id, threading.Lock())
        with lock:
            health.floor = health.version
            health.queue = []
            return self.store.write(health.checkpoint)

    async def settled(self, agent_id: str | None = None) -> None:
        """Wait until the checkpoints written behind the turns (of one agent, or all) are
        on disk."""
        while self._writer is not None and not self._writer.done():
            if agent_id is not None:
                health = self._health.get(agent_id)
                if health is None or health.written >= health.version:
                    return
            await asyncio.gather(self._writer, return_exceptions=True)

    def close(self) -> None:
        """End the writer's thread; call after `settled`. A later write starts a new one."""
        thread, self._write_thread = self._write_thread, None
        if thread is not None:
            thread.shutdown(wait=True)

    # ------------------------------------------------------------- operators
    def close_circuit(self, agent_id: str) -> tuple[AgentCheckpoint, AgentCheckpoint]:
        """`axo agents restart`: forget the failures, close the circuit, checkpoint it.
        Returns (before, after). Raises CheckpointError when the write fails."""
        health = self._health.get(agent_id)
        if health is None or health.written >= health.version:
            # Nothing of ours is waiting to be written: the disk is the newest state (another
            # process may have written since).
            loaded = self._load(agent_id)
            if health is not None:
                health.checkpoint = loaded.checkpoint
                self._health[agent_id] = health  # keep the writer and versions we track
            else:
                health = loaded
        before = health.checkpoint
        health.checkpoint = replace(
            before, consecutive_failures=0, circuit_open_until=None, last_error=None
        )
        health.version += 1
        version = health.version
        after = self._write_current(health)
        health.written = max(health.written, version)
        health.checkpoint, health.restart_due = replace(health.checkpoint, seq=after.seq), None
        return before, after

    def _warn(self, agent_id: str, message: str) -> None:
        log.warning("%s", message)
        self._notify(agent_id, message)
