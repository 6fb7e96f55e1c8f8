"""WASM agents: wasmtime guests under ABI v1 (docs/abi.md), on the ACL bus.

Importing this package loads no wasmtime (the runtime imports it on every start): the host
and the rest load on first use of their names (`WasmHost`, `WasmDeployError`, ...).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from axo_tui.core.wasm.limits import LimitsError, RestartPolicy, WasmLimits

if TYPE_CHECKING:
    from axo_tui.core.wasm.abi import ABI_VERSION, WasmDeployError
    from axo_tui.core.wasm.host import DeployResult, WasmAgentInfo, WasmHost

_LAZY = {
    "ABI_VERSION": "axo_tui.core.wasm.abi",
    "WasmDeployError": "axo_tui.core.wasm.abi",
    "DeployResult": "axo_tui.core.wasm.host",
    "WasmAgentInfo": "axo_tui.core.wasm.host",
    "WasmHost": "axo_tui.core.wasm.host",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "ABI_VERSION",
    "DeployResult",
    "LimitsError",
    "RestartPolicy",
    "WasmAgentInfo",
    "WasmDeployError",
    "WasmHost",
    "WasmLimits",
]
