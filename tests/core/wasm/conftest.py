from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.acl import AclMessage, AclRouter, Performative
from axo_tui.core.wasm.host import WasmHost
from axo_tui.core.wasm.limits import RestartPolicy


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
    def __init__(self) -> None:
        self.items: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, kind: str, agent: str, fields: dict[str, Any]) -> None:
        self.items.append((kind, agent, fields))

    def of(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(agent, fields) for k, agent, fields in self.items if k == kind]


@pytest.fixture
def router() -> AclRouter:
    return AclRouter()


@pytest.fixture
def probe(router: AclRouter) -> Probe:
    probe = Probe()
    router.register("probe", probe)
    return probe


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def host(router: AclRouter, events: Events, tmp_path: Path) -> Iterator[WasmHost]:
    host = WasmHost(
        router,
        data_dir=tmp_path,
        on_event=events,
        policy=RestartPolicy(failure_threshold=3, cooldown_secs=60, backoff_base_secs=0.01),
    )
    host.start()
    yield host
    host.close()
