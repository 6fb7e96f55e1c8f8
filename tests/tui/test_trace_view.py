"""The workbench's trace view (`t`): the same tree as `axo trace RUN`, for the run chosen,
growing as it runs; model text neutralised and never read as markup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from axo_tui.core.telemetry.trace_tree import render_lines
from axo_tui.tui.app import AxoApp
from axo_tui.tui.bridge import RunRequest
from axo_tui.tui.model import LogFilter
from axo_tui.tui.screens.dev import DevScreen
from axo_tui.tui.screens.trace import TraceScreen
from tests.support.otlp_collector import running_collector
from tests.support.tui import wait_runs_done, wait_until


def cli_lines(app: AxoApp, run_id: str) -> list[str]:
    """What `axo trace RUN` prints for the run (the same journal, the same function)."""
    tree = app.bridge.runtime.state.trace(run_id)
    assert tree is not None
    return [text for text, _node in render_lines(tree)]


def drawn(screen: TraceScreen) -> str:
    tree = screen.query_one("#trace-tree")
    return "\n".join(tree.render_line(y).text for y in range(tree.size.height))


async def test_t_draws_the_newest_run_as_axo_trace_does(make_app: Callable[..., AxoApp]) -> None:
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        app.bridge.start_run(RunRequest("workflow", "research", "light"))
        await wait_runs_done(pilot, app)
        (run_id,) = app.model.runs
        await pilot.press("t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TraceScreen)
        await wait_until(
            pilot, lambda: screen.lines == cli_lines(app, run_id), what="the CLI's tree"
        )
        text = drawn(screen)
        assert text.splitlines()[0].startswith("workflow research")
        assert "├─ planner" in text and "└─ writer" in text
        assert "chat scripted" in text and "300→40 tok" in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "dev"


async def test_it_opens_on_the_run_the_log_shows_and_follows_the_list(
    make_app: Callable[..., AxoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        app.bridge.start_run(RunRequest("workflow", "research", "light"))
        await wait_runs_done(pilot, app)
        app.bridge.start_run(RunRequest("agent", "helper", "6 times 7?"))
        await wait_runs_done(pilot, app, 2)
        research, helper = app.model.runs
        dev = app.screen
        assert isinstance(dev, DevScreen)
        dev.set_log_filter(LogFilter(None, research))
        await pilot.press("t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TraceScreen)
        assert screen.run_id == research
        assert screen.lines[0].startswith("workflow research")
        await pilot.press("up")  # the list is newest first: the helper's run is above
        await wait_until(pilot, lambda: screen.run_id == helper, what="the helper's run")
        assert screen.lines == cli_lines(app, helper)
        assert any("tool calculator" in line and "42" in line for line in screen.lines)


HOSTILE = """\
agents:
  - id: mallory
    provider: scripted
    memory: {recall: {passive_inject: false}}
providers:
  scripted:
    replies:
      mallory: ["\\e]52;c;ZXZpbA==\\a[bold red]pwned[/bold red]"]
"""


async def test_model_text_is_neutralised_and_not_markup(
    make_app: Callable[..., AxoApp], tmp_path: Path
) -> None:
    config = tmp_path / "hostile" / "axo.yaml"
    config.parent.mkdir()
    config.write_text(HOSTILE, encoding="utf-8")
    app = make_app(config)
    async with app.run_test(size=(160, 30)) as pilot:
        app.bridge.start_run(RunRequest("agent", "mallory", "hi"))
        await wait_runs_done(pilot, app)
        await pilot.press("t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TraceScreen)
        await wait_until(pilot, lambda: "pwned" in drawn(screen), what="the reply drawn")
        text = drawn(screen)
        assert "\x1b" not in text and "\x07" not in text
        assert "\\x1b]52;c;ZXZpbA==\\x07[bold red]pwned[/bold red]" in text


async def test_the_workbench_exports_spans_when_otlp_endpoint_is_set(
    make_app: Callable[..., AxoApp], project: Path
) -> None:
    """`axo dev` attaches the tracer as `axo serve` does; quitting flushes the last spans."""
    with running_collector() as collector:
        text = project.read_text(encoding="utf-8")
        project.write_text(
            text + f"observability:\n  otlp_endpoint: '{collector.url}'\n", encoding="utf-8"
        )
        app = make_app()
        async with app.run_test(size=(160, 40)) as pilot:
            app.bridge.start_run(RunRequest("workflow", "research", "light"))
            await wait_runs_done(pilot, app)
        names = sorted({span.name for span in collector.spans()})
    assert names == [
        "chat scripted",
        "invoke_agent critic",
        "invoke_agent planner",
        "invoke_agent researcher",
        "invoke_agent writer",
        "run research",
    ]
