"""One deployed WASM agent: its mailbox, its live instance, its supervision.

Messages are handled one at a time, in mailbox order, by whichever host worker holds the
agent. A replacement is swapped in between two messages: the one in flight finishes on the
old instance, the queued ones go to the new one. A crash (trap, fuel, deadline) fails that
one message, drops the instance and restarts it after a backoff; after `failure_threshold`
crashes in a row the circuit opens and messages are answered with a `failure` at once until
the cool-down ends (the same rules as LLM agents, `runtime/supervisor.py`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from axo_tui.core.acl.message import (
    NO_FAILURE_REPLY,
    AclError,
    AclMessage,
    Performative,
    new_id,
)
from axo_tui.core.acl.router import AclRouter
from axo_tui.core.wasm.abi import Err, WasmDeployError
from axo_tui.core.wasm.component_instance import AnyInstance
from axo_tui.core.wasm.engine import Compiled
from axo_tui.core.wasm.guest_context import GuestContext, GuestServices, HostCallError
from axo_tui.core.wasm.host_calls import Execution, HostCalls
from axo_tui.core.wasm.instance import CallOutcome
from axo_tui.core.wasm.kv import KvStore
from axo_tui.core.wasm.limits import RestartPolicy, WasmLimits
from axo_tui.core.wasm.timers import TimerThread


class AgentHost(Protocol):
    """What an agent needs of the host that runs it (`host.WasmHost`), declared here so the
    agent does not import the host."""

    router: AclRouter
    policy: RestartPolicy
    calls: HostCalls | None
    kv: KvStore
    timers: TimerThread

    def schedule(self, agent: WasmAgent) -> None: ...

    def emit(self, kind: str, agent: str, fields: dict[str, Any]) -> None: ...

    def waiting(self) -> AbstractContextManager[None]: ...

    def instantiate(
        self, name: str, compiled: Compiled, limits: WasmLimits, services: GuestServices
    ) -> AnyInstance: ...


BATCH = 64
"""Messages an agent handles before its worker moves on to another agent (fairness)."""
MAX_TIMERS = 64
MIN_TIMER_MS = 10
LEVELS = {0: "debug", 1: "info", 2: "warn", 3: "error"}


@dataclass(frozen=True)
class TimerTick:
    timer_id: int


class WasmAgent:
    def __init__(self, host: AgentHost, name: str, compiled: Compiled, limits: WasmLimits) -> None:
        self.host = host
        self.name = name
        self.instance: AnyInstance | None = None
        """Made on the first message (or set by the deploy, which runs `init` first)."""
        self._compiled = compiled
        self._limits = limits
        self._next: AnyInstance | None = None
        self._mailbox: deque[AclMessage | TimerTick] = deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self._stopped = False
        self.failures = 0
        self.circuit_until = 0.0
        self._restart_due = 0.0
        self._timers: dict[int, bool] = {}
        self._timer_ids = 0
        self.handled = 0
        self.failed = 0
        self.fuel_used = 0
        """Fuel burned by all its instances, all told; written by the worker only."""
        self.fuel_reported = 0
        """How much of `fuel_used` the host has reported (`WasmHost.report_fuel`)."""
        self._fuel_seen = 0
        """How much of the live instance's `fuel_used` is already in ours."""
        self.last_error: str | None = None
        self._handling: AclMessage | None = None
        self._execution: Execution | None = None
        """The handler call in progress as `llm` and `tool` report it to the runtime; made at
        its first such call (most handler calls make none)."""

    # ---------------------------------------------------------------- queries
    @property
    def sha256(self) -> str:
        return self._compiled.sha256

    @property
    def limits(self) -> WasmLimits:
        return self._limits

    def queued(self) -> int:
        return len(self._mailbox)

    def status(self) -> str:
        if self._stopped:
            return "stopped"
        if self.circuit_until > time.time():
            return "degraded"
        if self.instance is None:
            return "restarting"
        return "running"

    # -------------------------------------------------------------- delivery
    def deliver(self, message: AclMessage | TimerTick) -> None:
        with self._lock:
            if self._stopped:
                stopped = True
            else:
                stopped = False
                self._mailbox.append(message)
                self._wake_locked()
        if stopped and isinstance(message, AclMessage):
            self._answer_failure(message, f"agent '{self.name}' is undeployed")

    def _wake_locked(self) -> None:
        if not self._scheduled and not self._stopped:
            self._scheduled = True
            self.host.schedule(self)

    def _wake(self) -> None:
        with self._lock:
            if self._mailbox or self._next is not None:
                self._wake_locked()

    def replace(self, instance: AnyInstance) -> None:
        """Swap `instance` in before the next queued message (see the module docstring)."""
        with self._lock:
            self._next = instance
            self._compiled = instance.compiled
            self._limits = instance.limits
            self._restart_due = 0.0
            self.failures = 0
            self.circuit_until = 0.0
            self._wake_locked()

    def stop(self) -> list[AclMessage]:
        """No more messages; returns the queued ones (the caller answers them)."""
        with self._lock:
            self._stopped = True
            self._timers.clear()
            left = [m for m in self._mailbox if isinstance(m, AclMessage)]
            self._mailbox.clear()
        return left

    def finish(self) -> None:
        """Call `shutdown` on the live instance (on the caller's thread, once stopped)."""
        for instance in (self.instance, self._next):
            if instance is not None:
                instance.shutdown()
        self.instance = self._next = None

    # ---------------------------------------------------------------- worker
    def run_batch(self) -> None:
        """Called by a host worker: handle up to BATCH messages, then let others run."""
        for _ in range(BATCH):
            with self._lock:
                swap, self._next = self._next, None
                if swap is not None:
                    old, self.instance = self.instance, swap
                else:
                    old = None
            if swap is not None:
                if old is not None:
                    old.shutdown()
                    self.fuel_used += old.fuel_used - self._fuel_seen
                self._fuel_seen = 0
            with self._lock:
                if self._stopped or not self._mailbox:
                    self._scheduled = False
                    return
                wait = self._restart_due - time.monotonic()
                if wait > 0:
                    self._scheduled = False
                    self.host.timers.call_later(wait, self._wake)
                    return
                item = self._mailbox.popleft()
            self._process(item)
        with self._lock:
            self._scheduled = False
            if self._mailbox:
                self._wake_locked()

    def _process(self, item: AclMessage | TimerTick) -> None:
        if isinstance(item, AclMessage) and self.circuit_until > time.time():
            self._answer_failure(item, f"agent '{self.name}' is degraded: {self.last_error}")
            return
        if isinstance(item, TimerTick) and item.timer_id not in self._timers:
            return
        self._handling = item if isinstance(item, AclMessage) else None
        self._execution = None
        instance = self.instance
        if instance is None:
            try:
                instance = self.host.instantiate(self.name, self._compiled, self._limits, self)
            except WasmDeployError as exc:
                self._crashed(str(exc))
                if isinstance(item, AclMessage):
                    self._answer_failure(item, str(exc))
                return
            self.instance = instance
            self._fuel_seen = 0
        if isinstance(item, TimerTick):
            outcome = instance.timer(item.timer_id)
            if self._timers.get(item.timer_id) is False:  # a one-shot timer is spent
                self._timers.pop(item.timer_id, None)
        else:
            outcome = instance.handle(item)
        # Summed here, reported by the host now and then: an event per message would cost
        # more than the message.
        used = instance.fuel_used
        self.fuel_used += used - self._fuel_seen
        self._fuel_seen = used
        self._settle(outcome, item)

    def _settle(self, outcome: CallOutcome, item: AclMessage | TimerTick) -> None:
        if outcome.ok:
            self.handled += 1
            if self.failures:
                self.failures = 0
                self.circuit_until = 0.0
            return
        self.failed += 1
        self.last_error = outcome.reason
        what = "timer" if isinstance(item, TimerTick) else "message"
        self.host.emit(
            "wasm.failed",
            self.name,
            {"reason": outcome.reason, "during": what, "cause": outcome.cause},
        )
        if outcome.crashed:
            self.instance = None  # memory after a trap is not trusted: start afresh
            self._fuel_seen = 0
            self._crashed(outcome.reason)
        if isinstance(item, AclMessage):
            self._answer_failure(item, outcome.reason)

    def _crashed(self, reason: str) -> None:
        policy = self.host.policy
        self.failures += 1
        self.last_error = reason
        self._restart_due = time.monotonic() + policy.backoff(self.failures)
        if self.failures >= policy.failure_threshold:
            self.circuit_until = time.time() + policy.cooldown_secs
            self._restart_due = 0.0
            self.host.emit(
                "wasm.degraded",
                self.name,
                {"reason": reason, "failures": self.failures, "until": self.circuit_until},
            )

    def _answer_failure(self, message: AclMessage, reason: str) -> None:
        if message.performative in NO_FAILURE_REPLY:
            return
        self.host.router.send(
            message.reply(Performative.FAILURE, {"error": reason}, sender=self.name)
        )

    # ---------------------------------------------------- GuestServices (host calls)
    def send(self, ctx: GuestContext, raw: bytes) -> int:
        try:
            message = AclMessage.from_json(raw, sender=self.name)
        except AclError as exc:
            self.log(2, f"send refused: {exc}")
            return Err.INVALID
        current = ctx.current
        if current is not None:  # answering the message in hand: its ids are the defaults
            in_reply_to = message.in_reply_to
            if in_reply_to is None and current.sender in message.receivers:
                in_reply_to = current.reply_with
            message = message.with_ids(
                message.conversation_id or current.conversation_id,
                message.reply_with or new_id("m"),
                in_reply_to,
            )
        self.host.router.send(message)
        return 0

    def log(self, level: int, text: str) -> None:
        self.host.emit("wasm.log", self.name, {"level": LEVELS.get(level, "info"), "text": text})

    def kv_get(self, key: bytes) -> bytes | None:
        return self.host.kv.get(self.name, key)

    def kv_set(self, key: bytes, value: bytes) -> int:
        return self.host.kv.set(self.name, key, value)

    def kv_delete(self, key: bytes) -> bool:
        return self.host.kv.delete(self.name, key)

    def set_timer(self, delay_ms: int, repeat: bool) -> int:
        with self._lock:
            if len(self._timers) >= MAX_TIMERS:
                return Err.RATE_LIMITED
            self._timer_ids += 1
            timer_id = self._timer_ids
            self._timers[timer_id] = repeat
        self._arm_timer(timer_id, max(delay_ms, MIN_TIMER_MS))
        return timer_id

    def _arm_timer(self, timer_id: int, delay_ms: int) -> None:
        def due() -> None:
            repeat = self._timers.get(timer_id)
            if repeat is None:
                return  # cancelled
            self.deliver(TimerTick(timer_id))
            if repeat:
                self._arm_timer(timer_id, delay_ms)

        self.host.timers.call_later(delay_ms / 1000, due)

    def cancel_timer(self, timer_id: int) -> bool:
        with self._lock:
            return self._timers.pop(timer_id, None) is not None

    def llm(self, prompt: str) -> str:
        calls = self.host.calls
        if calls is None:
            raise HostCallError(Err.DENIED, "llm: no provider is configured for WASM agents here")
        with self.host.waiting():
            return calls.llm(self._current_execution(), prompt)

    def tool(self, name: str, arguments: dict[str, Any]) -> str:
        calls = self.host.calls
        if calls is None:
            raise HostCallError(Err.DENIED, f"tool {name}: no tools are granted here")
        with self.host.waiting():
            return calls.tool(self._current_execution(), name, arguments)

    def _current_execution(self) -> Execution:
        if self._execution is None:
            self._execution = Execution.start(self.name, self._handling)
        return self._execution
