"""One live instance of a component agent: the same Store limits (fuel, memory cap, epoch
deadline per call) and the same outcomes as a core module's `GuestInstance`.

A trap poisons a component instance (wasmtime refuses to enter it again), so a crashed call
is reported as `crashed` and the agent makes a fresh instance (about 0.2 ms) before the next.
"""

from __future__ import annotations

from typing import Any

import wasmtime
from wasmtime import component

from axo_tui.core.acl.message import AclMessage
from axo_tui.core.wasm.abi import WasmDeployError
from axo_tui.core.wasm.component import EXPORTS, CompiledComponent
from axo_tui.core.wasm.engine import Compiled, WasmEngine
from axo_tui.core.wasm.fast_call import FuelGauge
from axo_tui.core.wasm.guest_context import GuestContext, GuestServices, run_as
from axo_tui.core.wasm.instance import (
    MISSED_DEADLINE,
    OK,
    OUT_OF_FUEL,
    CallOutcome,
    GuestInstance,
    crash,
    trap_reason,
)
from axo_tui.core.wasm.limits import MIB, WasmLimits

CAUSES = {
    "all fuel consumed": OUT_OF_FUEL,
    "interrupt": MISSED_DEADLINE,
    "call stack exhausted": "stack overflow",
}
"""A component's trap arrives as a WasmtimeError whose `wasm trap:` line names the cause."""


def component_trap_reason(exc: Exception, ctx: GuestContext, limits: WasmLimits) -> str:
    text = str(exc)
    cause = text.rsplit("wasm trap:", 1)[1].strip() if "wasm trap:" in text else ""
    if not cause:
        return trap_reason(exc, ctx, limits)
    for needle, reason in CAUSES.items():
        if needle in cause:
            return reason.format(**limits.to_dict())
    return f"trap: {cause.splitlines()[0]}"


class ComponentInstance:
    def __init__(
        self,
        engine: WasmEngine,
        compiled: CompiledComponent,
        name: str,
        limits: WasmLimits,
        services: GuestServices,
    ) -> None:
        self.compiled = compiled
        self.limits = limits
        store = wasmtime.Store(engine.engine)
        store.set_limits(memory_size=limits.memory_mb * MIB)
        store.set_wasi(wasmtime.WasiConfig())  # no dirs, no env, no args: an empty sandbox
        self.store = store
        self.ctx = GuestContext(name, limits, services, store, engine.ticks(limits.timeout_ms))
        self._fuel = FuelGauge(store)
        self.fuel_used = 0
        """Fuel its calls burned, all told (the agent reports it as `wasm.fuel`)."""
        self._arm()
        try:
            instance = compiled.linker.instantiate(store, compiled.component)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as exc:
            raise WasmDeployError(f"component could not be instantiated: {exc}") from None
        self._funcs: dict[str, component.Func] = {}
        for export in EXPORTS:
            func = instance.get_func(store, export)
            if func is not None:
                self._funcs[export] = func

    def _arm(self) -> None:
        self._fuel.refill(self.limits.fuel)
        self.store.set_epoch_deadline(self.ctx.deadline_ticks)
        self.ctx.sends_left = self.limits.sends_per_call
        self.ctx.rate_warned = False
        self.ctx.abort_reason = None

    def _call(self, export: str, *args: Any) -> CallOutcome:
        func = self._funcs.get(export)
        if func is None:
            return OK

        def body() -> Any:
            result = func(self.store, *args)
            func.post_return(self.store)
            return result

        self._arm()
        try:
            result = run_as(self.ctx, body)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            return crash(component_trap_reason(exc, self.ctx, self.limits))
        finally:
            self.ctx.current = None
            self.fuel_used += self.limits.fuel - self._fuel.left()
        if isinstance(result, str):  # result<_, string>: the guest's own error
            return CallOutcome(False, result or "handler returned an error")
        return OK

    def init(self) -> CallOutcome:
        return self._call("init")

    def handle(self, message: AclMessage, data: bytes | None = None) -> CallOutcome:
        payload = message.to_json() if data is None else data
        self.ctx.current = message
        return self._call("handle-message", payload.decode("utf-8"))

    def timer(self, timer_id: int) -> CallOutcome:
        return self._call("handle-timer", timer_id)

    def shutdown(self) -> CallOutcome:
        outcome = self._call("stop")
        return outcome if outcome.crashed else OK


def make_instance(
    engine: WasmEngine,
    compiled: Compiled,
    name: str,
    limits: WasmLimits,
    services: GuestServices,
) -> GuestInstance | ComponentInstance:
    """A new instance of a core module or of a component (`init` not run yet)."""
    if isinstance(compiled, CompiledComponent):
        return ComponentInstance(engine, compiled, name, limits, services)
    return GuestInstance(engine, compiled, name, limits, services)


AnyInstance = GuestInstance | ComponentInstance
