"""Tier 3: core memory, the named blocks an agent sees in every prompt and edits with tools.

Each agent has the blocks its config declares (`memory.core_blocks`, by default persona,
human and project). A block marked `shared: true` is stored once for the whole team, so every
agent declaring it reads and edits the same text. Values live on disk:

    <state_dir>/memory/core/<agent>.json     the agent's own blocks
    <state_dir>/memory/core/shared.json      the team's shared blocks

The config owns a block's *shape* (limit, description, initial value) and the file owns its
*value*: a config change adds new blocks and updates limits and descriptions, and never
erases what an agent has curated (a block dropped from the config keeps its value on disk, so
re-adding it brings the text back). Every edit is written at once, atomically, with the
previous copy kept as `.bak`; a damaged file is moved aside with a warning and the backup (or
the config's defaults) used instead, never a crash.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from axo_tui.core.base.errors import AxoError
from axo_tui.core.config.schema import AgentConfig, CoreBlockSpec
from axo_tui.core.memory.files import backup_path, file_lock, write_atomic, write_json_atomic

log = logging.getLogger(__name__)

FILE_VERSION = 1
SHARED_FILE = "shared.json"
CORE_TOOL_NAMES = ("core_memory_append", "core_memory_replace", "core_memory_set")

Notify = Callable[[str | None, str], object]
"""(agent id or None, message): how a store reports a problem a user should see."""


class CoreMemoryError(AxoError):
    """An edit was refused (unknown block, over the limit, text not found). The message is
    written for the model: it says what is wrong and how to fix the call."""


@dataclass(frozen=True)
class CoreBlock:
    label: str
    value: str
    limit: int
    description: str = ""
    shared: bool = False
    in_config: bool = True
    """False for a block kept on disk whose config entry was removed (not shown to the agent)."""

    @property
    def chars(self) -> int:
        return len(self.value)


@dataclass
class _Stored:
    """What one JSON file holds: label -> entry (value, limit, description, updated_at)."""

    blocks: dict[str, dict[str, Any]]


_MISSING = _Stored({})
"""What reads get for a file that does not exist. Never changed in place."""


def _merged(agent: AgentConfig, own: _Stored, shared: _Stored) -> list[CoreBlock]:
    return [
        _merge(spec, (shared if spec.shared else own).blocks.get(spec.label))
        for spec in _specs(agent)
    ]


class CoreMemory:
    """Core memory blocks of every agent in one state directory."""

    def __init__(self, root: Path, *, notify: Notify | None = None) -> None:
        self.root = root
        self._notify = notify
        self._lock = threading.Lock()
        self._cache: dict[Path, tuple[tuple[int, int, int], _Stored]] = {}
        """Parsed files by path, with the file identity they were read from (`_load`)."""
        self._paths: dict[str, Path] = {}
        self._rendered: dict[str, tuple[AgentConfig, bool, _Stored, _Stored, str]] = {}
        """The last rendering per agent, with what it was rendered from (`render`)."""

    # ------------------------------------------------------------------ paths
    def agent_path(self, agent_id: str) -> Path:
        # Quoting keeps any agent id a single, safe file name (ids are validated upstream,
        # but a path must never be built from an unchecked string).
        path = self._paths.get(agent_id)
        if path is None:
            path = self._paths[agent_id] = self.root / f"{quote(agent_id, safe='-_.')}.json"
        return path

    @property
    def shared_path(self) -> Path:
        return self.root / SHARED_FILE

    # ------------------------------------------------------------------- read
    def blocks(self, agent: AgentConfig) -> list[CoreBlock]:
        """The agent's blocks in config order, with their current values."""
        return _merged(agent, *self._stored(agent))

    def render(self, agent: AgentConfig, *, editable: bool = True) -> str:
        """`render_core_memory` of the agent's blocks, rendered again only when the agent's
        config or a stored file changed (every turn renders it)."""
        own, shared = self._stored(agent)
        memo = self._rendered.get(agent.id)
        if (
            memo is not None
            and memo[0] is agent
            and memo[1] == editable
            and memo[2] is own
            and memo[3] is shared
        ):
            return memo[4]
        text = render_core_memory(_merged(agent, own, shared), editable=editable)
        self._rendered[agent.id] = (agent, editable, own, shared, text)
        return text

    def _stored(self, agent: AgentConfig) -> tuple[_Stored, _Stored]:
        """The agent's own stored blocks and the team's (read only if it declares shared
        ones). Unchanged files give the same objects (see `_load`)."""
        own = self._load(self.agent_path(agent.id), agent.id)
        shared = self._load(self.shared_path, None) if _has_shared(agent) else _MISSING
        return own, shared

    def all_blocks(self, agent: AgentConfig) -> list[CoreBlock]:
        """`blocks` plus the ones kept on disk whose config entry was removed."""
        blocks = self.blocks(agent)
        known = {block.label for block in blocks}
        own = self._load(self.agent_path(agent.id), agent.id)
        for label, entry in own.blocks.items():
            if label not in known:
                blocks.append(
                    CoreBlock(
                        label,
                        str(entry.get("value", "")),
                        int(entry.get("limit", 0) or 0),
                        str(entry.get("description", "")),
                        in_config=False,
                    )
                )
        return blocks

    def block(self, agent: AgentConfig, label: str) -> CoreBlock:
        for block in self.blocks(agent):
            if block.label == label:
                return block
        raise CoreMemoryError(_unknown_block(agent, label))

    # ------------------------------------------------------------------ edits
    def append(self, agent: AgentConfig, label: str, text: str) -> CoreBlock:
        """Add `text` on a new line at the end of the block."""
        if not text.strip():
            raise CoreMemoryError("text is empty: give the text to append to the block")
        return self._edit(agent, label, "append", lambda old: f"{old}\n{text}" if old else text)

    def replace(self, agent: AgentConfig, label: str, old: str, new: str) -> CoreBlock:
        """Replace every occurrence of `old` by `new` (an empty `new` deletes `old`)."""
        if not old:
            raise CoreMemoryError(
                "'old' is empty: give the exact text to replace, copied from the block"
            )

        def change(value: str) -> str:
            if old not in value:
                raise CoreMemoryError(
                    f"text to replace was not found in block '{label}': copy 'old' exactly as "
                    "the block shows it in <core_memory> (or use core_memory_set)"
                )
            return value.replace(old, new)

        return self._edit(agent, label, "replace", change)

    def set(self, agent: AgentConfig, label: str, value: str) -> CoreBlock:
        """Overwrite the whole block."""
        return self._edit(agent, label, "set", lambda _old: value)

    def reset(self, agent: AgentConfig) -> None:
        """Put the agent's own blocks back to their config values (shared blocks are the
        team's and stay)."""
        path = self.agent_path(agent.id)
        with self._lock, file_lock(path):
            if path.exists():
                write_json_atomic(path, _document({}, agent.id))
            self._cache.pop(path, None)

    def _edit(
        self, agent: AgentConfig, label: str, verb: str, change: Callable[[str], str]
    ) -> CoreBlock:
        spec = next((s for s in _specs(agent) if s.label == label), None)
        if spec is None:
            raise CoreMemoryError(_unknown_block(agent, label))
        path = self.shared_path if spec.shared else self.agent_path(agent.id)
        owner = None if spec.shared else agent.id
        # The lock spans read-modify-write so a concurrent `axo memory edit` (another process)
        # or a parallel activation of the same agent cannot lose an edit.
        with self._lock, file_lock(path):
            stored = self._load(path, owner, for_edit=True)
            current = _merge(spec, stored.blocks.get(label))
            new_value = change(current.value)
            # Shrinking is always allowed, so a block left over its limit by a config change
            # can still be tidied up by the agent.
            if len(new_value) > spec.limit and len(new_value) > current.chars:
                raise CoreMemoryError(
                    f"block '{label}' would hold {len(new_value)} of {spec.limit} characters; "
                    f"{verb} refused. Make room first: condense it with core_memory_replace or "
                    "rewrite it shorter with core_memory_set"
                )
            stored.blocks[label] = {
                "value": new_value,
                "limit": spec.limit,
                "description": spec.description,
                "updated_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            }
            # Materialise the other declared blocks too, so the file shows the agent's whole
            # memory and not only what it edited.
            for other in _specs(agent):
                if other.shared == spec.shared and other.label not in stored.blocks:
                    stored.blocks[other.label] = {
                        "value": other.value,
                        "limit": other.limit,
                        "description": other.description,
                    }
            write_json_atomic(path, _document(stored.blocks, owner))
            self._cache.pop(path, None)
        return _merge(spec, stored.blocks[label])

    # ------------------------------------------------------------------- load
    def _load(self, path: Path, agent_id: str | None, *, for_edit: bool = False) -> _Stored:
        """The blocks stored in `path`. Reads (every turn renders the blocks) come from a
        cache checked against the file's identity (inode, size, mtime): an edit by another
        process (`axo memory edit`) replaces the file, so it is seen at the next turn, and
        an unchanged file is not read and parsed again. Edits always read the file."""
        if not for_edit and not os.access(path, os.F_OK):
            # Most agents never write core memory: asked without raising, as a failed
            # `stat` costs a FileNotFoundError on every turn.
            return _MISSING
        try:
            info = path.stat()
        except FileNotFoundError:
            # One object for "no file" on reads, so that `render` can tell nothing changed;
            # an edit gets its own, which it fills in.
            return _Stored({}) if for_edit else _MISSING
        except OSError as exc:
            self._warn(agent_id, f"cannot read core memory {path}: {exc}; using the defaults")
            return _Stored({})
        identity = (info.st_ino, info.st_size, info.st_mtime_ns)
        cached = self._cache.get(path)
        if not for_edit and cached is not None and cached[0] == identity:
            return cached[1]
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return _Stored({})
        except OSError as exc:
            self._warn(agent_id, f"cannot read core memory {path}: {exc}; using the defaults")
            return _Stored({})
        try:
            stored = _parse(raw)
        except ValueError as problem:
            self._cache.pop(path, None)
            return self._recover(path, agent_id, str(problem))
        if not for_edit:  # an edit changes its copy in place: never cache that one
            self._cache[path] = (identity, stored)
        return stored

    def _recover(self, path: Path, agent_id: str | None, problem: str) -> _Stored:
        """A damaged file: keep it aside (nothing is deleted), fall back to the backup."""
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        try:
            path.replace(aside)
        except OSError:
            aside = path
        backup = backup_path(path)
        try:
            stored = _parse(backup.read_bytes())
        except (OSError, ValueError):
            self._warn(
                agent_id,
                f"core memory {path} is damaged ({problem}) and has no usable backup; "
                f"starting from the config's defaults. The damaged file is kept as {aside.name}",
            )
            return _Stored({})
        # Restored at once so the warning is given once, not on every turn.
        with contextlib.suppress(OSError):
            write_atomic(path, backup.read_bytes(), keep_backup=False)
        self._warn(
            agent_id,
            f"core memory {path} is damaged ({problem}); restored the previous copy from "
            f"{backup.name}. The damaged file is kept as {aside.name}",
        )
        return stored

    def _warn(self, agent_id: str | None, message: str) -> None:
        log.warning("%s", message)
        if self._notify is not None:
            self._notify(agent_id, message)


def _parse(raw: bytes) -> _Stored:
    """Raises ValueError, with a short reason, for anything that is not one of our files."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("blocks"), dict):
        raise ValueError("no 'blocks' object")
    blocks: dict[str, dict[str, Any]] = {}
    for label, entry in document["blocks"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
            raise ValueError(f"block '{label}' has no text 'value'")
        blocks[str(label)] = dict(entry)
    return _Stored(blocks)


def _document(blocks: dict[str, dict[str, Any]], agent_id: str | None) -> dict[str, Any]:
    document: dict[str, Any] = {"version": FILE_VERSION}
    if agent_id is None:
        document["shared"] = True
    else:
        document["agent"] = agent_id
    document["blocks"] = blocks
    return document


def _specs(agent: AgentConfig) -> list[CoreBlockSpec]:
    seen: set[str] = set()
    specs = []
    for spec in agent.memory.core_blocks:
        if spec.label not in seen:  # the config checker reports duplicates; first one wins
            seen.add(spec.label)
            specs.append(spec)
    return specs


def _has_shared(agent: AgentConfig) -> bool:
    return any(spec.shared for spec in agent.memory.core_blocks)


def _merge(spec: CoreBlockSpec, entry: dict[str, Any] | None) -> CoreBlock:
    value = spec.value if entry is None else str(entry.get("value", ""))
    return CoreBlock(spec.label, value, spec.limit, spec.description, spec.shared)


def _unknown_block(agent: AgentConfig, label: str) -> str:
    labels = ", ".join(spec.label for spec in _specs(agent)) or "none"
    return f"no core memory block '{label}'; the blocks are: {labels}"


def render_core_memory(blocks: list[CoreBlock], *, editable: bool = True) -> str:
    """The `<core_memory>` section of the system prompt; `editable` when the agent has the
    core_memory_* tools (the instructions would mislead a model that cannot call them)."""
    if not blocks:
        return ""
    lines = ["<core_memory>"]
    if editable:
        lines.append(
            "Your core memory: always shown here, kept across sessions and restarts. Keep "
            "durable facts in it (who the user is, preferences, decisions, project facts) with "
            "core_memory_append {block, text}, core_memory_replace {block, old, new} or "
            "core_memory_set {block, value}. Each block has a character limit."
        )
    else:
        lines.append("Your core memory, kept across sessions:")
    for block in blocks:
        shared = " shared" if block.shared else ""
        about = f" {block.description}" if block.description else ""
        lines.append(f'<block label="{block.label}" chars="{block.chars}/{block.limit}"{shared}>')
        if about:
            lines.append(f"({about.strip()})")
        lines.append(block.value if block.value else "(empty)")
        lines.append("</block>")
    lines.append("</core_memory>")
    return "\n".join(lines)
