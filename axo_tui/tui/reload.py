"""Hot reload: watch the config file, re-validate on change, apply only what is valid.

A broken save never replaces a working config: the runtime keeps the previous one and the
workbench shows the problems (file:line:col and a hint) until the next good save. Latency is
measured from the file's modification time to the moment the runtime holds the new config,
which is what a user perceives as "I saved and it took effect".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from axo_tui.core.config.problems import ConfigError
from axo_tui.core.config.schema import Config
from axo_tui.tui.bridge import RuntimeBridge
from axo_tui.tui.model import ConfigStatus

Loader = Callable[[Path], Config]


def load_project_config(path: Path) -> Config:
    from axo_tui.core.config import load_config

    return load_config(path)


def describe_change(old: Config, new: Config) -> str:
    """ "3 agents (+critic, -writer), 1 workflow": what a reload changed, briefly."""
    before = {a.id for a in old.agents}
    after = [a.id for a in new.agents]
    delta = [f"+{a}" for a in after if a not in before]
    delta += [f"-{a}" for a in sorted(before - set(after))]
    agents = f"{len(after)} agent{'s' if len(after) != 1 else ''}"
    if delta:
        agents += f" ({', '.join(delta)})"
    flows = len(new.workflows)
    return f"{agents}, {flows} workflow{'s' if flows != 1 else ''}"


class ConfigReloader:
    def __init__(
        self,
        path: Path,
        bridge: RuntimeBridge,
        *,
        load: Loader = load_project_config,
        debounce_ms: int = 50,
    ) -> None:
        self.path = path.resolve()
        self.bridge = bridge
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

    async def reload(self) -> ConfigStatus:
        """Load, validate and (when valid) apply the config file; publish the outcome."""
        try:
            saved_at = self.path.stat().st_mtime
        except OSError:
            saved_at = time.time()
        old = self.bridge.runtime.config
        try:
            # Parsing and validation off the event loop: the UI keeps drawing meanwhile.
            config = await asyncio.to_thread(self.load, self.path)
        except ConfigError as exc:
            status = ConfigStatus(
                False,
                f"{len(exc.errors) or len(exc.problems)} problems",
                time.time(),
                problems=tuple(problem.render() for problem in exc.problems),
            )
        except (OSError, UnicodeError) as exc:
            status = ConfigStatus(
                False, "unreadable", time.time(), problems=(f"{self.path}: {exc}",)
            )
        else:
            self.bridge.runtime.apply_config(config)
            applied = time.time()
            status = ConfigStatus(
                True,
                describe_change(old, config),
                applied,
                latency_ms=max(0.0, (applied - saved_at) * 1000),
            )
        self.reloads += 1
        self.bridge.publish_config(status)
        self._announce(status)
        return status

    def _announce(self, status: ConfigStatus) -> None:
        app: Any = self.bridge.app
        if status.ok:
            latency = f" in {status.latency_ms:.0f} ms" if status.latency_ms is not None else ""
            app.notify(f"config reloaded{latency}: {status.summary}", title="axo.yaml")
        else:
            shown = "\n".join(status.problems[:3])
            more = len(status.problems) - 3
            if more > 0:
                shown += f"\n… and {more} more (see the problems panel)"
            app.notify(
                shown,
                title="config not reloaded: the previous config keeps running",
                severity="error",
                timeout=10,
                markup=False,
            )
