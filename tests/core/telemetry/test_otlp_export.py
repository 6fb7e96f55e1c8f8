"""OTLP export over real HTTP: spans reach a collector on 127.0.0.1 only when
`observability.otlp_endpoint` names one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from axo_tui.core.config.schema import ObservabilityConfig
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.telemetry.wiring import ProjectTelemetry
from tests.support.builders import agent, make_config, scripted
from tests.support.otlp_collector import Collector, running_collector


@pytest.fixture
def collector() -> Iterator[Collector]:
    with running_collector() as server:
        yield server


async def test_spans_are_exported_to_the_configured_collector(
    tmp_path: Path, collector: Collector
) -> None:
    port = collector.server_address[1]
    config = make_config(
        tmp_path,
        [agent("a")],
        providers=[scripted({"a": ["hello"]})],
        observability=ObservabilityConfig(otlp_endpoint=f"http://127.0.0.1:{port}"),
    )
    telemetry = ProjectTelemetry(config)
    async with build_runtime(config, subscribers=telemetry.subscribers) as rt:
        await rt.run_agent("a", "hi")
    telemetry.close()  # flushes the batch
    assert collector.requests, "the collector received nothing"
    path, content_type, _ = collector.requests[0]
    assert path == "/v1/traces"
    assert content_type == "application/x-protobuf"
    names = {
        span.name
        for _, _, request in collector.requests
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    }
    assert names == {"run a", "invoke_agent a", "chat scripted"}
    service = {
        attribute.key: attribute.value.string_value
        for attribute in collector.requests[0][2].resource_spans[0].resource.attributes
    }
    assert service["service.name"] == "axo"


def test_without_an_endpoint_no_tracer_is_built(tmp_path: Path) -> None:
    config = make_config(tmp_path, [agent("a")])
    telemetry = ProjectTelemetry(config)
    assert telemetry.tracer is None and telemetry.subscribers == []
