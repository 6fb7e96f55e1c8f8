"""The auction board of a coordinator pass: each subtask, its bids, its winner, its state."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from axo_tui.core.base.terminal_text import neutralise
from axo_tui.core.coordination.board import DONE, FAILED, WORKING, AuctionBoard

STATUS_STYLE = {DONE: "green", FAILED: "red", WORKING: "yellow"}
MESSAGES_SHOWN = 12


def board_table(board: AuctionBoard) -> Table:
    table = Table(expand=True, box=None, pad_edge=False)
    ratios = {"subtask": 3, "tools": 2, "bids": 4, "winner": 2, "state": 1}
    for column, ratio in ratios.items():
        table.add_column(column, no_wrap=column in ("tools", "state"), ratio=ratio)
    for row in board.subtasks.values():
        bids = ", ".join(f"{b['bidder']} {b['score']:.2f}" for b in row.bids)
        refused = [r["bidder"] for r in row.refusals] + [f"{m} (late)" for m in row.missed_reply_by]
        if refused:
            bids += ("; " if bids else "") + "refused: " + ", ".join(refused)
        winner = (row.worker or "–") + (" (ad-hoc)" if row.adhoc else "")
        table.add_row(
            Text(neutralise(f"{row.id} {row.name}")),
            ", ".join(row.tools) or "–",
            Text(neutralise(bids or "–")),
            winner,
            Text(row.status, style=STATUS_STYLE.get(row.status, "dim")),
        )
    return table


def message_lines(board: AuctionBoard) -> Text:
    text = Text()
    for message in board.messages[-MESSAGES_SHOWN:]:
        receivers = ", ".join(message["receivers"])
        text.append(f"{message['performative']:<16}", style="bold")
        text.append(neutralise(f"{message['sender']} → {receivers}\n"))
    return text


class AuctionView(Static):
    """Shows one board; `show(board)` redraws it (or says there is none yet)."""

    def show(self, board: AuctionBoard | None) -> None:
        if board is None:
            self.update(
                "No coordinator pass yet: run a workflow whose entry point is a coordinator."
            )
            return
        self.border_title = neutralise(f"Auctions · {board.goal[:60]}")
        self.update(board_table(board))


class MessageView(Static):
    def show(self, board: AuctionBoard | None) -> None:
        self.update(message_lines(board) if board is not None else "")
