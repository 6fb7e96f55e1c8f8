"""Which files the built-in file tools may touch: inside the project, never secrets or state.

Every path is resolved (symlinks, `..`) before it is checked, and both the path as asked and
the resolved path are matched against the deny-list, so neither `notes/../.env` nor a
symlink `notes.txt -> .env` gets through. The data directory is refused wherever `data_dir`
points, not only under its default name.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from axo_tui.core.tools.registry import ToolContext, ToolError

DENIED_NAMES: tuple[str, ...] = (
    ".env*",
    ".axo",
    ".git",
    ".ssh",
    ".gnupg",
    ".aws",
    ".docker",
    ".kube",
    ".netrc",
    ".npmrc",
    ".pypirc",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
)
"""File or folder names (shell patterns, any case) no built-in tool reads or lists, at any
depth: dotenv files with API keys, axo's state, VCS metadata and credential stores."""

MAX_PATH_CHARS = 4096


def _denied_name(name: str) -> str | None:
    # Lower case: on a case-insensitive disk `.ENV` opens `.env`.
    lowered = name.lower()
    for pattern in DENIED_NAMES:
        if fnmatch.fnmatchcase(lowered, pattern):
            return pattern
    return None


def _first_denied(parts: Iterable[str]) -> str | None:
    for part in parts:
        if _denied_name(part) is not None:
            return part
    return None


@dataclass(frozen=True)
class FileAccess:
    """The project root and the private folders, all resolved once per call."""

    root: Path
    private: tuple[Path, ...]

    @classmethod
    def of(cls, context: ToolContext) -> FileAccess:
        root = Path(os.path.realpath(context.project_dir))
        private = tuple(Path(os.path.realpath(d)) for d in context.private_dirs)
        return cls(root, private)

    def resolve(self, raw: str) -> Path:
        """The real path `raw` names, or a ToolError saying why a tool may not touch it."""
        if not raw or "\0" in raw or len(raw) > MAX_PATH_CHARS:
            raise ToolError(
                f"'path' must be a file name of 1 to {MAX_PATH_CHARS} characters without NUL"
            )
        path = Path(os.path.realpath(self.root / raw))
        if path != self.root and self.root not in path.parents:
            raise ToolError(f"path '{raw}' is outside the project directory")
        denied = _first_denied(PurePath(raw).parts) or _first_denied(
            path.relative_to(self.root).parts
        )
        if denied is not None or self.is_private(path):
            raise ToolError(
                f"path '{raw}' is refused: tools never read secrets (.env*) or axo's state "
                "(see the deny-list in docs/concepts.md)"
            )
        return path

    def is_private(self, path: Path) -> bool:
        return any(path == d or d in path.parents for d in self.private)

    def hides_entry(self, entry: os.DirEntry[str]) -> bool:
        """Whether a directory listing leaves `entry` out (by name, or by where it leads)."""
        if _denied_name(entry.name) is not None:
            return True
        path = Path(entry.path)
        if entry.is_symlink():
            path = Path(os.path.realpath(path))
            inside = path == self.root or self.root in path.parents
            if inside and _first_denied(path.relative_to(self.root).parts) is not None:
                return True
        return self.is_private(path)
