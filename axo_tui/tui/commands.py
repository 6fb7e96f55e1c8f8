"""Every workbench action in the command palette (Ctrl+P)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from axo_tui.tui.bridge import RunKind, RuntimeBridge
from axo_tui.tui.model import WorkbenchModel
from axo_tui.tui.widgets.run_bar import listened_signals


class Workbench(Protocol):
    """The app as the palette sees it (AxoApp implements it; app.py imports this module)."""

    @property
    def mode(self) -> str: ...

    @property
    def bridge(self) -> RuntimeBridge: ...

    @property
    def model(self) -> WorkbenchModel: ...

    def prepare_run(self, kind: RunKind, target: str) -> None: ...

    def open_workbench(self) -> None: ...

    def open_chat(self, agent_id: str | None = None) -> None: ...

    def open_events(self) -> None: ...

    def open_memory(self, agent_id: str | None = None) -> None: ...

    def open_auctions(self) -> None: ...

    def open_trace(self, run_id: str | None = None) -> None: ...

    def confirm_cancel(self, run_id: str | None = None) -> None: ...

    def filter_log(self) -> None: ...

    async def reload_config(self) -> None: ...

    def exit(self) -> None: ...


@dataclass(frozen=True)
class PaletteAction:
    title: str
    help: str
    run: Callable[[], object]


def palette_actions(app: Workbench) -> list[PaletteAction]:
    """Built fresh on each search: after a reload the palette offers the new agents."""
    config = app.bridge.runtime.config
    actions = [
        PaletteAction(
            f"Run workflow {w.id}",
            w.description or f"agents: {', '.join(w.agents)}",
            partial(app.prepare_run, "workflow", w.id),
        )
        for w in config.workflows
    ]
    actions += [
        PaletteAction(
            f"Fire skill {s.id}",
            s.description or f"runs on {', '.join(s.agents)}",
            partial(app.prepare_run, "skill", s.id),
        )
        for s in config.skills
        if s.agents
    ]
    actions += [
        PaletteAction(
            f"Chat with {a.id}",
            a.description or "open the chat screen",
            partial(app.open_chat, a.id),
        )
        for a in config.agents
    ]
    actions += [
        PaletteAction(
            f"Run agent {a.id}",
            "one turn, input from the run bar",
            partial(app.prepare_run, "agent", a.id),
        )
        for a in config.agents
    ]
    actions += [
        PaletteAction(
            f"Emit signal {name}",
            "into the ambient lattice; payload from the run bar",
            partial(app.prepare_run, "signal", name),
        )
        for name in listened_signals(config)
    ]
    if app.mode == "dev":
        actions.append(
            PaletteAction(
                "Open memory", "core blocks and recent recalls per agent (m)", app.open_memory
            )
        )
        actions.append(
            PaletteAction(
                "Open auctions",
                "the latest coordinator pass: subtasks, bids, winners (b)",
                app.open_auctions,
            )
        )
        actions.append(
            PaletteAction(
                "Open trace",
                "a run as a tree: agents, model calls, tools, tokens, cost (t)",
                app.open_trace,
            )
        )
        actions += [
            PaletteAction(
                f"Memory of {a.id}",
                "core memory blocks and recent recalls",
                partial(app.open_memory, a.id),
            )
            for a in config.agents
        ]
        actions += [
            PaletteAction(
                f"Cancel run {run.label} {run.kind} {run.target}",
                "stop its agents; asks first",
                partial(app.confirm_cancel, run.run_id),
            )
            for run in app.model.running_runs()[::-1]
        ]
    actions += [
        PaletteAction("Open workbench", "the lattice, agents and log", app.open_workbench),
        PaletteAction("Open chat", "chat with an agent (Ctrl+T)", app.open_chat),
        PaletteAction(
            "Open event inspector", "recent events and token spend (Ctrl+E)", app.open_events
        ),
        PaletteAction("Cancel a run", "pick a running run and stop it (x)", app.confirm_cancel),
        PaletteAction("Filter log", "show one agent or one run (f)", app.filter_log),
        PaletteAction("Reload config", "re-read axo.yaml now", app.reload_config),
        PaletteAction("Quit axo", "stop runs and leave", app.exit),
    ]
    return actions


class WorkbenchCommands(Provider):
    def _actions(self) -> list[PaletteAction]:
        return palette_actions(cast(Workbench, self.app))

    async def discover(self) -> Hits:
        for action in self._actions():
            yield DiscoveryHit(action.title, action.run, help=action.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action in self._actions():
            score = matcher.match(action.title)
            if score > 0:
                yield Hit(score, matcher.highlight(action.title), action.run, help=action.help)
