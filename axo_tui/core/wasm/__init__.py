"""WASM agents: wasmtime guests under ABI v1 (docs/abi.md), on the ACL bus."""

from axo_tui.core.wasm.abi import ABI_VERSION, WasmDeployError
from axo_tui.core.wasm.agent import RestartPolicy
from axo_tui.core.wasm.host import DeployResult, WasmAgentInfo, WasmHost
from axo_tui.core.wasm.limits import LimitsError, WasmLimits

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
