"""FIPA-ACL as JSON: the fields, the performatives, and errors that name what is wrong."""

from __future__ import annotations

import dataclasses

import pytest

from axo_tui.core.acl import AclError, AclMessage, Performative

FIPA = {
    "accept-proposal",
    "agree",
    "cancel",
    "cfp",
    "confirm",
    "disconfirm",
    "failure",
    "inform",
    "inform-if",
    "inform-ref",
    "not-understood",
    "propagate",
    "propose",
    "proxy",
    "query-if",
    "query-ref",
    "refuse",
    "reject-proposal",
    "request",
    "request-when",
    "request-whenever",
    "subscribe",
}


def test_every_fipa_performative_is_known() -> None:
    assert {p.value for p in Performative} == FIPA


def test_round_trip_keeps_every_field() -> None:
    message = AclMessage(
        Performative.CFP,
        "boss",
        ("a", "b"),
        {"task": "x"},
        language="json",
        ontology="jobs",
        protocol="fipa-contract-net",
        conversation_id="c1",
        reply_with="m1",
        in_reply_to="m0",
        reply_by="2026-12-01T10:00:00Z",
    )
    assert AclMessage.from_json(message.to_json()) == message
    assert set(message.to_dict()) == {
        "performative",
        "sender",
        "receivers",
        "content",
        "language",
        "ontology",
        "protocol",
        "conversation_id",
        "reply_with",
        "in_reply_to",
        "reply_by",
    }


def test_receiver_alias_and_sender_override() -> None:
    raw = b'{"performative": "inform", "sender": "admin", "receiver": "b", "content": 1}'
    message = AclMessage.from_json(raw, sender="guest")
    assert message.sender == "guest" and message.receivers == ("b",)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"{", "not JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"performative": "shout", "sender": "a", "receivers": ["b"]}', "'shout' is not one"),
        (b'{"performative": "inform", "sender": "a", "receivers": []}', "receivers must be"),
        (
            b'{"performative": "inform", "sender": "a", "receivers": ["b"], "protocol": 3}',
            "protocol must be a string",
        ),
        (b'{"performative": "inform", "receivers": ["b"]}', "sender must be"),
    ],
)
def test_bad_messages_say_what_is_wrong(raw: bytes, says: str) -> None:
    with pytest.raises(AclError, match=says):
        AclMessage.from_json(raw)


def test_reply_stays_in_the_conversation() -> None:
    asked = AclMessage(Performative.REQUEST, "a", ("b",), "q").addressed()
    answer = asked.reply(Performative.INFORM, "r", sender="b")
    assert answer.receivers == ("a",)
    assert answer.conversation_id == asked.conversation_id
    assert answer.in_reply_to == asked.reply_with


def test_copies_change_only_their_ids_or_their_trace() -> None:
    message = AclMessage(
        Performative.PROPOSE,
        "worker",
        ("boss",),
        {"price": 3},
        ontology="jobs",
        protocol="fipa-contract-net",
        conversation_id="c1",
        reply_with="m1",
        in_reply_to="m0",
        reply_by="2026-12-01T10:00:00Z",
        trace_parent="00-" + "1" * 32 + "-" + "2" * 16 + "-01",
    )
    moved = message.with_ids("c2", "m2", None)
    assert moved == dataclasses.replace(
        message, conversation_id="c2", reply_with="m2", in_reply_to=None
    )
    traced = message.traced("00-" + "3" * 32 + "-" + "4" * 16 + "-01")
    assert traced == dataclasses.replace(message, trace_parent=traced.trace_parent)
    assert traced.trace_parent != message.trace_parent
