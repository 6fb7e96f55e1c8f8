"""One FIPA-ACL message: the fields, the performatives, and its JSON shape (docs/abi.md)."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from axo_tui.core.base.errors import AxoError
from axo_tui.core.telemetry.propagation import TRACEPARENT, parse_traceparent

MAX_MESSAGE_BYTES = 1 << 20
"""A message's JSON is at most 1 MiB: a guest cannot flood the bus with one send."""


class AclError(AxoError):
    """A message that is not valid ACL (says which field and why)."""


class Performative(StrEnum):
    ACCEPT_PROPOSAL = "accept-proposal"
    AGREE = "agree"
    CANCEL = "cancel"
    CFP = "cfp"
    CONFIRM = "confirm"
    DISCONFIRM = "disconfirm"
    FAILURE = "failure"
    INFORM = "inform"
    INFORM_IF = "inform-if"
    INFORM_REF = "inform-ref"
    NOT_UNDERSTOOD = "not-understood"
    PROPAGATE = "propagate"
    PROPOSE = "propose"
    PROXY = "proxy"
    QUERY_IF = "query-if"
    QUERY_REF = "query-ref"
    REFUSE = "refuse"
    REJECT_PROPOSAL = "reject-proposal"
    REQUEST = "request"
    REQUEST_WHEN = "request-when"
    REQUEST_WHENEVER = "request-whenever"
    SUBSCRIBE = "subscribe"


_PERFORMATIVES = {p.value: p for p in Performative}
NO_FAILURE_REPLY = frozenset({Performative.FAILURE, Performative.NOT_UNDERSTOOD})
"""Never answered with a `failure`: two failing agents must not loop."""

_OPTIONAL_TEXT = ("language", "ontology", "protocol", "reply_with", "in_reply_to", "reply_by")


_PROCESS = os.urandom(5).hex()
_SERIAL = itertools.count(1)


def new_id(prefix: str) -> str:
    """Unique across processes (a random part per process) and cheap (a counter): the bus
    gives every message two of them."""
    return f"{prefix}-{_PROCESS}{next(_SERIAL):x}"


@dataclass(frozen=True, slots=True)
class AclMessage:
    performative: Performative
    sender: str
    receivers: tuple[str, ...]
    content: Any = None
    language: str | None = "json"
    ontology: str | None = None
    protocol: str | None = None
    conversation_id: str = ""
    reply_with: str | None = None
    in_reply_to: str | None = None
    reply_by: str | None = None
    trace_parent: str | None = None
    """The sender's span as a W3C traceparent (JSON `traceparent`, only when set): the
    receiver's turn joins the sender's trace. Stamped by the router."""

    def to_dict(self) -> dict[str, Any]:
        shape = {
            "performative": self.performative.value,
            "sender": self.sender,
            "receivers": list(self.receivers),
            "content": self.content,
            "language": self.language,
            "ontology": self.ontology,
            "protocol": self.protocol,
            "conversation_id": self.conversation_id,
            "reply_with": self.reply_with,
            "in_reply_to": self.in_reply_to,
            "reply_by": self.reply_by,
        }
        if self.trace_parent is not None:
            shape[TRACEPARENT] = self.trace_parent
        return shape

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict())

    def addressed(self) -> AclMessage:
        """With a conversation id and a reply-with id, so the message can be answered."""
        if self.conversation_id and self.reply_with:
            return self
        return self.with_ids(
            self.conversation_id or new_id("c"), self.reply_with or new_id("m"), self.in_reply_to
        )

    def with_ids(
        self, conversation_id: str, reply_with: str | None, in_reply_to: str | None
    ) -> AclMessage:
        """A copy with these ids."""
        return self._copy(conversation_id, reply_with, in_reply_to, self.trace_parent)

    def traced(self, trace_parent: str) -> AclMessage:
        """A copy carrying `trace_parent`."""
        return self._copy(self.conversation_id, self.reply_with, self.in_reply_to, trace_parent)

    def _copy(
        self,
        conversation_id: str,
        reply_with: str | None,
        in_reply_to: str | None,
        trace_parent: str | None,
    ) -> AclMessage:
        # By position, not `dataclasses.replace` (several times slower): a hot path.
        return AclMessage(
            self.performative,
            self.sender,
            self.receivers,
            self.content,
            self.language,
            self.ontology,
            self.protocol,
            conversation_id,
            reply_with,
            in_reply_to,
            self.reply_by,
            trace_parent,
        )

    def reply(self, performative: Performative, content: Any, *, sender: str) -> AclMessage:
        """An answer to this message from `sender`, in the same conversation."""
        return AclMessage(
            performative=performative,
            sender=sender,
            receivers=(self.sender,),
            content=content,
            protocol=self.protocol,
            conversation_id=self.conversation_id,
            in_reply_to=self.reply_with,
        )

    @classmethod
    def from_json(cls, data: bytes | str, *, sender: str | None = None) -> AclMessage:
        """Parse one message; `sender` (a guest's own name) overrides what it claims."""
        if len(data) > MAX_MESSAGE_BYTES:
            raise AclError(f"message is {len(data)} bytes; the limit is {MAX_MESSAGE_BYTES}")
        try:
            raw = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise AclError(f"message is not JSON: {exc}") from None
        return cls.from_dict(raw, sender=sender)

    @classmethod
    def from_dict(cls, raw: Any, *, sender: str | None = None) -> AclMessage:
        if not isinstance(raw, dict):
            raise AclError("message must be a JSON object")
        name = raw.get("performative")
        performative = _PERFORMATIVES.get(name) if isinstance(name, str) else None
        if performative is None:
            known = ", ".join(sorted(_PERFORMATIVES))
            raise AclError(f"performative {name!r} is not one of: {known}")
        receivers = raw.get("receivers", raw.get("receiver"))
        if isinstance(receivers, str):
            receivers = [receivers]
        if (
            not isinstance(receivers, list)
            or not receivers
            or not all(isinstance(r, str) and r for r in receivers)
        ):
            raise AclError("receivers must be a non-empty list of agent names")
        who = sender if sender is not None else raw.get("sender")
        if not isinstance(who, str) or not who:
            raise AclError("sender must be an agent name")
        texts: dict[str, str | None] = {}
        for key in _OPTIONAL_TEXT:
            value = raw.get(key)
            if value is not None and not isinstance(value, str):
                raise AclError(f"{key} must be a string or null")
            texts[key] = value
        conversation = raw.get("conversation_id") or ""
        if not isinstance(conversation, str):
            raise AclError("conversation_id must be a string")
        return cls(
            performative=performative,
            sender=who,
            receivers=tuple(receivers),
            content=raw.get("content"),
            language=texts["language"] if "language" in raw else "json",
            ontology=texts["ontology"],
            protocol=texts["protocol"],
            conversation_id=conversation,
            reply_with=texts["reply_with"],
            in_reply_to=texts["in_reply_to"],
            reply_by=texts["reply_by"],
            trace_parent=_trace_parent(raw.get(TRACEPARENT)),
        )


def _trace_parent(value: Any) -> str | None:
    """A valid traceparent, else None: a bad one is dropped, as W3C says (the receiver
    starts a trace of its own), never an error."""
    return value if isinstance(value, str) and parse_traceparent(value) else None
