"""The host interface of the WIT world (docs/wit/axo.wit) for components, on a component linker.

The same services and limits as the core ABI's imports (`host_funcs.py`), with WIT types: a
string instead of a pointer and length, `option`/`result` instead of negative codes (the error
is the code's name: `rate-limited`, `not-found`...). A guest's mistake is answered, never trapped.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

from wasmtime import component

from axo_tui.core.acl.message import MAX_MESSAGE_BYTES
from axo_tui.core.wasm.abi import Err
from axo_tui.core.wasm.guest_context import ACTIVE, GuestContext, HostCallError

HOST_INTERFACE = "axo:agent/host@1.0.0"
LOG_LINE_BYTES = 4096
MAX_KEY_BYTES = 256
MAX_VALUE_BYTES = 1 << 20
MAX_RANDOM_BYTES = 1 << 16
MAX_TEXT_BYTES = 1 << 20
LEVELS = {"debug": 0, "info": 1, "warn": 2, "error": 3}


def _ctx() -> GuestContext:
    ctx = ACTIVE.ctx
    if ctx is None:  # a host call outside a handler: a host bug
        raise RuntimeError("host function called with no active guest")
    return ctx


def error_name(code: int) -> str:
    """`Err.RATE_LIMITED` -> "rate-limited" (the WIT enum `error-code`)."""
    return Err(code).name.lower().replace("_", "-")


def _status(code: int) -> str | None:
    """result<_, error-code>: None is ok, a string the error."""
    return None if code >= 0 else error_name(code)


def _send(store: Any, message: str) -> str | None:
    ctx = _ctx()
    raw = message.encode("utf-8")
    if len(raw) > MAX_MESSAGE_BYTES:
        return error_name(Err.TOO_LARGE)
    if ctx.sends_left <= 0:
        if not ctx.rate_warned:
            ctx.rate_warned = True
            ctx.services.log(2, f"send rate-limited: over {ctx.limits.sends_per_call} this call")
        return error_name(Err.RATE_LIMITED)
    ctx.sends_left -= 1
    return _status(ctx.services.send(ctx, raw))


def _log(store: Any, level: str, text: str) -> None:
    cut = text.encode("utf-8")[:LOG_LINE_BYTES].decode("utf-8", "ignore")
    suffix = " [cut]" if len(cut) < len(text) else ""
    _ctx().services.log(LEVELS.get(level, 1), cut + suffix)


def _now(store: Any) -> int:
    return time.time_ns() // 1_000_000


def _random(store: Any, length: int) -> bytes:
    return os.urandom(min(length, MAX_RANDOM_BYTES))


def _key(key: str) -> bytes | None:
    raw = key.encode("utf-8")
    return raw if len(raw) <= MAX_KEY_BYTES else None


def _kv_get(store: Any, key: str) -> bytes | None:
    raw = _key(key)
    return None if raw is None else _ctx().services.kv_get(raw)


def _kv_set(store: Any, key: str, value: bytes) -> str | None:
    raw = _key(key)
    if raw is None or len(value) > MAX_VALUE_BYTES:
        return error_name(Err.TOO_LARGE)
    return _status(_ctx().services.kv_set(raw, bytes(value)))


def _kv_delete(store: Any, key: str) -> str | None:
    raw = _key(key)
    if raw is None:
        return error_name(Err.TOO_LARGE)
    return None if _ctx().services.kv_delete(raw) else error_name(Err.NOT_FOUND)


def _set_timer(store: Any, delay_ms: int, repeat: bool) -> int | str:
    timer_id = _ctx().services.set_timer(delay_ms, bool(repeat))
    return timer_id if timer_id >= 0 else error_name(timer_id)


def _cancel_timer(store: Any, timer_id: int) -> str | None:
    return None if _ctx().services.cancel_timer(timer_id) else error_name(Err.NOT_FOUND)


def _outside(ctx: GuestContext, call: Callable[[], str]) -> component.Variant:
    """result<string, error-code> of a slow host service; its time is not the guest's."""
    try:
        return component.Variant("ok", call())
    except HostCallError as exc:
        ctx.last_error = str(exc) or error_name(exc.code)
        ctx.services.log(2, ctx.last_error)
        return component.Variant("err", error_name(exc.code))
    finally:
        ctx.restart_deadline()


def _llm(store: Any, prompt: str) -> component.Variant:
    ctx = _ctx()
    if len(prompt) > MAX_TEXT_BYTES:
        return component.Variant("err", error_name(Err.TOO_LARGE))
    return _outside(ctx, lambda: ctx.services.llm(prompt))


def _tool(store: Any, name: str, arguments: str) -> component.Variant:
    ctx = _ctx()
    if len(name) > MAX_TEXT_BYTES or len(arguments) > MAX_TEXT_BYTES:
        return component.Variant("err", error_name(Err.TOO_LARGE))
    try:
        parsed: Any = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        return component.Variant("err", error_name(Err.INVALID))
    return _outside(ctx, lambda: ctx.services.tool(name, parsed))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "send": _send,
    "log": _log,
    "now": _now,
    "random": _random,
    "kv-get": _kv_get,
    "kv-set": _kv_set,
    "kv-delete": _kv_delete,
    "set-timer": _set_timer,
    "cancel-timer": _cancel_timer,
    "llm": _llm,
    "tool": _tool,
}


def define_component_host(linker: component.Linker) -> None:
    """Every function of `axo:agent/host` (a component imports the whole interface)."""
    with linker.root() as root, root.add_instance(HOST_INTERFACE) as host:
        for name, func in FUNCTIONS.items():
            host.add_func(name, func)
