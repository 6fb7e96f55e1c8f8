from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from axo_tui.core.acl import AclRouter
from axo_tui.core.wasm.host import WasmHost
from axo_tui.core.wasm.limits import RestartPolicy
from tests.support.wasm_bus import Events, Probe


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
