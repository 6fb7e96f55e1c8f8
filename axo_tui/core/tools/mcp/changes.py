"""What a config reload does to the MCP servers: which start, restart and stop.

A server whose entry is unchanged keeps running untouched (its process, its session, its
calls in flight); any change to an entry (command, args, env, url, headers, enabled,
timeouts, tools filter) restarts it, since a session cannot take new settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from axo_tui.core.config.schema import McpServerConfig


@dataclass(frozen=True)
class McpChanges:
    """The servers a reload starts (new or enabled), restarts (changed) and stops (removed
    or disabled); an entry changed while disabled runs nothing and is in none."""

    started: tuple[str, ...] = ()
    restarted: tuple[str, ...] = ()
    stopped: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.started or self.restarted or self.stopped)

    def describe(self) -> str:
        """ "MCP: restarted fs; started time; stopped web", or "" when nothing changed."""
        parts = [
            f"{verb} {', '.join(names)}"
            for verb, names in (
                ("restarted", self.restarted),
                ("started", self.started),
                ("stopped", self.stopped),
            )
            if names
        ]
        return f"MCP: {'; '.join(parts)}" if parts else ""


def plan_changes(
    old: Sequence[McpServerConfig], new: Sequence[McpServerConfig]
) -> tuple[McpChanges, frozenset[str]]:
    """The changes from `old` to `new` servers, and the names of every entry that differs
    (each of those is closed and built again, a disabled one included)."""
    before = {server.name: server for server in old}
    after = {server.name: server for server in new}
    differ = frozenset(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    started: list[str] = []
    restarted: list[str] = []
    stopped: list[str] = []
    for name in [*after, *(n for n in before if n not in after)]:
        if name not in differ:
            continue
        was = before.get(name)
        now = after.get(name)
        ran = was is not None and was.enabled
        runs = now is not None and now.enabled
        if ran and runs:
            restarted.append(name)
        elif runs:
            started.append(name)
        elif ran:
            stopped.append(name)
    return McpChanges(tuple(started), tuple(restarted), tuple(stopped)), differ
