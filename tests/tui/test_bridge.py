"""The bridge under load: thousands of events become a few batches, none lost."""

from __future__ import annotations

from collections.abc import Callable

from axo_tui.core.events.catalog import (
    AgentActivated,
    AgentCompleted,
    RunCompleted,
    RunStarted,
    TokenStreamed,
)
from axo_tui.tui.app import AxoApp
from axo_tui.tui.model import LogFilter
from axo_tui.tui.widgets.event_log import EventLog
from axo_tui.tui.widgets.log_filter import LogFilterDialog
from tests.support.tui import wait_until

FLOOD = 4000


async def test_a_flood_of_events_arrives_whole_in_few_batches(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        bus = app.bridge.runtime.bus
        batches_before = app.bridge.batches
        bus.emit(RunStarted, run_id="r", run_kind="agent", target="writer", input="flood")
        bus.emit(
            AgentActivated, run_id="r", agent_id="writer", activation_id="x", trigger="t", input=""
        )
        # Synchronous emission: the whole flood lands in the queue before the pump runs once.
        for index in range(FLOOD):
            bus.emit(
                TokenStreamed, run_id="r", agent_id="writer", activation_id="x", text=f"w{index}\n"
            )
        bus.emit(AgentCompleted, run_id="r", agent_id="writer", activation_id="x", output="")
        bus.emit(RunCompleted, run_id="r", status="completed", output="")
        await wait_until(
            pilot,
            lambda: "r" in app.model.runs and app.model.runs["r"].status == "completed",
            what="the flood",
        )
        await pilot.pause()
        batches = app.bridge.batches - batches_before
        assert batches <= 3, batches  # one frame's worth, not one refresh per event
        lines = [line.text for line in app.model.log.since(0) if line.style == "token"]
        assert lines == [f"w{index}" for index in range(FLOOD)]  # every token, in order
        log = app.screen.query_one(EventLog)
        assert len(log.shown_lines) >= FLOOD


async def test_f_filters_the_log_to_one_agent(make_app: Callable[..., AxoApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r", *"go", "enter")
        await wait_until(
            pilot,
            lambda: (
                bool(app.model.runs) and all(r.status != "running" for r in app.model.runs.values())
            ),
        )
        await pilot.press("escape", "f")
        await pilot.pause()
        dialog = app.screen.query_one(LogFilterDialog)
        assert dialog.is_open and dialog in app.screen._compositor.visible_widgets
        await pilot.press("down", "down", "enter")  # all agents, planner, researcher
        await pilot.pause()
        assert not dialog.is_open
        log = app.screen.query_one(EventLog)
        assert app.focused is log  # back where the user was
        assert log.log_filter == LogFilter(agent_id="researcher")
        text = "\n".join(log.line_text(line).plain for line in log.shown_lines)
        assert "researcher ◂ Facts about the plan" in text
        assert "planner" not in text and "critic" not in text
        assert "■ run #1 completed" in text  # run lines frame the agent's lines
        assert app.screen.query_one("#log-panel").border_title == "Log (researcher · all runs)"


async def test_the_filter_dialog_opens_again_with_the_current_state(
    make_app: Callable[..., AxoApp],
) -> None:
    """The dialog is made once and reopened: each time it lists the runs as they are now
    and highlights the log's current filter. Tab moves between its lists only; escape
    closes it and keeps the filter."""
    from textual.widgets import OptionList

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("escape", "f")
        await pilot.pause()
        dialog = app.screen.query_one(LogFilterDialog)
        assert dialog.is_open
        runs = dialog.query_one("#filter-runs", OptionList)
        await pilot.press("tab")
        assert app.focused is runs
        await pilot.press("tab")
        assert app.focused is dialog.query_one("#filter-agents", OptionList)
        assert runs.option_count == 1  # "all runs"
        await pilot.press("down", "down", "enter")  # researcher
        await pilot.pause()
        await pilot.press("r", *"go", "enter")
        await wait_until(
            pilot,
            lambda: (
                bool(app.model.runs) and all(r.status != "running" for r in app.model.runs.values())
            ),
        )
        await pilot.press("escape", "f")
        await pilot.pause()
        assert dialog.is_open  # the same dialog, opened again
        agents = dialog.query_one("#filter-agents", OptionList)
        assert agents.highlighted == 2 and app.focused is agents
        assert runs.option_count == 2 and "#1 workflow research" in str(
            runs.get_option_at_index(1).prompt
        )
        await pilot.press("escape")  # cancel: the filter stays
        await pilot.pause()
        assert not dialog.is_open
        assert app.screen.query_one(EventLog).log_filter == LogFilter(agent_id="researcher")
        # Focus leaving the dialog (a click on the run bar) closes it too.
        await pilot.press("f")
        assert dialog.is_open
        app.screen.query_one("#run-input").focus()
        await pilot.pause()
        assert not dialog.is_open


async def test_a_keypress_goes_before_the_next_batch(make_app: Callable[..., AxoApp]) -> None:
    """Events that arrive just after a key wait KEY_GRACE, so the key's own frame is drawn
    first; they are delivered then, all of them."""
    import time

    from axo_tui.core.events.catalog import RuntimeNotice
    from axo_tui.tui.bridge import KEY_GRACE

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        before = app.bridge.batches
        app.bridge.key_pressed()
        pressed = time.monotonic()
        for index in range(3):
            app.bridge.runtime.bus.emit(RuntimeNotice, message=f"notice {index}")
        await wait_until(pilot, lambda: app.bridge.batches > before, what="the batch")
        assert time.monotonic() - pressed >= KEY_GRACE
        texts = [line.text for line in app.model.log.since(0)]
        assert [t for t in texts if "notice" in t] == [f"⚠ notice {i}" for i in range(3)]
