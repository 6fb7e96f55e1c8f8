"""One wasmtime engine per host: fuel and epoch interruption on, a ticker, the module cache.

The ticker thread advances the engine's epoch every `TICK_MS`; a store's deadline is a number
of ticks, so a runaway guest is interrupted within one tick of its timeout.
"""

from __future__ import annotations

import threading
from pathlib import Path

import wasmtime

from axo_tui.core.wasm.abi import check_module
from axo_tui.core.wasm.component import CompiledComponent, ComponentLoader, is_component
from axo_tui.core.wasm.host_funcs import define_host_imports
from axo_tui.core.wasm.module_cache import ModuleCache

TICK_MS = 2


class CompiledModule:
    """A checked module, ready to instantiate quickly (its imports resolved once)."""

    def __init__(
        self, module: wasmtime.Module, digest: str, pre: wasmtime.InstancePre, needs_wasi: bool
    ) -> None:
        self.module = module
        self.sha256 = digest
        self.pre = pre
        self.needs_wasi = needs_wasi


Compiled = CompiledModule | CompiledComponent
"""What a deploy compiles: a core module (ABI v1) or a component (the WIT world)."""


class WasmEngine:
    def __init__(self, cache_dir: Path | None = None) -> None:
        config = wasmtime.Config()
        config.consume_fuel = True
        config.epoch_interruption = True
        self.engine = wasmtime.Engine(config)
        self.cache = ModuleCache(self.engine, cache_dir)
        self.linker = wasmtime.Linker(self.engine)
        define_host_imports(self.linker)
        self.components = ComponentLoader(self.engine, cache_dir)
        self._compiled: dict[str, CompiledModule] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def compile(self, data: bytes) -> Compiled:
        """Load (from the cache when it can), check the ABI, resolve the imports. Raises
        WasmDeployError naming what is wrong; nothing is instantiated."""
        if is_component(data):
            return self.components.compile(data)
        module, digest = self.cache.load(data)
        with self._lock:
            ready = self._compiled.get(digest)
        if ready is not None:
            return ready
        needs_wasi = check_module(module)
        ready = CompiledModule(module, digest, self.linker.instantiate_pre(module), needs_wasi)
        with self._lock:
            self._compiled[digest] = ready
        return ready

    def ticks(self, timeout_ms: int) -> int:
        return max(1, -(-timeout_ms // TICK_MS))

    def start(self) -> None:
        if self._ticker is not None:
            return
        self._stop.clear()
        self._ticker = threading.Thread(target=self._tick, name="axo-wasm-epoch", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(TICK_MS / 1000):
            self.engine.increment_epoch()

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
