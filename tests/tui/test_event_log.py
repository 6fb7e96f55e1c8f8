"""The log widget on its own terms: rows as data, rendered on demand, following the end,
holding still when scrolled up, re-styled when the theme changes."""

from __future__ import annotations

from collections.abc import Callable

from axo_tui.core.events.catalog import AgentActivated, AgentCompleted, RunStarted, TokenStreamed
from axo_tui.tui.app import AxoApp
from axo_tui.tui.model import LogBuffer, LogFilter, LogLine
from axo_tui.tui.widgets.event_log import EventLog, StreamTail
from tests.support.tui import add_lines, screen_rows, started, wait_until

SIZE = (120, 40)


async def test_only_the_rows_on_screen_are_rendered_and_the_end_is_followed(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        log = await started(pilot, app)
        add_lines(app, 300)
        await pilot.pause()
        assert len(log.shown_lines) == 300 and log.row_count == 300
        assert len(log._wrapped) < 100  # rendered: what was on screen, not all 300
        rows = [row for row in screen_rows(log) if row]
        assert rows[-1] == "writer ◂ line 299"  # scrolled to the newest line
        assert rows[0] == f"writer ◂ line {300 - len(rows)}"


async def test_a_long_line_wraps_over_several_rows(make_app: Callable[..., AxoApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        log = await started(pilot, app)
        words = " ".join(f"word{index}" for index in range(60))
        app.model.log.append(LogLine(0.0, "output", words, None, "run-1"))
        app.model.log.append(LogLine(0.0, "output", "first\n  second", None, "run-1"))
        log.sync()
        await pilot.pause()
        assert len(log.shown_lines) == 2 and log.row_count > 4
        rows = [row for row in screen_rows(log) if row]
        assert " ".join(rows[:-2]).split() == words.split()  # every word, in order
        assert rows[-2:] == ["first", "  second"]


async def test_a_filter_change_shows_the_matching_lines_at_once(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        log = await started(pilot, app)
        for index in range(2000):
            agent = ("planner", "critic")[index % 2]
            app.model.log.append(LogLine(0.0, "token", f"{agent} {index}", agent, "run-1"))
        app.model.log.append(LogLine(0.0, "run", "■ run #1 completed", None, "run-1"))
        log.sync()
        log.set_filter(LogFilter(agent_id="critic"))
        await pilot.pause()
        shown = log.shown_lines
        assert len(shown) == 1001 and shown[-1].style == "run"  # run lines stay
        assert all(line.agent_id in ("critic", None) for line in shown)
        rows = [row for row in screen_rows(log) if row]
        assert rows[-2:] == ["critic ◂ critic 1999", "■ run #1 completed"]


async def test_the_log_keeps_what_the_buffer_keeps(make_app: Callable[..., AxoApp]) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        log = await started(pilot, app)
        app.model.log = LogBuffer(limit=50)
        log.set_filter(LogFilter())
        add_lines(app, 120)
        await pilot.pause()
        assert [line.text for line in log.shown_lines] == [f"line {i}" for i in range(70, 120)]
        assert screen_rows(log)[-1] == "writer ◂ line 119"


async def test_scrolled_up_the_log_holds_still_while_lines_arrive(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        log = await started(pilot, app)
        app.model.log = LogBuffer(limit=400)
        log.set_filter(LogFilter())
        add_lines(app, 300)
        await pilot.pause()
        log.scroll_to(y=100, animate=False, immediate=True)
        await pilot.pause()
        top = screen_rows(log)[0]
        assert top == "writer ◂ line 100"
        add_lines(app, 150, start=300)  # the buffer drops lines 0..49
        await pilot.pause()
        assert screen_rows(log)[0] == top  # same line on top, though its row number moved
        log.scroll_end(animate=False, immediate=True)
        add_lines(app, 10, start=450)
        await pilot.pause()
        assert screen_rows(log)[-1] == "writer ◂ line 459"  # at the end again: it follows


async def test_a_theme_change_restyles_the_rendered_lines(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        log = await started(pilot, app)
        app.model.log.append(LogLine(0.0, "run", "▶ run #1 boom", None, "run-1"))
        log.sync()
        await pilot.pause()

        def run_colour() -> object:
            strip = log.render_line(0)
            segment = next(s for s in strip if "boom" in s.text)
            assert segment.style is not None
            return segment.style.color

        before = run_colour()
        assert before == log.get_component_rich_style("log--run").color
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        after = run_colour()
        assert after != before
        assert after == log.get_component_rich_style("log--run").color


async def test_agent_colours_follow_the_config_not_who_speaks_first(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        log = await started(pilot, app)
        order = list(app.model.agents)  # planner, researcher, critic, writer, helper
        for agent_id in reversed(order):
            assert log.agent_style(agent_id) == log.get_component_rich_style(
                f"log--agent-{order.index(agent_id)}"
            )
        assert log.agent_style("visitor") == log.get_component_rich_style("log--agent-5")


async def test_the_stream_tail_holds_its_height_while_agents_stream(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot, app)
        tail = app.screen.query_one(StreamTail)
        bus = app.bridge.runtime.bus
        bus.emit(RunStarted, run_id="r", run_kind="workflow", target="research", input="")
        for agent in ("researcher", "critic"):
            bus.emit(
                AgentActivated,
                run_id="r",
                agent_id=agent,
                activation_id=agent,
                trigger="t",
                input="",
            )
            bus.emit(TokenStreamed, run_id="r", agent_id=agent, activation_id=agent, text="so ")
        await wait_until(pilot, lambda: tail.display and tail.size.height == 2)
        # The critic's line moves into the log: its stream is empty for now, yet the tail
        # keeps its two rows rather than laying the screen out again.
        bus.emit(TokenStreamed, run_id="r", agent_id="critic", activation_id="critic", text="x\n")
        await wait_until(pilot, lambda: "critic ◂ so x" in log_plain(app))
        await pilot.pause()
        assert tail.display and tail.size.height == 2
        for agent in ("researcher", "critic"):
            bus.emit(AgentCompleted, run_id="r", agent_id=agent, activation_id=agent, output="")
        await wait_until(pilot, lambda: not tail.display)  # nothing live: gone at once


def log_plain(app: AxoApp) -> str:
    log = app.screen.query_one(EventLog)
    return "\n".join(log.line_text(line).plain for line in log.shown_lines)


async def test_a_new_buffer_is_shown_afresh(make_app: Callable[..., AxoApp]) -> None:
    """Widths and renders are kept by line number; another buffer numbers other lines."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        log = await started(pilot, app)
        add_lines(app, 30)
        await pilot.pause()
        assert screen_rows(log)[-1] == "writer ◂ line 29"
        app.model.log = LogBuffer()
        for index in range(30):
            text = "word " * 40 + f"end{index}"
            app.model.log.append(LogLine(0.0, "token", text, "critic", "r"))
        log.sync()
        await pilot.pause()
        assert log.row_count == 60  # each new line wraps in two rows at this width
        assert screen_rows(log)[-1].endswith("word end29")
