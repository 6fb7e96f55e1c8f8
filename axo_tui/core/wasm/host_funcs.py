"""The host imports of ABI v1 (modules `axo`, `caxton`, `env`), defined once on a linker.

Every function validates the guest's pointers against its memory and answers with the ABI's
negative codes rather than trapping: a guest's mistake is its own, never the host's. Each is
called through a raw-value callback (`fast_call.define_raw`) with the caller's store context
first; an exception in one (a host bug, or `abort`) traps that handler call only.
"""

from __future__ import annotations

import json
import os
import struct
import time
from collections.abc import Callable
from typing import Any

import wasmtime

from axo_tui.core.acl.message import MAX_MESSAGE_BYTES
from axo_tui.core.base.errors import AxoError
from axo_tui.core.wasm.abi import HOST_IMPORTS, Err
from axo_tui.core.wasm.fast_call import define_raw, memory_fits, read_memory, write_memory
from axo_tui.core.wasm.guest_context import ACTIVE, GuestContext, HostCallError

LOG_LINE_BYTES = 4096
MAX_KEY_BYTES = 256
MAX_VALUE_BYTES = 1 << 20
MAX_RANDOM_BYTES = 1 << 16
MAX_TEXT_BYTES = 1 << 20
"""Prompts, tool names and arguments a guest hands the host are at most this long."""


Context = Any
"""The calling guest's raw store context (`wasmtime_context_t *`), for its memory."""


class GuestAbort(AxoError):
    """AssemblyScript's `abort`: ends the handler call as a failure."""


def _ctx() -> GuestContext:
    ctx = ACTIVE.ctx
    if ctx is None or ctx.memory is None:  # a host call outside a handler: a host bug
        raise RuntimeError("host function called with no active guest")
    return ctx


def _read(caller: Context, ctx: GuestContext, ptr: int, length: int) -> bytes | None:
    assert ctx.memory is not None
    return read_memory(caller, ctx.memory, ptr, length)


def _write_out(caller: Context, ctx: GuestContext, data: bytes, out_ptr: int, out_cap: int) -> int:
    """snprintf convention: copy what fits, return the full length."""
    assert ctx.memory is not None
    if not memory_fits(caller, ctx.memory, out_ptr, out_cap):
        return Err.BOUNDS
    if out_cap and data:
        write_memory(caller, ctx.memory, data[:out_cap], out_ptr)
    return len(data)


def _send(caller: Context, ptr: int, length: int) -> int:
    ctx = _ctx()
    if length > MAX_MESSAGE_BYTES:
        return Err.TOO_LARGE
    if ctx.sends_left <= 0:
        if not ctx.rate_warned:
            ctx.rate_warned = True
            ctx.services.log(2, f"send rate-limited: over {ctx.limits.sends_per_call} this call")
        return Err.RATE_LIMITED
    raw = _read(caller, ctx, ptr, length)
    if raw is None:
        return Err.BOUNDS
    ctx.sends_left -= 1
    return ctx.services.send(ctx, raw)


def _log(caller: Context, level: int, ptr: int, length: int) -> None:
    ctx = _ctx()
    raw = _read(caller, ctx, ptr, min(max(length, 0), LOG_LINE_BYTES))
    if raw is not None:
        suffix = " [cut]" if length > LOG_LINE_BYTES else ""
        ctx.services.log(level, raw.decode("utf-8", "replace") + suffix)


def _console_log(caller: Context, ptr: int, length: int) -> None:
    _log(caller, 1, ptr, length)


def _now(caller: Context) -> int:
    return time.time_ns() // 1_000_000


def _random(caller: Context, ptr: int, length: int) -> int:
    ctx = _ctx()
    if length > MAX_RANDOM_BYTES:
        return Err.TOO_LARGE
    return min(_write_out(caller, ctx, os.urandom(max(length, 0)), ptr, length), 0)


def _key(caller: Context, ctx: GuestContext, ptr: int, length: int) -> bytes | int:
    if length > MAX_KEY_BYTES:
        return Err.TOO_LARGE
    key = _read(caller, ctx, ptr, length)
    return Err.BOUNDS if key is None else key


def _kv_get(caller: Context, kp: int, kl: int, out: int, cap: int) -> int:
    ctx = _ctx()
    key = _key(caller, ctx, kp, kl)
    if isinstance(key, int):
        return key
    value = ctx.services.kv_get(key)
    if value is None:
        return Err.NOT_FOUND
    return _write_out(caller, ctx, value, out, cap)


def _kv_set(caller: Context, kp: int, kl: int, vp: int, vl: int) -> int:
    ctx = _ctx()
    key = _key(caller, ctx, kp, kl)
    if isinstance(key, int):
        return key
    if vl > MAX_VALUE_BYTES:
        return Err.TOO_LARGE
    value = _read(caller, ctx, vp, vl)
    if value is None:
        return Err.BOUNDS
    return ctx.services.kv_set(key, value)


def _kv_delete(caller: Context, kp: int, kl: int) -> int:
    ctx = _ctx()
    key = _key(caller, ctx, kp, kl)
    if isinstance(key, int):
        return key
    return 0 if ctx.services.kv_delete(key) else Err.NOT_FOUND


def _set_timer(caller: Context, delay_ms: int, repeat: int) -> int:
    return _ctx().services.set_timer(delay_ms, bool(repeat))


def _caxton_set_timer(caller: Context, delay_ms: int) -> int:
    return _set_timer(caller, delay_ms, 0)


def _cancel_timer(caller: Context, timer_id: int) -> int:
    return 0 if _ctx().services.cancel_timer(timer_id) else Err.NOT_FOUND


def _text(caller: Context, ctx: GuestContext, ptr: int, length: int) -> str | int:
    if length > MAX_TEXT_BYTES:
        return Err.TOO_LARGE
    raw = _read(caller, ctx, ptr, length)
    if raw is None:
        return Err.BOUNDS
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return Err.INVALID


def _outside(ctx: GuestContext, call: Callable[[], str]) -> str | int:
    """Run a slow host service; its time is not the guest's (the deadline restarts)."""
    try:
        return call()
    except HostCallError as exc:
        ctx.last_error = str(exc) or Err(exc.code).name.lower().replace("_", "-")
        ctx.services.log(2, ctx.last_error)
        return exc.code
    finally:
        ctx.restart_deadline()


def _last_error(caller: Context, out: int, cap: int) -> int:
    ctx = _ctx()
    if ctx.last_error is None:
        return Err.NOT_FOUND
    return _write_out(caller, ctx, ctx.last_error.encode("utf-8"), out, cap)


def _llm(caller: Context, pp: int, pl: int, out: int, cap: int) -> int:
    ctx = _ctx()
    prompt = _text(caller, ctx, pp, pl)
    if isinstance(prompt, int):
        return prompt
    reply = _outside(ctx, lambda: ctx.services.llm(prompt))
    if isinstance(reply, int):
        return reply
    return _write_out(caller, ctx, reply.encode("utf-8"), out, cap)


def _tool(caller: Context, np: int, nl: int, ap: int, al: int, out: int, cap: int) -> int:
    ctx = _ctx()
    name = _text(caller, ctx, np, nl)
    raw_args = _text(caller, ctx, ap, al)
    if isinstance(name, int):
        return name
    if isinstance(raw_args, int):
        return raw_args
    try:
        arguments: Any = json.loads(raw_args or "{}")
    except json.JSONDecodeError:
        return Err.INVALID
    if not isinstance(arguments, dict):
        return Err.INVALID
    result = _outside(ctx, lambda: ctx.services.tool(name, arguments))
    if isinstance(result, int):
        return result
    return _write_out(caller, ctx, result.encode("utf-8"), out, cap)


def _abort(caller: Context, msg: int, file: int, line: int, col: int) -> None:
    ctx = _ctx()
    ctx.abort_reason = f"abort at {line}:{col}"
    raise GuestAbort(ctx.abort_reason)


def _seed(caller: Context) -> float:
    return float(struct.unpack("<Q", os.urandom(8))[0] >> 11)


_IMPLEMENTATIONS: dict[tuple[str, str], Callable[..., Any]] = {
    ("axo", "send"): _send,
    ("axo", "log"): _log,
    ("axo", "now"): _now,
    ("axo", "random"): _random,
    ("axo", "kv_get"): _kv_get,
    ("axo", "kv_set"): _kv_set,
    ("axo", "kv_delete"): _kv_delete,
    ("axo", "set_timer"): _set_timer,
    ("axo", "cancel_timer"): _cancel_timer,
    ("axo", "llm"): _llm,
    ("axo", "tool"): _tool,
    ("axo", "last_error"): _last_error,
    ("caxton", "send_message"): _send,
    ("caxton", "console_log"): _console_log,
    ("caxton", "current_timestamp"): _now,
    ("caxton", "store_data"): _kv_set,
    ("caxton", "load_data"): _kv_get,
    ("caxton", "set_timer"): _caxton_set_timer,
    ("env", "abort"): _abort,
    ("env", "seed"): _seed,
}


def _trapped(label: str, exc: BaseException) -> str:
    """Why a host function trapped its guest: `abort`'s reason, else the host's own error,
    which then becomes the handler call's failure reason."""
    ctx = ACTIVE.ctx
    reason = str(exc) if isinstance(exc, GuestAbort) else f"host function {label} failed: {exc!r}"
    if ctx is not None and not ctx.abort_reason:
        ctx.abort_reason = reason
    return reason


def define_host_imports(linker: wasmtime.Linker) -> None:
    """Put every ABI v1 import (and WASI, sandboxed per store) on `linker`."""
    for (module, name), signature in HOST_IMPORTS.items():
        define_raw(linker, module, name, signature, _IMPLEMENTATIONS[(module, name)], _trapped)
    linker.define_wasi()
