"""The workbench app and its factory. Composition only: behaviour lives in the bridge,
the screens and the widgets.

`build_app` is the one way to make the app, used by `axo dev`, `axo chat` and the tests
alike, so what the tests drive is what users run.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import ClassVar, Literal

from rich.text import Text
from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import Worker

from axo_tui import process_tuning
from axo_tui.core.config.schema import Config
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.core.telemetry.wiring import ProjectTelemetry
from axo_tui.tui.approval_prompts import ApprovalPrompts
from axo_tui.tui.bridge import RunKind, RuntimeBridge
from axo_tui.tui.commands import WorkbenchCommands
from axo_tui.tui.crash import write_crash_report
from axo_tui.tui.model import WorkbenchModel
from axo_tui.tui.reload import ConfigReloader, load_project_config
from axo_tui.tui.screens.auctions import AuctionScreen
from axo_tui.tui.screens.cancel_run import CancelRunScreen
from axo_tui.tui.screens.chat import ChatScreen
from axo_tui.tui.screens.dev import DevScreen
from axo_tui.tui.screens.events import EventsScreen
from axo_tui.tui.screens.keys import (
    CHAT_KEYS,
    WORKBENCH_KEYS,
    KeysScreen,
    Section,
    bound_keys,
)
from axo_tui.tui.screens.memory import MemoryScreen
from axo_tui.tui.screens.trace import TraceScreen
from axo_tui.tui.screens.wasm_tools import WasmToolsScreen
from axo_tui.tui.settings import WorkbenchSettings
from axo_tui.tui.widgets.agents import AgentsTable

STYLES = Path(__file__).parent / "styles"
COMPANIONS = "axo-companions"


async def _ended(worker: Worker[object]) -> None:
    with contextlib.suppress(Exception):
        await worker.wait()


Mode = Literal["dev", "chat"]


class AxoApp(App[None]):
    # Textual reads these class variables; ruff's mutable-default rule does not apply.
    CSS_PATH = [  # noqa: RUF012
        STYLES / "app.tcss",
        STYLES / "dev.tcss",
        STYLES / "chat.tcss",
        STYLES / "events.tcss",
        STYLES / "memory.tcss",
        STYLES / "auctions.tcss",
        STYLES / "trace.tcss",
    ]
    TITLE = "axo"
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: Input binds ctrl+e (end of line) and would swallow the key otherwise.
        Binding("ctrl+t", "open_chat", "chat", priority=True),
        Binding("ctrl+e", "open_events", "events", priority=True),
        Binding("ctrl+q", "quit", "quit", show=False, priority=True),
        # F1 works even while typing (no input binds it); `?`, bound by the screens, only
        # outside an input.
        Binding("f1", "help", "keys", show=False),
    ]

    def __init__(
        self,
        runtime: Runtime,
        *,
        config_path: Path,
        settings: WorkbenchSettings | None = None,
        mode: Mode = "dev",
        chat_agent: str | None = None,
        chat_session: str | None = None,
        telemetry: ProjectTelemetry | None = None,
    ) -> None:
        super().__init__()
        self.telemetry = telemetry
        """The tracer given to the runtime (with `otlp_endpoint`), flushed when the app ends."""
        self.settings = settings or WorkbenchSettings()
        self.mode = mode
        self.model = WorkbenchModel(
            runtime.config, clock=self.settings.clock, show_durations=self.settings.show_times
        )
        self.bridge = RuntimeBridge(
            self, runtime, self.model, notify_runs=self.settings.notify_runs
        )
        self.approval_prompts = ApprovalPrompts(self, self.bridge)
        self.reloader = ConfigReloader(
            config_path, self.bridge, debounce_ms=self.settings.reload_debounce_ms
        )
        self._chat_agent = chat_agent
        self._chat_session = chat_session

    # ---------------------------------------------------------------- lifecycle
    def on_mount(self) -> None:
        try:
            self.bridge.start()
            self.approval_prompts.start()  # a tool call waiting for a human: a dialog
        except Exception as exc:  # a damaged journal, an unwritable data dir
            self.exit(
                return_code=1, message=Text(f"axo: cannot start the runtime: {exc}", style="red")
            )
            return
        for problem in self.bridge.runtime.config.warnings:
            self.notify(problem.render(), title="config warning", severity="warning", markup=False)
        if self.settings.watch_config and self.mode == "dev":
            self.run_worker(self.reloader.watch(), name="config watcher", group="axo-watch")
        for companion in self.settings.companions:
            self.run_worker(
                companion(self.bridge.runtime, self._tell),
                name="companion",
                group=COMPANIONS,
                exit_on_error=False,
            )
        if self.mode == "chat":
            chat = ChatScreen(
                self.bridge,
                self.settings,
                agent_id=self._chat_agent,
                session=self._chat_session,
                standalone=True,
            )
            self.push_screen(chat)
        else:
            self.install_screen(DevScreen(self.bridge, self.settings), "dev")
            self.push_screen("dev")
        # Only in the `axo` process: an app embedded in a test leaves the collector alone.
        self.call_after_refresh(process_tuning.freeze_startup_objects)

    async def on_unmount(self) -> None:
        process_tuning.unfreeze()
        self.reloader.stop()
        # Companions (the API server) end before the runtime they use is closed.
        stopping = self.workers.cancel_group(self, COMPANIONS)
        if stopping:
            await asyncio.wait([asyncio.ensure_future(_ended(w)) for w in stopping], timeout=10)
        await self.bridge.stop()
        if self.telemetry is not None:
            # The last spans are exported: a blocking POST, off the loop.
            await asyncio.to_thread(self.telemetry.close)

    def _tell(self, message: str) -> None:
        self.notify(message, title="axo dev", markup=False)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.bridge.key_pressed()  # its frame before the next batch's
        await super().on_event(event)

    def _handle_exception(self, error: Exception) -> None:
        # Textual would print a full traceback with locals; a user gets one line and the
        # path of a report instead (AXO_DEBUG=1 keeps Textual's rendering).
        super()._handle_exception(error)
        report = write_crash_report(error, self.bridge.runtime.state_dir)
        if report is not None:
            self._exit_renderables[:] = [Text(report, style="red")]

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `axo chat` is the chat screen alone: no inspector or memory screen to switch to.
        if action == "open_chat" and isinstance(self.screen, ChatScreen):
            return False  # already there: the footer need not offer it
        not_in_chat = ("open_events", "open_memory", "open_trace", "open_wasm_tools")
        return not (self.mode == "chat" and action in not_in_chat)

    def action_open_chat(self) -> None:
        self.open_chat()

    def on_agents_table_agent_chosen(self, message: AgentsTable.AgentChosen) -> None:
        self.open_chat(message.agent_id)

    def action_open_events(self) -> None:
        self.open_events()

    def action_open_memory(self) -> None:
        self.open_memory()

    def action_open_auctions(self) -> None:
        self.open_auctions()

    def action_open_trace(self) -> None:
        self.open_trace()

    def action_open_wasm_tools(self) -> None:
        self.open_wasm_tools()

    def action_cancel_run(self) -> None:
        self.confirm_cancel()

    def action_help(self) -> None:
        """The key overview of the screen in front; again (or escape) closes it."""
        screen = self.screen
        if isinstance(screen, KeysScreen):
            screen.dismiss(None)
            return
        sections: tuple[Section, ...]
        if isinstance(screen, ChatScreen):
            sections = CHAT_KEYS
        elif isinstance(screen, DevScreen):
            sections = WORKBENCH_KEYS
        else:
            bindings = [b for b in screen.BINDINGS if isinstance(b, Binding)]
            display = {b.key: self.get_key_display(b) for b in bindings}
            sections = (bound_keys("This screen", bindings, display), WORKBENCH_KEYS[-1])
        self.push_screen(KeysScreen(sections))

    def open_workbench(self) -> None:
        while (
            isinstance(
                self.screen,
                ChatScreen
                | EventsScreen
                | MemoryScreen
                | AuctionScreen
                | TraceScreen
                | WasmToolsScreen,
            )
            and len(self.screen_stack) > 2
        ):
            self.pop_screen()

    def open_chat(self, agent_id: str | None = None) -> None:
        if not isinstance(self.screen, ChatScreen):
            if self.mode == "chat":
                return
            self.open_workbench()
            if not self.is_screen_installed("chat"):
                self.install_screen(
                    ChatScreen(self.bridge, self.settings, agent_id=agent_id), "chat"
                )
            self.push_screen("chat")
        chat = self.get_screen("chat") if self.mode == "dev" else self.screen
        if agent_id is not None and isinstance(chat, ChatScreen):
            chat.switch_agent(agent_id)

    def open_events(self) -> None:
        if self.mode == "chat" or isinstance(self.screen, EventsScreen):
            return
        self.open_workbench()
        if not self.is_screen_installed("events"):
            self.install_screen(EventsScreen(self.bridge), "events")
        self.push_screen("events")

    def open_auctions(self) -> None:
        """The auction view of the latest coordinator pass (live)."""
        if self.mode == "chat" or isinstance(self.screen, AuctionScreen):
            return
        self.open_workbench()
        if not self.is_screen_installed("auctions"):
            self.install_screen(AuctionScreen(self.bridge), "auctions")
        self.push_screen("auctions")

    def open_wasm_tools(self) -> None:
        """The WASM tools, their grants and pins (`axo tools list`)."""
        if self.mode == "chat" or isinstance(self.screen, WasmToolsScreen):
            return
        self.open_workbench()
        if not self.is_screen_installed("wasm-tools"):
            self.install_screen(WasmToolsScreen(self.bridge), "wasm-tools")
        self.push_screen("wasm-tools")

    def open_trace(self, run_id: str | None = None) -> None:
        """The trace view, on `run_id` (else the run the log is filtered to, else the
        newest run)."""
        if self.mode == "chat":
            return
        if run_id is None and not isinstance(self.screen, TraceScreen):
            dev = self.get_screen("dev")
            if isinstance(dev, DevScreen):
                run_id = dev.log_run_filter()
        if not isinstance(self.screen, TraceScreen):
            self.open_workbench()
            if not self.is_screen_installed("trace"):
                self.install_screen(TraceScreen(self.bridge, run_id), "trace")
            self.push_screen("trace")
        trace = self.get_screen("trace")
        if isinstance(trace, TraceScreen) and trace.is_mounted:
            trace.show_run(run_id)

    def open_memory(self, agent_id: str | None = None) -> None:
        """The memory screen, on `agent_id` (else the agent chosen in the agents panel)."""
        if self.mode == "chat":
            return
        if agent_id is None and not isinstance(self.screen, MemoryScreen):
            agent_id = self.get_screen("dev").query_one(AgentsTable).highlighted_agent
        if not isinstance(self.screen, MemoryScreen):
            self.open_workbench()
            if not self.is_screen_installed("memory"):
                self.install_screen(
                    MemoryScreen(
                        self.bridge, agent_id=agent_id, show_times=self.settings.show_times
                    ),
                    "memory",
                )
            self.push_screen("memory")
        memory = self.get_screen("memory")
        if agent_id is not None and isinstance(memory, MemoryScreen):
            memory.show_agent(agent_id)

    def confirm_cancel(self, run_id: str | None = None) -> None:
        """Ask which run to cancel (`run_id` highlighted), then cancel it."""
        if not self.model.running_count:
            self.notify("no run is running", severity="information")
            return

        def chosen(choice: str | None) -> None:
            if choice is not None:
                self.bridge.request_cancel(choice)

        self.push_screen(CancelRunScreen(self.model, run_id), chosen)

    def prepare_run(self, kind: RunKind, target: str) -> None:
        """Choose `target` in the run bar and put the cursor in its input."""
        if self.mode == "chat":
            return
        self.open_workbench()
        dev = self.get_screen("dev")
        if isinstance(dev, DevScreen):
            dev.choose_target(kind, target)

    def filter_log(self) -> None:
        if self.mode == "dev":
            self.open_workbench()
            dev = self.get_screen("dev")
            if isinstance(dev, DevScreen):
                dev.action_filter()

    async def reload_config(self) -> None:
        await self.reloader.reload()


def build_app(
    config_path: Path,
    *,
    config: Config | None = None,
    data_dir: Path | None = None,
    settings: WorkbenchSettings | None = None,
    mode: Mode = "dev",
    chat_agent: str | None = None,
    chat_session: str | None = None,
) -> AxoApp:
    """The workbench for the project at `config_path`.

    `config` skips loading (the CLI has already loaded and validated it); otherwise the file
    is loaded here and a `ConfigError` propagates for the caller to report.
    """
    if config is None:
        config = load_project_config(config_path)
    # A tracer only with observability.otlp_endpoint, as `axo serve` attaches one.
    telemetry = ProjectTelemetry(config)
    runtime = build_runtime(
        config, data_dir=data_dir, background=True, subscribers=telemetry.subscribers
    )
    return AxoApp(
        runtime,
        config_path=config_path,
        settings=settings,
        mode=mode,
        chat_agent=chat_agent,
        chat_session=chat_session,
        telemetry=telemetry,
    )
