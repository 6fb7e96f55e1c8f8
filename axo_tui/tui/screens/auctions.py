"""The auction view: the latest coordinator pass, live, as its auctions happen."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen

from axo_tui.core.coordination.board import AuctionBoard
from axo_tui.core.events.catalog import Event, RunStarted
from axo_tui.tui.bridge import RuntimeBridge
from axo_tui.tui.widgets.auction_board import AuctionView, MessageView
from axo_tui.tui.widgets.footer import QuietFocus, WorkbenchFooter


class AuctionScreen(QuietFocus, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "back")]

    def __init__(self, bridge: RuntimeBridge) -> None:
        super().__init__(id="auctions")
        self.bridge = bridge
        self.board: AuctionBoard | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="auctions-body"):
            yield AuctionView(id="auction-board")
            yield MessageView(id="auction-messages")
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self.query_one("#auction-board").border_title = "Auctions"
        self.query_one("#auction-messages").border_title = "Contract Net messages (latest)"
        self.fold(list(self.bridge.model.events))
        self.bridge.events.subscribe(self, self.fold)

    def fold(self, events: list[Event]) -> None:
        """Follow the newest coordinator pass: a new one replaces the board."""
        changed = False
        for event in events:
            if isinstance(event, RunStarted) and event.run_kind == "coordinator" and event.run_id:
                if self.board is None or self.board.run_id != event.run_id:
                    self.board, changed = AuctionBoard(event.run_id), True
            elif self.board is not None and event.run_id == self.board.run_id:
                changed = self.board.apply(event.kind, event.payload()) or changed
        if changed or self.board is None:
            self.query_one(AuctionView).show(self.board)
            self.query_one(MessageView).show(self.board)
