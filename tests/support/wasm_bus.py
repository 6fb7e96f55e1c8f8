"""A test's eyes on the WASM host: a receiver on the ACL bus that keeps what it gets, an
observer of every message on the bus, and sinks for the host's events and `wasm.log` lines."""

from __future__ import annotations

import threading
from typing import Any

from axo_tui.core.acl import AclMessage, Performative


class Probe:
    """A receiver on the bus that keeps what it gets (a test's eyes)."""

    def __init__(self) -> None:
        self.got: list[AclMessage] = []
        self._cond = threading.Condition()

    def deliver(self, message: AclMessage) -> None:
        with self._cond:
            self.got.append(message)
            self._cond.notify_all()

    def reply_to(
        self, sent: AclMessage, performative: Performative | None = None, timeout: float = 10.0
    ) -> AclMessage:
        """The first message answering `sent` (with `performative`, if given), waiting."""

        def answers(m: AclMessage) -> bool:
            wanted = performative is None or m.performative is performative
            return m.in_reply_to == sent.reply_with and wanted

        with self._cond:
            assert self._cond.wait_for(lambda: any(map(answers, self.got)), timeout), self.got
            return next(m for m in self.got if answers(m))

    def wait_for(self, count: int, timeout: float = 10.0) -> list[AclMessage]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.got) >= count, timeout), self.got
            return list(self.got)


class Events:
    """The host's events, (kind, agent, fields), as they came."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, kind: str, agent: str, fields: dict[str, Any]) -> None:
        self.items.append((kind, agent, fields))

    def of(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(agent, fields) for k, agent, fields in self.items if k == kind]


class Logs:
    """The host's `wasm.log` lines, (agent, text), waited on as they arrive."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []
        self._cond = threading.Condition()

    def __call__(self, kind: str, agent: str, fields: dict[str, Any]) -> None:
        if kind == "wasm.log":
            with self._cond:
                self.lines.append((agent, fields["text"]))
                self._cond.notify_all()

    def wait_for(self, agent: str, text: str, timeout: float = 15.0) -> None:
        with self._cond:
            found = self._cond.wait_for(lambda: (agent, text) in self.lines, timeout)
            assert found, f"no {text!r} from {agent} in {self.lines}"


class Exchanges:
    """Every message on the bus; waits for ping's requests that pong answered."""

    def __init__(self) -> None:
        self.seen: list[AclMessage] = []
        self._cond = threading.Condition()

    def __call__(self, message: AclMessage) -> None:
        with self._cond:
            self.seen.append(message)
            self._cond.notify_all()

    def answered(self) -> list[AclMessage]:
        replies = {
            m.in_reply_to
            for m in self.seen
            if m.sender == "pong" and m.performative is Performative.INFORM
        }
        return [
            m
            for m in self.seen
            if m.sender == "ping"
            and m.performative is Performative.REQUEST
            and m.reply_with in replies
        ]

    def wait_for_answers(self, count: int, timeout: float = 15.0) -> list[AclMessage]:
        with self._cond:
            found = self._cond.wait_for(lambda: len(self.answered()) >= count, timeout)
            assert found, f"fewer than {count} pings answered: {self.seen}"
            return self.answered()
