"""Hot reload: a good save is applied while running; a bad one is shown and ignored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Static

from axo_tui.tui.app import AxoApp
from axo_tui.tui.settings import WorkbenchSettings
from axo_tui.tui.widgets.lattice import LatticeView
from axo_tui.tui.widgets.problems import ProblemsPanel
from tests.support.tui import DIAMOND_YAML, wait_runs_done, wait_until

WATCHING = WorkbenchSettings(show_times=False, watch_config=True, notify_runs=False)

EDITOR_AGENT = """\
  - id: editor
    provider: scripted
    depends_on: [writer]
"""


def with_editor(text: str) -> str:
    return text.replace("workflows:\n", EDITOR_AGENT + "workflows:\n").replace(
        "[planner, researcher, critic, writer]", "[planner, researcher, critic, writer, editor]"
    )


async def test_a_good_save_adds_an_agent_to_the_running_workbench(
    make_app: Callable[..., AxoApp], project: Path
) -> None:
    app = make_app(settings=WATCHING)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)  # let the watcher start
        project.write_text(with_editor(DIAMOND_YAML), encoding="utf-8")
        await wait_until(pilot, lambda: "editor" in app.model.agents, what="the reload")
        await pilot.pause()
        assert [a.id for a in app.bridge.runtime.config.agents][-1] == "editor"
        assert "[editor " in app.screen.query_one(LatticeView).render().plain
        status = app.model.config_status
        assert status.ok and "+editor" in status.summary
        assert status.latency_ms is not None and status.latency_ms < 5000
        header = str(app.screen.query_one("#header-right", Static).content)
        assert header.startswith("config ok (reloaded in ")
        # The new agent takes part in the next run.
        await pilot.press("r", *"again", "enter")
        await wait_runs_done(pilot, app)
        assert app.model.agents["editor"].phase == "done"


async def test_a_bad_save_shows_problems_and_keeps_the_old_config(
    make_app: Callable[..., AxoApp], project: Path
) -> None:
    app = make_app(settings=WATCHING)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        before = app.bridge.runtime.config
        broken = DIAMOND_YAML.replace("depends_on: [planner]\n", "depends_on: [planer]\n", 1)
        project.write_text(broken, encoding="utf-8")
        await wait_until(pilot, lambda: not app.model.config_status.ok, what="the failed reload")
        await pilot.pause()
        assert app.bridge.runtime.config is before
        panel = app.screen.query_one(ProblemsPanel)
        assert panel.display
        shown = str(panel.content)
        assert f"{project}:8:18: error" in shown and "planer" in shown and "hint" in shown
        header = str(app.screen.query_one("#header-right", Static).content)
        assert header.startswith("config error")
        # The previous config still runs.
        await pilot.press("r", *"still works", "enter")
        await wait_runs_done(pilot, app)
        assert app.model.runs and all(r.status == "completed" for r in app.model.runs.values())
        # Fixing the file clears the problems.
        project.write_text(DIAMOND_YAML, encoding="utf-8")
        await wait_until(pilot, lambda: app.model.config_status.ok, what="the fixed reload")
        await pilot.pause()
        assert not panel.display
