"""Hot reload for any long-lived front end (`axo dev`, `axo serve`): watch the config file,
re-validate it on change, apply only what is valid.

A broken save never replaces a working config: the runtime keeps the previous one and the
outcome carries the problems (file:line:col and a hint) for the front end to show. Latency is
measured from the file's modification time to the moment the runtime holds the new config,
which is what a user perceives as "I saved and it took effect".

MCP servers follow too (`McpClients.reconfigure`): a changed entry's server restarts, a
removed one stops, a new one starts, an unchanged one keeps running untouched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from axo_tui.core.config.problems import ConfigError
from axo_tui.core.config.schema import Config
from axo_tui.core.tools.mcp.changes import plan_changes

Loader = Callable[[Path], Config]


class Reconfigurable(Protocol):
    """What a reload changes: the Runtime implements it."""

    @property
    def config(self) -> Config: ...

    def apply_config(self, config: Config) -> None: ...


@dataclass(frozen=True)
class ReloadOutcome:
    """One reload attempt: applied (`ok`), or refused with the problems that stopped it."""

    ok: bool
    summary: str
    at: float
    """Wall-clock time of the attempt."""
    latency_ms: float | None = None
    """From the file's save to the runtime holding it (successful reloads only)."""
    problems: tuple[str, ...] = ()


def load_project_config(path: Path) -> Config:
    from axo_tui.core.config import load_config

    return load_config(path)


def describe_change(old: Config, new: Config) -> str:
    """ "3 agents (+critic, -writer), 1 workflow; MCP: restarted fs": what a reload
    changed, briefly."""
    before = {a.id for a in old.agents}
    after = [a.id for a in new.agents]
    delta = [f"+{a}" for a in after if a not in before]
    delta += [f"-{a}" for a in sorted(before - set(after))]
    agents = f"{len(after)} agent{'s' if len(after) != 1 else ''}"
    if delta:
        agents += f" ({', '.join(delta)})"
    flows = len(new.workflows)
    summary = f"{agents}, {flows} workflow{'s' if flows != 1 else ''}"
    mcp = plan_changes(old.mcp_servers, new.mcp_servers)[0].describe()
    return f"{summary}; {mcp}" if mcp else summary


class ConfigFollower:
    """Keeps a runtime on the latest valid version of its config file."""

    def __init__(
        self,
        path: Path,
        target: Reconfigurable,
        *,
        on_reload: Callable[[ReloadOutcome], None] = lambda _outcome: None,
        load: Loader = load_project_config,
        debounce_ms: int = 50,
    ) -> None:
        self.path = path.resolve()
        self.target = target
        self.on_reload = on_reload
        self.load = load
        self.debounce_ms = debounce_ms
        self._stop = asyncio.Event()
        self.reloads = 0

    def stop(self) -> None:
        self._stop.set()

    async def watch(self) -> None:
        """Run until `stop()`: one reload per settled burst of writes to the file."""
        from watchfiles import Change, awatch

        name = self.path.name

        def is_config(change: Change, path: str) -> bool:
            return Path(path).name == name

        # The directory, not the file: editors that save by writing a temp file and renaming
        # it over the original would leave a watch on the old inode deaf. Not recursive, so the
        # journal's constant writes under .axo/ never wake us.
        async for changes in awatch(
            self.path.parent,
            watch_filter=is_config,
            recursive=False,
            debounce=max(self.debounce_ms * 4, 200),
            step=self.debounce_ms,
            stop_event=self._stop,
            rust_timeout=500,
            yield_on_timeout=False,
        ):
            if changes and self.path.exists():
                await self.reload()

    async def reload(self) -> ReloadOutcome:
        """Load, validate and (when valid) apply the config file; tell `on_reload`."""
        try:
            saved_at = self.path.stat().st_mtime
        except OSError:
            saved_at = time.time()
        old = self.target.config
        try:
            # Parsing and validation off the event loop: the front end keeps working.
            config = await asyncio.to_thread(self.load, self.path)
        except ConfigError as exc:
            outcome = ReloadOutcome(
                False,
                f"{len(exc.errors) or len(exc.problems)} problems",
                time.time(),
                problems=tuple(problem.render() for problem in exc.problems),
            )
        except (OSError, UnicodeError) as exc:
            outcome = ReloadOutcome(
                False, "unreadable", time.time(), problems=(f"{self.path}: {exc}",)
            )
        else:
            self.target.apply_config(config)
            applied = time.time()
            outcome = ReloadOutcome(
                True,
                describe_change(old, config),
                applied,
                latency_ms=max(0.0, (applied - saved_at) * 1000),
            )
        self.reloads += 1
        self.on_reload(outcome)
        return outcome
