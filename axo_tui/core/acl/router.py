"""The message bus: one router carries ACL messages between every kind of agent.

Delivery is a synchronous hand-off into the receiver's own FIFO mailbox, made in the sender's
thread, so messages from one sender reach a receiver in the order they were sent, and a
conversation stays in order. A receiver nobody registered answers with a `failure` from
`axo`: a message is never silently lost. Every message passes the observers (the journal,
the workbench) before it is delivered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from axo_tui.core.acl.message import NO_FAILURE_REPLY, AclMessage, Performative
from axo_tui.core.telemetry.propagation import ACTIVE

SYSTEM_SENDER = "axo"
"""Who signs the bus's own replies (an unknown receiver)."""

Observer = Callable[[AclMessage], None]


class Endpoint(Protocol):
    """A registered receiver: takes a message without blocking, from any thread."""

    def deliver(self, message: AclMessage) -> None: ...


class AclRouter:
    def __init__(self) -> None:
        self._endpoints: dict[str, Endpoint] = {}
        self._observers: list[Observer] = []
        self._lock = threading.Lock()

    def register(self, name: str, endpoint: Endpoint) -> None:
        with self._lock:
            self._endpoints = {**self._endpoints, name: endpoint}

    def unregister(self, name: str, endpoint: Endpoint | None = None) -> None:
        """Remove `name` (only if it is still `endpoint`, when given)."""
        with self._lock:
            if endpoint is not None and self._endpoints.get(name) is not endpoint:
                return
            self._endpoints = {k: v for k, v in self._endpoints.items() if k != name}

    def endpoint(self, name: str) -> Endpoint | None:
        return self._endpoints.get(name)

    def names(self) -> list[str]:
        return sorted(self._endpoints)

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer` with every message (in the sender's thread; keep it quick)."""
        with self._lock:
            self._observers = [*self._observers, observer]

        def stop() -> None:
            with self._lock:
                self._observers = [o for o in self._observers if o is not observer]

        return stop

    def send(self, message: AclMessage) -> AclMessage:
        """Route `message` (given ids when it has none); returns it as routed."""
        message = message.addressed()
        if message.trace_parent is None and (span := ACTIVE.get()) is not None:
            message = message.traced(span)  # sent from a traced task: the receiver joins it
        for observer in self._observers:
            observer(message)
        endpoints = self._endpoints  # copy-on-write: a stable snapshot without the lock
        unknown = []
        for name in message.receivers:
            endpoint = endpoints.get(name)
            if endpoint is None:
                unknown.append(name)
            else:
                endpoint.deliver(message)
        if unknown and message.performative not in NO_FAILURE_REPLY:
            reason = f"unknown receiver: {', '.join(unknown)}"
            self.send(message.reply(Performative.FAILURE, {"error": reason}, sender=SYSTEM_SENDER))
        return message
