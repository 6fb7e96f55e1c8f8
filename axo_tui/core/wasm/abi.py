"""ABI v1's import table and return codes, and the check a module passes before it runs."""

from __future__ import annotations

from enum import IntEnum

import wasmtime

from axo_tui.core.base.errors import AxoError

ABI_VERSION = 1


class Err(IntEnum):
    """Negative results of host calls (docs/abi.md, Return codes)."""

    BOUNDS = -1
    INVALID = -2
    NOT_FOUND = -3
    TOO_LARGE = -4
    RATE_LIMITED = -5
    DENIED = -6
    FAILED = -7
    BUDGET = -8


class WasmDeployError(AxoError):
    """A module refused at deploy: malformed, unknown imports or missing exports."""


Signature = tuple[tuple[str, ...], tuple[str, ...]]
I32, I64, F64 = "i32", "i64", "f64"

HOST_IMPORTS: dict[tuple[str, str], Signature] = {
    ("axo", "send"): ((I32, I32), (I32,)),
    ("axo", "log"): ((I32, I32, I32), ()),
    ("axo", "now"): ((), (I64,)),
    ("axo", "random"): ((I32, I32), (I32,)),
    ("axo", "kv_get"): ((I32, I32, I32, I32), (I32,)),
    ("axo", "kv_set"): ((I32, I32, I32, I32), (I32,)),
    ("axo", "kv_delete"): ((I32, I32), (I32,)),
    ("axo", "set_timer"): ((I32, I32), (I32,)),
    ("axo", "cancel_timer"): ((I32,), (I32,)),
    ("axo", "llm"): ((I32, I32, I32, I32), (I32,)),
    ("axo", "tool"): ((I32, I32, I32, I32, I32, I32), (I32,)),
    ("axo", "last_error"): ((I32, I32), (I32,)),
    ("caxton", "send_message"): ((I32, I32), (I32,)),
    ("caxton", "console_log"): ((I32, I32), ()),
    ("caxton", "current_timestamp"): ((), (I64,)),
    ("caxton", "store_data"): ((I32, I32, I32, I32), (I32,)),
    ("caxton", "load_data"): ((I32, I32, I32, I32), (I32,)),
    ("caxton", "set_timer"): ((I32,), (I32,)),
    ("env", "abort"): ((I32, I32, I32, I32), ()),
    ("env", "seed"): ((), (F64,)),
}
WASI_MODULE = "wasi_snapshot_preview1"

REQUIRED_EXPORTS: dict[str, Signature | None] = {
    "memory": None,
    "alloc": ((I32,), (I32,)),
    "handle_message": ((I32, I32), (I32,)),
}


def _signature(ty: wasmtime.FuncType) -> Signature:
    return tuple(str(p) for p in ty.params), tuple(str(r) for r in ty.results)


def _render(sig: Signature) -> str:
    params, results = sig
    return f"({', '.join(params)}) -> ({', '.join(results)})"


def check_module(module: wasmtime.Module) -> bool:
    """Refuse a module that imports anything unknown or lacks the guest exports, naming every
    offending import; returns whether it needs WASI. Nothing is instantiated."""
    unknown: list[str] = []
    mistyped: list[str] = []
    needs_wasi = False
    for imp in module.imports:
        where = f"{imp.module}.{imp.name}"
        if imp.module == WASI_MODULE and isinstance(imp.type, wasmtime.FuncType):
            needs_wasi = True
            continue
        expected = HOST_IMPORTS.get((imp.module, imp.name or ""))
        if expected is None or not isinstance(imp.type, wasmtime.FuncType):
            unknown.append(where)
        elif _signature(imp.type) != expected:
            got = _render(_signature(imp.type))
            mistyped.append(f"{where} is {got}, expected {_render(expected)}")
    problems = []
    if unknown:
        problems.append(f"unknown imports: {', '.join(unknown)}")
    if mistyped:
        problems.append(f"imports with the wrong signature: {'; '.join(mistyped)}")
    exports = {exp.name: exp.type for exp in module.exports}
    for name, sig in REQUIRED_EXPORTS.items():
        ty = exports.get(name)
        if ty is None:
            problems.append(f"missing export: {name}")
        elif sig is None:
            if not isinstance(ty, wasmtime.MemoryType):
                problems.append(f"export {name} must be a memory")
        elif not isinstance(ty, wasmtime.FuncType) or _signature(ty) != sig:
            problems.append(f"export {name} must be a function {_render(sig)}")
    if problems:
        raise WasmDeployError("module refused (ABI v1, see docs/abi.md): " + "; ".join(problems))
    return needs_wasi
