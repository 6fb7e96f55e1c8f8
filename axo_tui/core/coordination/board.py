"""The auction board of a coordinator pass: its subtasks, their auctions and the messages.

Folded from events (`coordinator.plan`, `coordinator.auction`, `coordinator.subtask`,
`acl.message`), live in the workbench or from the journal for `axo runs show`, so both
show the same thing. `to_dict()` is the `coordination` object of `axo runs show --json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PLANNED, WORKING, DONE, FAILED = "planned", "working", "done", "failed"


@dataclass
class SubtaskRow:
    id: str
    name: str
    tools: list[str]
    source: str
    status: str = PLANNED
    worker: str | None = None
    adhoc: bool = False
    bids: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)
    missed_reply_by: list[str] = field(default_factory=list)
    result: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "tools": self.tools,
            "source": self.source,
            "status": self.status,
            "worker": self.worker,
            "adhoc": self.adhoc,
            "bids": self.bids,
            "refusals": self.refusals,
            "missed_reply_by": self.missed_reply_by,
            "result": self.result,
        }


@dataclass
class AuctionBoard:
    run_id: str
    goal: str = ""
    subtasks: dict[str, SubtaskRow] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    """The Contract Net messages in order: performative, sender, receivers, conversation."""

    def apply(self, kind: str, fields: Mapping[str, Any]) -> bool:
        """Fold one event of this run in; True when the board changed."""
        if kind == "coordinator.plan":
            self.goal = str(fields.get("goal", ""))
            for entry in json.loads(str(fields.get("subtasks", "[]"))):
                sid = str(entry["id"])
                self.subtasks.setdefault(
                    sid,
                    SubtaskRow(
                        sid,
                        str(entry["name"]),
                        list(entry.get("tools", [])),
                        entry.get("source", ""),
                    ),
                )
            return True
        if kind == "coordinator.auction":
            row = self.subtasks.get(str(fields.get("subtask_id")))
            if row is None:
                return False
            outcome = json.loads(str(fields.get("outcome", "{}")))
            row.adhoc = bool(fields.get("adhoc"))
            if not row.adhoc:  # an ad-hoc worker's auction follows the one nobody could bid in
                row.refusals, row.missed_reply_by = [], []
            row.bids = list(outcome.get("bids", []))
            row.refusals += list(outcome.get("refusals", []))
            row.missed_reply_by += list(outcome.get("missed_reply_by", []))
            winner = fields.get("winner")
            if winner:
                row.worker, row.status = str(winner), WORKING
            return True
        if kind == "coordinator.subtask":
            row = self.subtasks.get(str(fields.get("subtask_id")))
            if row is None:
                return False
            row.status = DONE if fields.get("ok") else FAILED
            row.worker = str(fields.get("worker") or "") or row.worker
            row.result = str(fields.get("text", ""))
            return True
        if kind == "acl.message" and fields.get("protocol") == "fipa-contract-net":
            self.messages.append(
                {
                    "performative": fields.get("performative"),
                    "sender": fields.get("sender"),
                    "receivers": list(fields.get("receivers") or []),
                    "conversation_id": fields.get("conversation_id"),
                }
            )
            return True
        return False

    def to_dict(self) -> dict[str, Any]:
        return {
            "goal": self.goal,
            "subtasks": [row.to_dict() for row in self.subtasks.values()],
            "messages": self.messages,
        }

    def summary(self) -> str:
        """One line per subtask, as `axo runs show` and the workbench print it."""
        lines = []
        for row in self.subtasks.values():
            tools = f" [{', '.join(row.tools)}]" if row.tools else ""
            who = f" → {row.worker}{' (ad-hoc)' if row.adhoc else ''}" if row.worker else ""
            lines.append(f"{row.id} {row.name}{tools}{who}  {row.status}")
            bids = ", ".join(f"{b['bidder']} {b['score']:.3f}" for b in row.bids)
            if bids:
                lines.append(f"    bids: {bids}")
            for refusal in row.refusals:
                lines.append(f"    refused: {refusal['bidder']} ({refusal['reason']})")
            if row.missed_reply_by:
                lines.append(f"    missed reply_by: {', '.join(row.missed_reply_by)}")
        return "\n".join(lines)
