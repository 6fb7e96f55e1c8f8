"""Hot reload in the workbench: the core's `ConfigFollower` (shared with `axo serve`), its
outcome shown in the header, the problems panel and a toast.

A broken save never replaces a working config: the runtime keeps the previous one and the
workbench shows the problems (file:line:col and a hint) until the next good save.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axo_tui.core.runtime.reload import (
    ConfigFollower,
    Loader,
    ReloadOutcome,
    describe_change,
    load_project_config,
)
from axo_tui.tui.bridge import RuntimeBridge
from axo_tui.tui.model import ConfigStatus

__all__ = ["ConfigReloader", "describe_change", "load_project_config"]


class ConfigReloader:
    def __init__(
        self,
        path: Path,
        bridge: RuntimeBridge,
        *,
        load: Loader = load_project_config,
        debounce_ms: int = 50,
    ) -> None:
        self.bridge = bridge
        self.follower = ConfigFollower(
            path, bridge.runtime, on_reload=self._publish, load=load, debounce_ms=debounce_ms
        )
        self.path = self.follower.path

    @property
    def reloads(self) -> int:
        return self.follower.reloads

    def stop(self) -> None:
        self.follower.stop()

    async def watch(self) -> None:
        """Run until `stop()`: one reload per settled burst of writes to the file."""
        await self.follower.watch()

    async def reload(self) -> ConfigStatus:
        """Load, validate and (when valid) apply the config file; publish the outcome."""
        return _status(await self.follower.reload())

    def _publish(self, outcome: ReloadOutcome) -> None:
        status = _status(outcome)
        self.bridge.publish_config(status)
        self._announce(status)

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


def _status(outcome: ReloadOutcome) -> ConfigStatus:
    return ConfigStatus(
        outcome.ok,
        outcome.summary,
        outcome.at,
        latency_ms=outcome.latency_ms,
        problems=outcome.problems,
    )
