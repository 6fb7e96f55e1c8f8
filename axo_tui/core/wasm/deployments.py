"""Deployed modules, persisted in the data directory so they come back after a restart.

`wasm/deployments.json` names each deployment's module by sha256 and its limits; the bytes
live in `wasm/modules/<sha256>.wasm`, written before the record that points at them.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axo_tui.core.base.atomic_files import atomic_write
from axo_tui.core.store.private_files import private_dir
from axo_tui.core.wasm.limits import LimitsError, WasmLimits


@dataclass(frozen=True)
class Deployment:
    name: str
    sha256: str
    limits: WasmLimits
    deployed_at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sha256": self.sha256,
            "limits": self.limits.to_dict(),
            "deployed_at": self.deployed_at,
        }


class DeploymentStore:
    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._index = directory / "deployments.json"
        self._lock = threading.Lock()

    def module_path(self, digest: str) -> Path:
        return self._dir / "modules" / f"{digest}.wasm"

    def records(self) -> list[Deployment]:
        """The recorded deployments, without reading their modules."""
        out = []
        for name, raw in sorted(self._read().items()):
            try:
                limits = WasmLimits(**raw.get("limits", {}))
                out.append(
                    Deployment(name, str(raw["sha256"]), limits, float(raw.get("deployed_at", 0)))
                )
            except (KeyError, TypeError, ValueError, LimitsError):
                continue
        return out

    def load(self) -> list[tuple[Deployment, bytes]]:
        """Every deployment whose module is still on disk (others are skipped)."""
        out = []
        for name, raw in self._read().items():
            try:
                limits = WasmLimits(**raw.get("limits", {}))
                deployment = Deployment(
                    name, str(raw["sha256"]), limits, float(raw.get("deployed_at", 0))
                )
                data = self.module_path(deployment.sha256).read_bytes()
            except (KeyError, TypeError, ValueError, LimitsError, OSError):
                continue
            out.append((deployment, data))
        return out

    def save(self, name: str, digest: str, data: bytes, limits: WasmLimits) -> Deployment:
        deployment = Deployment(name, digest, limits, time.time())
        with self._lock:
            path = self.module_path(digest)
            if not path.is_file():
                self._write(path, data)
            index = self._read()
            index[name] = deployment.to_dict()
            self._write(self._index, json.dumps(index, indent=1).encode())
        return deployment

    def remove(self, name: str) -> None:
        with self._lock:
            index = self._read()
            if index.pop(name, None) is not None:
                self._write(self._index, json.dumps(index, indent=1).encode())

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self._index.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, path: Path, data: bytes) -> None:
        private_dir(path.parent)
        atomic_write(path, data)
