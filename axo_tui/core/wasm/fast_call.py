"""Calls into a guest's exports without wasmtime-py's per-call type reflection.

`Func.__call__` looks up and converts the function's type on every call (most of the cost of
a message). The exports called per message have signatures checked once at deploy
(`abi.check_module`), so their arguments go straight into one reused raw-value buffer through
`wasmtime_func_call_unchecked`. Traps surface exactly as from `Func.__call__`. The fuel gauge
likewise calls the C API straight.

The host imports are called the same way round (`define_raw`): wasmtime-py's own callback
makes a `Caller`, a `Val` per argument and a `ValType` per result on every call, ~10 µs of a
ping-pong message's ~40; the raw callback reads and writes the value slots directly (~0.6 µs).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import wasmtime
from wasmtime import _bindings as ffi
from wasmtime._ffi import dll


class RawI32Call:
    """A checked export taking i32s and returning at most one i32."""

    def __init__(self, store: wasmtime.Store, func: wasmtime.Func, slots: int) -> None:
        self._store = store
        self._func = ctypes.byref(func._func)
        self._buffer = (ffi.wasmtime_val_raw_t * max(slots, 1))()
        self._slots = max(slots, 1)
        self._new_trap_slot()

    def _new_trap_slot(self) -> None:
        # Reused until a trap fills it: the Trap made from it then owns the pointer.
        self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
        self._trap_ref = ctypes.byref(self._trap)

    def __call__(self, *args: int) -> int:
        buffer = self._buffer
        for index, value in enumerate(args):
            buffer[index].i32 = value
        store: Any = self._store
        error = ffi.wasmtime_func_call_unchecked(
            store._context(), self._func, buffer, self._slots, self._trap_ref
        )
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)
        if self._trap:
            trap = self._trap
            self._new_trap_slot()
            raise wasmtime.Trap._from_ptr(trap)
        return int(buffer[0].i32)


class FuelGauge:
    """A store's fuel, refilled before each handler call and read after it, without the
    wrappers' per-call allocations (both run on every message)."""

    def __init__(self, store: wasmtime.Store) -> None:
        self._store: Any = store
        self._left = ctypes.c_uint64(0)
        self._left_ref = ctypes.byref(self._left)

    def refill(self, fuel: int) -> None:
        error = ffi.wasmtime_context_set_fuel(self._store._context(), fuel)
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)

    def left(self) -> int:
        error = ffi.wasmtime_context_get_fuel(self._store._context(), self._left_ref)
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)
        return int(self._left.value)


# Own prototypes (a new function object each, not wasmtime-py's): a plain address back.
_memory_base = dll["wasmtime_memory_data"]
_memory_base.restype = ctypes.c_void_p
_memory_base.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
_memory_size = dll["wasmtime_memory_data_size"]
_memory_size.restype = ctypes.c_size_t
_memory_size.argtypes = [ctypes.c_void_p, ctypes.c_void_p]


def memory_fits(context: Any, memory: wasmtime.Memory, ptr: int, length: int) -> bool:
    """Whether the `length` bytes at `ptr` all lie inside `memory`."""
    size = _memory_size(context, ctypes.byref(memory._memory))
    return ptr >= 0 and length >= 0 and ptr + length <= size


def read_memory(context: Any, memory: wasmtime.Memory, ptr: int, length: int) -> bytes | None:
    """A copy of `length` bytes at `ptr`, or None when they are not all inside `memory`."""
    ref = ctypes.byref(memory._memory)
    if ptr < 0 or length < 0 or ptr + length > _memory_size(context, ref):
        return None
    return ctypes.string_at(_memory_base(context, ref) + ptr, length)


def write_memory(context: Any, memory: wasmtime.Memory, data: bytes, ptr: int) -> bool:
    """Copy `data` to `ptr`; False (nothing written) when it would not all fit in `memory`."""
    ref = ctypes.byref(memory._memory)
    if ptr < 0 or ptr + len(data) > _memory_size(context, ref):
        return False
    if data:
        ctypes.memmove(_memory_base(context, ref) + ptr, data, len(data))
    return True


RawHostFunc = Callable[..., Any]
"""Called as `func(context, *args)`: the caller's raw store context, then the wasm arguments
as Python numbers. Returns the one result, or None for none."""

_SLOTS = {"i32": "i32", "i64": "i64", "f64": "f64"}
_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()
"""A null function pointer: the callbacks hold no per-linker data to free."""
_callbacks: dict[tuple[str, RawHostFunc], Any] = {}
"""One raw callback per import and function for the process: a linker keeps only its
address, so it must outlive every linker."""


def define_raw(
    linker: wasmtime.Linker,
    module: str,
    name: str,
    signature: tuple[tuple[str, ...], tuple[str, ...]],
    func: RawHostFunc,
    on_error: Callable[[str, BaseException], str],
) -> None:
    """Define import `module`.`name` on `linker`, called through a raw-value callback. An
    exception from `func` traps the guest with the message `on_error` returns."""
    params, results = signature
    if len(results) > 1 or any(kind not in _SLOTS for kind in (*params, *results)):
        raise ValueError(f"{module}.{name}: unsupported signature {signature}")
    slots = [_SLOTS[kind] for kind in params]
    result = _SLOTS[results[0]] if results else None
    label = f"{module}.{name}"

    def call(env: Any, caller: Any, values: Any, count: int) -> int:
        try:
            context = ffi.wasmtime_caller_context(caller)
            out = func(context, *[getattr(values[i], slot) for i, slot in enumerate(slots)])
            if result is not None:
                setattr(values[0], result, out)
            return 0
        except BaseException as exc:  # nothing may unwind through wasmtime's frames
            text = on_error(label, exc).encode("utf-8", "replace")
            return ctypes.cast(ffi.wasmtime_trap_new(text, len(text)), ctypes.c_void_p).value or 0

    callback = _callbacks.setdefault((label, func), ffi.wasmtime_func_unchecked_callback_t(call))
    ty = wasmtime.FuncType(
        [_valtype(kind) for kind in params], [_valtype(kind) for kind in results]
    )
    module_bytes, name_bytes = module.encode(), name.encode()
    error = ffi.wasmtime_linker_define_func_unchecked(
        linker.ptr(),
        ctypes.create_string_buffer(module_bytes),
        len(module_bytes),
        ctypes.create_string_buffer(name_bytes),
        len(name_bytes),
        ty.ptr(),
        callback,
        None,
        _NO_FINALIZER,
    )
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)


def _valtype(kind: str) -> wasmtime.ValType:
    made: wasmtime.ValType = getattr(wasmtime.ValType, kind)()
    return made
