"""Which module each WASM tool may run: tool name -> approved sha256, one private JSON file.

`axo tools approve NAME` records the module's current hash; a module whose file changed since
is refused until it is approved again. Written atomically, so a crash leaves the old pins or
the new, whole; a damaged file pins nothing (every tool must be approved again: fail closed).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from axo_tui.core.base.atomic_files import atomic_write
from axo_tui.core.store.private_files import private_dir


class ToolPins:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        """None: pins live in memory only (a runtime without a data directory)."""
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()

    def all(self) -> dict[str, str]:
        if self.path is None:
            return dict(self._memory)
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict):
            return {}
        return {k: v for k, v in document.items() if isinstance(k, str) and isinstance(v, str)}

    def get(self, name: str) -> str | None:
        return self.all().get(name)

    def approve(self, name: str, digest: str) -> None:
        with self._lock:
            pins = self.all()
            pins[name] = digest
            if self.path is None:
                self._memory = pins
                return
            private_dir(self.path.parent)
            data = json.dumps(pins, indent=2, sort_keys=True).encode("utf-8") + b"\n"
            atomic_write(self.path, data)
