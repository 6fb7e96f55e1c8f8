"""The ACL bus: unknown receivers answered, conversations in order, every message observed."""

from __future__ import annotations

import threading

from axo_tui.core.acl import AclMessage, AclRouter, Performative


class Inbox:
    def __init__(self) -> None:
        self.got: list[AclMessage] = []

    def deliver(self, message: AclMessage) -> None:
        self.got.append(message)


def test_unknown_receiver_gets_the_sender_a_failure() -> None:
    router = AclRouter()
    alice, seen = Inbox(), []
    router.register("alice", alice)
    router.observe(seen.append)
    sent = router.send(AclMessage(Performative.REQUEST, "alice", ("nobody", "alice"), "hi"))
    assert [m.performative for m in alice.got] == [Performative.REQUEST, Performative.FAILURE]
    failure = alice.got[1]
    assert failure.sender == "axo" and failure.in_reply_to == sent.reply_with
    assert failure.content == {"error": "unknown receiver: nobody"}
    assert seen == [sent, failure]  # both are observed (journaled)


def test_a_failure_to_nobody_is_not_answered() -> None:
    router = AclRouter()
    seen: list[AclMessage] = []
    router.observe(seen.append)
    router.send(AclMessage(Performative.FAILURE, "a", ("nobody",), "x"))
    assert len(seen) == 1  # observed, and no failure ping-pong


def test_messages_of_a_conversation_arrive_in_order_from_threads() -> None:
    router = AclRouter()
    bob = Inbox()
    router.register("bob", bob)

    def talk(conversation: str) -> None:
        for n in range(500):
            router.send(
                AclMessage(
                    Performative.INFORM, conversation, ("bob",), n, conversation_id=conversation
                )
            )

    threads = [threading.Thread(target=talk, args=(f"c{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        assert [m.content for m in bob.got if m.conversation_id == f"c{i}"] == list(range(500))


def test_every_message_gets_ids_so_it_can_be_answered() -> None:
    router = AclRouter()
    router.register("b", Inbox())
    sent = router.send(AclMessage(Performative.QUERY_IF, "a", ("b",), "?"))
    assert sent.conversation_id.startswith("c-") and sent.reply_with.startswith("m-")
