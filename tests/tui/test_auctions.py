"""The auction view follows a coordinator pass live: subtasks, bids, winners, messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from axo_tui.tui.app import AxoApp
from axo_tui.tui.bridge import RunRequest
from axo_tui.tui.screens.auctions import AuctionScreen
from axo_tui.tui.widgets.auction_board import AuctionView, MessageView
from tests.support.audit_project import write_audit_project
from tests.support.tui import wait_until


def shown(screen: AuctionScreen) -> str:
    board = screen.query_one(AuctionView)
    return "\n".join(board.render_line(y).text for y in range(board.size.height))


async def test_the_auction_view_fills_in_as_the_pass_runs(
    make_app: Callable[..., AxoApp], tmp_path: Path
) -> None:
    app = make_app(write_audit_project(tmp_path / "team"))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AuctionScreen)
        assert "No coordinator pass yet" in shown(screen)

        app.bridge.start_run(RunRequest("workflow", "audit", "audit the log"))
        await wait_until(
            pilot,
            lambda: (
                screen.board is not None
                and [r.status for r in screen.board.subtasks.values()] == ["done", "done"]
            ),
            what="both subtasks done on the board",
        )
        await pilot.pause()
        text = shown(screen)
        assert "s1 read the log" in text and "s2 count errors" in text
        assert "reader" in text and "refused: counter" in text
        messages = screen.query_one(MessageView).render_line(0).text
        assert messages.startswith("cfp") and "lead → reader, counter" in messages
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "dev"
