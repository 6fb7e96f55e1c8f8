"""What each WASM tool is granted and whether its module is the approved one: the data of
`axo tools list` and of the workbench's WASM tools view. Reads files only (no wasmtime)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axo_tui.core.config.schema import WasmToolConfig
from axo_tui.core.wasm.tool_pins import ToolPins


@dataclass(frozen=True)
class WasmToolStatus:
    name: str
    module: str
    sha256: str | None
    """The module file's sha256 now; None when it cannot be read."""
    approved_sha256: str | None
    status: str
    """`approved`, `unapproved` (never approved), `changed` (refused until approved again)
    or `missing` (the file cannot be read)."""
    dirs: tuple[tuple[str, str, str], ...]
    """(host path, guest path, `ro` or `rw`) per preopened directory."""
    env: tuple[str, ...]
    limits: dict[str, int]
    max_output_chars: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "sha256": self.sha256,
            "approved_sha256": self.approved_sha256,
            "status": self.status,
            "grants": {
                "dirs": [{"path": p, "as": g, "mode": m} for p, g, m in self.dirs],
                "env": list(self.env),
            },
            "limits": dict(self.limits),
            "max_output_chars": self.max_output_chars,
        }

    def grants_line(self) -> str:
        """`notes→/notes ro, out→/out rw; env LANG`, or `nothing` when nothing is granted."""
        text = ", ".join(f"{p}→{g} {m}" for p, g, m in self.dirs)
        if self.env:
            text += ("; " if text else "") + "env " + ", ".join(self.env)
        return text or "nothing"


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def wasm_tool_statuses(
    tools: Sequence[WasmToolConfig], state_dir: Path | None, project_dir: Path
) -> list[WasmToolStatus]:
    """Each of `tools` with its grants and pin status (pins from `state_dir`/wasm)."""
    pins = ToolPins(None if state_dir is None else state_dir / "wasm" / "tool_pins.json").all()
    statuses = []
    for tool in tools:
        module = Path(tool.module)
        current = _digest(module if module.is_absolute() else project_dir / module)
        approved = tool.sha256 or pins.get(tool.name)
        if current is None:
            status = "missing"
        elif approved is None:
            status = "unapproved"
        else:
            status = "approved" if approved == current else "changed"
        statuses.append(
            WasmToolStatus(
                name=tool.name,
                module=tool.module,
                sha256=current,
                approved_sha256=approved,
                status=status,
                dirs=tuple((d.path, d.guest, "rw" if d.writable else "ro") for d in tool.dirs),
                env=tuple(tool.env),
                limits={
                    "fuel": tool.fuel,
                    "memory_mb": tool.memory_mb,
                    "timeout_ms": tool.timeout_ms,
                },
                max_output_chars=tool.max_output_chars,
            )
        )
    return statuses
