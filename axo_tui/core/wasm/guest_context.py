"""What the host functions act on: the agent whose handler is running on this thread.

One linker serves every agent (defining host functions per agent would cost milliseconds per
instance), so a host function finds its agent through a thread-local set by the worker right
before it calls into the guest: a guest runs on exactly one thread at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import wasmtime

from axo_tui.core.acl.message import AclMessage
from axo_tui.core.base.errors import AxoError
from axo_tui.core.wasm.limits import WasmLimits


class HostCallError(AxoError):
    """A host service refused or failed; `code` is the ABI's negative result."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(reason)
        self.code = code


class GuestServices(Protocol):
    """What the host offers one agent (implemented by `agent.WasmAgent`)."""

    def send(self, ctx: GuestContext, raw: bytes) -> int: ...
    def log(self, level: int, text: str) -> None: ...
    def kv_get(self, key: bytes) -> bytes | None: ...
    def kv_set(self, key: bytes, value: bytes) -> int: ...
    def kv_delete(self, key: bytes) -> bool: ...
    def set_timer(self, delay_ms: int, repeat: bool) -> int: ...
    def cancel_timer(self, timer_id: int) -> bool: ...
    def llm(self, prompt: str) -> str: ...
    def tool(self, name: str, arguments: dict[str, Any]) -> str: ...


@dataclass
class GuestContext:
    name: str
    limits: WasmLimits
    services: GuestServices
    store: wasmtime.Store
    deadline_ticks: int
    memory: wasmtime.Memory | None = None
    current: AclMessage | None = None
    """The message being handled (its conversation is the default for `send`)."""
    sends_left: int = 0
    rate_warned: bool = False
    abort_reason: str | None = None
    last_error: str | None = None
    """Why the last `llm` or `tool` call failed (read by the `last_error` import)."""
    notes: list[str] = field(default_factory=list)

    def restart_deadline(self) -> None:
        """Time spent in `llm` and `tool` is not the guest's: its deadline starts again."""
        self.store.set_epoch_deadline(self.deadline_ticks)


class _Active(threading.local):
    ctx: GuestContext | None = None


ACTIVE = _Active()


def run_as(ctx: GuestContext, call: Callable[[], Any]) -> Any:
    previous = ACTIVE.ctx
    ACTIVE.ctx = ctx
    try:
        return call()
    finally:
        ACTIVE.ctx = previous
