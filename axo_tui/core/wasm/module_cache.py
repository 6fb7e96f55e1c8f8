"""Compiled modules cached on disk, keyed by the module's sha256 and the wasmtime version.

Compiling is the slow step (milliseconds to seconds); deserialising a cached artifact and
instantiating it takes well under a millisecond. A cached file that wasmtime cannot load (a
different build, a truncated write) is compiled again and replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

import wasmtime

from axo_tui.core.base.atomic_files import atomic_write
from axo_tui.core.store.private_files import private_dir
from axo_tui.core.wasm.abi import WasmDeployError

T = TypeVar("T")

WASMTIME_VERSION = version("wasmtime")
ENGINE_TAG = "fuel-epoch-v1"
"""Names the engine settings the artifacts were compiled for (they must match to load)."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ModuleCache:
    def __init__(self, engine: wasmtime.Engine, directory: Path | None) -> None:
        self._engine = engine
        self._dir = directory
        self._modules: dict[str, wasmtime.Module] = {}
        self._lock = threading.Lock()

    def path_for(self, digest: str) -> Path | None:
        if self._dir is None:
            return None
        return self._dir / f"{digest}-wasmtime{WASMTIME_VERSION}-{ENGINE_TAG}.cwasm"

    def load(self, data: bytes) -> tuple[wasmtime.Module, str]:
        """The compiled module for `data` and its sha256. Raises WasmDeployError for bytes that
        are not a valid module (what wasmtime objects to is in the message)."""
        digest = sha256(data)
        with self._lock:
            cached = self._modules.get(digest)
        if cached is not None:
            return cached, digest
        module = self._from_disk(digest)
        if module is None:
            try:
                module = wasmtime.Module(self._engine, data)
            except wasmtime.WasmtimeError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid"
                raise WasmDeployError(f"not a valid WebAssembly module: {first}") from None
            self._to_disk(digest, module)
        with self._lock:
            self._modules[digest] = module
        return module, digest

    def _from_disk(self, digest: str) -> wasmtime.Module | None:
        return read_artifact(
            self.path_for(digest), lambda data: wasmtime.Module.deserialize(self._engine, data)
        )

    def _to_disk(self, digest: str, module: wasmtime.Module) -> None:
        write_artifact(self.path_for(digest), module.serialize)


def read_artifact(path: Path | None, load: Callable[[bytes], T]) -> T | None:
    """A compiled artifact from the disk cache, or None; a damaged file is removed."""
    if path is None or not path.is_file():
        return None
    try:
        # Read, not mapped: a file truncated under a mapping would kill the process.
        return load(path.read_bytes())
    except (wasmtime.WasmtimeError, OSError):
        with contextlib.suppress(OSError):
            path.unlink()
        return None


def write_artifact(path: Path | None, serialize: Callable[[], bytes | bytearray]) -> None:
    """Store a compiled artifact privately and atomically (temp file, then rename)."""
    if path is None:
        return
    try:
        private_dir(path.parent)
        # A cache: a power cut may undo the rename (one compile more), never half a file.
        atomic_write(path, bytes(serialize()), sync_directory=False)
    except OSError:
        pass  # a cache that cannot be written only costs a compile next time
