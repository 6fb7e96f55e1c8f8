"""WebAssembly components (Python agents built with componentize-py): detect, check, compile.

A component is compiled once and cached on disk like a core module (keyed by its sha256, the
wasmtime version and the engine settings). Its imports are checked before it is instantiated:
the world's `axo:agent/host` interface and WASI 0.2 are all a component may ask for; anything
else is refused with the names listed. (The linker's `define_unknown_imports_as_traps` is not
used: it would also replace the WASI imports with traps.)
"""

from __future__ import annotations

import threading
from pathlib import Path

import wasmtime
from wasmtime import component

from axo_tui.core.wasm.abi import WasmDeployError
from axo_tui.core.wasm.component_host import HOST_INTERFACE, define_component_host
from axo_tui.core.wasm.module_cache import (
    ENGINE_TAG,
    WASMTIME_VERSION,
    read_artifact,
    sha256,
    write_artifact,
)

WASI_PACKAGES = ("wasi:io/", "wasi:clocks/", "wasi:random/", "wasi:cli/", "wasi:filesystem/")
"""WASI 0.2 interfaces `add_wasip2` provides and the empty sandbox makes harmless (sockets too,
below: with no network granted every socket call fails)."""
WASI_SOCKETS = "wasi:sockets/"
EXPORTS = ("init", "handle-message", "handle-timer", "stop")
REQUIRED_EXPORTS = ("handle-message",)


def is_component(data: bytes) -> bool:
    """A binary component (layer 1), not a core module (version 1) nor WebAssembly text."""
    return data[:4] == b"\0asm" and data[6:8] == b"\x01\x00"


def _allowed(name: str) -> bool:
    if name == HOST_INTERFACE:
        return True
    wasi = name.startswith(WASI_PACKAGES) or name.startswith(WASI_SOCKETS)
    return wasi and "@0.2." in name


class CompiledComponent:
    """A checked component, ready to instantiate (a trap poisons an instance: make another)."""

    def __init__(self, loaded: component.Component, digest: str, linker: component.Linker) -> None:
        self.component = loaded
        self.sha256 = digest
        self.linker = linker


class ComponentLoader:
    """Compiles, caches and checks components for one engine (fuel and epochs on)."""

    def __init__(self, engine: wasmtime.Engine, directory: Path | None) -> None:
        self._engine = engine
        self._dir = directory
        self._ready: dict[str, CompiledComponent] = {}
        self._lock = threading.Lock()
        self._linker: component.Linker | None = None

    def linker(self) -> component.Linker:
        """WASI 0.2 (sandboxed per store) and every function of the world's host interface."""
        with self._lock:
            if self._linker is None:
                made = component.Linker(self._engine)
                made.add_wasip2()
                define_component_host(made)
                self._linker = made
            return self._linker

    def path_for(self, digest: str) -> Path | None:
        if self._dir is None:
            return None
        return self._dir / f"{digest}-wasmtime{WASMTIME_VERSION}-{ENGINE_TAG}-component.cwasm"

    def compile(self, data: bytes) -> CompiledComponent:
        """Raises WasmDeployError for a malformed component or unknown imports/exports."""
        digest = sha256(data)
        with self._lock:
            ready = self._ready.get(digest)
        if ready is not None:
            return ready
        loaded = self._from_disk(digest)
        if loaded is None:
            try:
                loaded = component.Component(self._engine, data)
            except wasmtime.WasmtimeError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid"
                raise WasmDeployError(f"not a valid WebAssembly component: {first}") from None
            self._to_disk(digest, loaded)
        self._check(loaded)
        ready = CompiledComponent(loaded, digest, self.linker())
        with self._lock:
            self._ready[digest] = ready
        return ready

    def _check(self, loaded: component.Component) -> None:
        ty = loaded.type
        unknown = [name for name in ty.imports(self._engine) if not _allowed(name)]
        exports = ty.exports(self._engine)
        problems = []
        if unknown:
            problems.append(f"unknown imports: {', '.join(unknown)}")
        missing = [name for name in REQUIRED_EXPORTS if name not in exports]
        if missing:
            problems.append(f"missing export: {', '.join(missing)}")
        if problems:
            raise WasmDeployError(
                "component refused (world agent of docs/wit/axo.wit): " + "; ".join(problems)
            )

    def _from_disk(self, digest: str) -> component.Component | None:
        return read_artifact(
            self.path_for(digest),
            lambda data: component.Component.deserialize(self._engine, data),
        )

    def _to_disk(self, digest: str, loaded: component.Component) -> None:
        write_artifact(self.path_for(digest), loaded.serialize)
