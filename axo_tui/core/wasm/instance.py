"""One live instance of a guest: its own Store (fuel, memory cap, epoch deadline) and the
calls into its exports, each ending in an outcome instead of an exception."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import wasmtime

from axo_tui.core.acl.message import AclMessage
from axo_tui.core.wasm.abi import WasmDeployError
from axo_tui.core.wasm.engine import CompiledModule, WasmEngine
from axo_tui.core.wasm.fast_call import FuelGauge, RawI32Call, write_memory
from axo_tui.core.wasm.guest_context import GuestContext, GuestServices, run_as
from axo_tui.core.wasm.limits import MIB, WasmLimits


@dataclass(frozen=True)
class CallOutcome:
    ok: bool
    reason: str = ""
    crashed: bool = False
    """A trap, exhausted fuel or a missed deadline: the instance is not trusted any more."""
    cause: str = "error"
    """`trap`, `fuel` or `deadline` for a crash (`trap_cause`); `error` when the handler
    itself reported the failure."""


OK = CallOutcome(True)


OUT_OF_FUEL = "out of fuel (limit {fuel})"
MISSED_DEADLINE = "deadline of {timeout_ms} ms missed"


def trap_cause(reason: str) -> str:
    """The kind of crash a `trap_reason` names: `fuel`, `deadline` or `trap`."""
    if reason.startswith(OUT_OF_FUEL.split("{", 1)[0]):
        return "fuel"
    if reason.startswith(MISSED_DEADLINE.split("{", 1)[0]):
        return "deadline"
    return "trap"


def crash(reason: str) -> CallOutcome:
    return CallOutcome(False, reason, crashed=True, cause=trap_cause(reason))


def trap_reason(exc: Exception, ctx: GuestContext, limits: WasmLimits) -> str:
    if ctx.abort_reason:
        return ctx.abort_reason
    code = exc.trap_code if isinstance(exc, wasmtime.Trap) else None
    if code == wasmtime.TrapCode.OUT_OF_FUEL:
        return OUT_OF_FUEL.format(**limits.to_dict())
    if code == wasmtime.TrapCode.INTERRUPT:
        return MISSED_DEADLINE.format(**limits.to_dict())
    if code == wasmtime.TrapCode.STACK_OVERFLOW:
        return "stack overflow"
    if code is not None:
        return f"trap: {code.name.lower().replace('_', ' ')}"
    text = str(exc).strip().splitlines()
    return f"trap: {text[0] if text else type(exc).__name__}"


class GuestInstance:
    def __init__(
        self,
        engine: WasmEngine,
        compiled: CompiledModule,
        name: str,
        limits: WasmLimits,
        services: GuestServices,
    ) -> None:
        self.compiled = compiled
        self.limits = limits
        store = wasmtime.Store(engine.engine)
        store.set_limits(memory_size=limits.memory_mb * MIB)
        if compiled.needs_wasi:
            store.set_wasi(wasmtime.WasiConfig())  # no dirs, no env, no args: an empty sandbox
        self.store = store
        self._context: Any = store._context()
        self.ctx = GuestContext(name, limits, services, store, engine.ticks(limits.timeout_ms))
        self._fuel = FuelGauge(store)
        self.fuel_used = 0
        """Fuel its calls burned, all told (the agent reports it as `wasm.fuel`)."""
        self._arm()
        try:
            instance = compiled.pre.instantiate(store)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as exc:
            raise WasmDeployError(f"module could not be instantiated: {exc}") from None
        exports = instance.exports(store)
        memory = exports["memory"]
        assert isinstance(memory, wasmtime.Memory)
        self.ctx.memory = memory
        alloc, handle = exports["alloc"], exports["handle_message"]
        assert isinstance(alloc, wasmtime.Func) and isinstance(handle, wasmtime.Func)
        # Signatures checked by abi.check_module: the per-message calls skip reflection.
        self._alloc = RawI32Call(store, alloc, 1)
        self._handle = RawI32Call(store, handle, 2)
        self._init = exports.get("init")
        self._initialize = exports.get("_initialize")
        self._shutdown = exports.get("shutdown")
        self._timer = exports.get("handle_timer")

    def _arm(self) -> None:
        self._fuel.refill(self.limits.fuel)
        self.store.set_epoch_deadline(self.ctx.deadline_ticks)
        self.ctx.sends_left = self.limits.sends_per_call
        self.ctx.rate_warned = False
        self.ctx.abort_reason = None

    def _call(self, body: Callable[[], Any]) -> CallOutcome:
        self._arm()
        try:
            result = run_as(self.ctx, body)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            return crash(trap_reason(exc, self.ctx, self.limits))
        finally:
            self.ctx.current = None
            self.fuel_used += self.limits.fuel - self._fuel.left()
        if isinstance(result, int) and result != 0:
            return CallOutcome(False, f"handler returned {result}")
        if isinstance(result, str):
            return CallOutcome(False, result)
        return OK

    def init(self) -> CallOutcome:
        def body() -> Any:
            if isinstance(self._initialize, wasmtime.Func):
                self._initialize(self.store)
            if isinstance(self._init, wasmtime.Func):
                return self._init(self.store)
            return None

        return self._call(body)

    def handle(self, message: AclMessage, data: bytes | None = None) -> CallOutcome:
        payload = message.to_json() if data is None else data
        self.ctx.current = message

        def body() -> Any:
            ptr = self._alloc(len(payload))
            memory = self.ctx.memory
            assert memory is not None
            if ptr <= 0 or not write_memory(self._context, memory, payload, ptr):
                return "alloc failed"
            return self._handle(ptr, len(payload))

        return self._call(body)

    def timer(self, timer_id: int) -> CallOutcome:
        if not isinstance(self._timer, wasmtime.Func):
            return OK
        handler = self._timer
        return self._call(lambda: handler(self.store, timer_id))

    def shutdown(self) -> CallOutcome:
        if not isinstance(self._shutdown, wasmtime.Func):
            return OK
        handler = self._shutdown
        outcome = self._call(lambda: handler(self.store))
        return outcome if outcome.crashed else OK
