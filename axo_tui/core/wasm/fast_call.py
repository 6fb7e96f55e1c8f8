"""Calls into a guest's exports without wasmtime-py's per-call type reflection.

`Func.__call__` looks up and converts the function's type on every call (most of the cost of
a message). The exports called per message have signatures checked once at deploy
(`abi.check_module`), so their arguments go straight into one reused raw-value buffer through
`wasmtime_func_call_unchecked`. Traps surface exactly as from `Func.__call__`. The fuel gauge
likewise calls the C API straight.
"""

from __future__ import annotations

import ctypes
from typing import Any

import wasmtime
from wasmtime import _bindings as ffi
from wasmtime._func import enter_wasm


class RawI32Call:
    """A checked export taking i32s and returning at most one i32."""

    def __init__(self, store: wasmtime.Store, func: wasmtime.Func, slots: int) -> None:
        self._store = store
        self._func = ctypes.byref(func._func)
        self._buffer = (ffi.wasmtime_val_raw_t * max(slots, 1))()
        self._slots = max(slots, 1)

    def __call__(self, *args: int) -> int:
        buffer = self._buffer
        for index, value in enumerate(args):
            buffer[index].i32 = value
        store: Any = self._store
        with enter_wasm(store) as trap:
            error = ffi.wasmtime_func_call_unchecked(
                store._context(),
                self._func,
                buffer,
                self._slots,
                trap,
            )
            if error:
                raise wasmtime.WasmtimeError._from_ptr(error)
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
