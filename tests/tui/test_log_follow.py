"""The log keeps following the newest line when the panels around it change height: a
resized terminal, a reload that grows the top row, the stream tail coming and going."""

from __future__ import annotations

from collections.abc import Callable

from axo_tui.core.events.catalog import AgentActivated, RunStarted, TokenStreamed
from axo_tui.tui.app import AxoApp
from axo_tui.tui.widgets.event_log import EventLog, StreamTail
from tests.support.tui import add_lines, screen_rows, started, wait_until


def last_visible(log: EventLog) -> str:
    return [row for row in screen_rows(log) if row][-1]


async def test_the_log_follows_after_the_terminal_shrinks(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        log = await started(pilot, app)
        add_lines(app, 200)
        await pilot.pause()
        assert last_visible(log) == "writer ◂ line 199"
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        add_lines(app, 5, start=200)
        await pilot.pause()
        assert last_visible(log) == "writer ◂ line 204"
        assert log.scroll_y == log.max_scroll_y


async def test_the_log_follows_when_the_top_row_grows(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        log = await started(pilot, app)
        add_lines(app, 200)
        await pilot.pause()
        # What a reload that adds agents does: the top row takes more of the screen.
        app.screen.query_one("#top").styles.height = 20
        await pilot.pause()
        add_lines(app, 5, start=200)
        await pilot.pause()
        assert last_visible(log) == "writer ◂ line 204"


async def test_end_reaches_the_last_line_after_a_resize(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        log = await started(pilot, app)
        add_lines(app, 200)
        log.focus()
        await pilot.press("home")
        await pilot.resize_terminal(120, 28)
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        assert last_visible(log) == "writer ◂ line 199"


async def test_end_reaches_lines_that_arrive_while_it_scrolls(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        log = await started(pilot, app)
        add_lines(app, 200)
        log.focus()
        await pilot.press("home")
        await pilot.press("end")
        add_lines(app, 3, start=200)  # streamed text keeps coming while the view moves
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert last_visible(log) == "writer ◂ line 202"
        add_lines(app, 2, start=203)
        await pilot.pause()
        assert last_visible(log) == "writer ◂ line 204"  # and it follows from there


async def test_the_log_follows_when_the_stream_tail_appears(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        log = await started(pilot, app)
        add_lines(app, 200)
        await pilot.pause()
        tail = app.screen.query_one(StreamTail)
        bus = app.bridge.runtime.bus
        bus.emit(RunStarted, run_id="r", run_kind="workflow", target="research", input="")
        for agent in ("planner", "researcher", "critic"):
            bus.emit(
                AgentActivated,
                run_id="r",
                agent_id=agent,
                activation_id=agent,
                trigger="t",
                input="",
            )
            bus.emit(TokenStreamed, run_id="r", agent_id=agent, activation_id=agent, text="so ")
        await wait_until(pilot, lambda: tail.display and tail.size.height == 3)
        bus.emit(TokenStreamed, run_id="r", agent_id="critic", activation_id="critic", text="x\n")
        await wait_until(pilot, lambda: "critic ◂ so x" in "\n".join(screen_rows(log)))
        assert last_visible(log) == "critic ◂ so x"
