"""Trace context across processes, over real sockets on 127.0.0.1: an A2A call and an MCP
call (streamable HTTP, and stdio through `_meta`) carry the caller's W3C `traceparent`, the
server's run joins the caller's trace, and each call is a `remote.call` the metrics count."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from axo_tui.core.config.schema import A2ASettings, McpServerConfig, McpTransport
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.telemetry import propagation
from axo_tui.core.telemetry.metrics import RuntimeMetrics
from axo_tui.core.telemetry.tracing import EventTracer, span_sink
from tests.core.tools.mcp_setup import NO_APPROVALS, fixture_http, fixture_stdio, http_server
from tests.serve.a2a.served_a2a import serve_a2a
from tests.support.builders import agent, make_config, scripted, step

FAST = A2ASettings(max_retries=0, timeout_secs=10, deadline_secs=30)


def tracer(exporter: InMemorySpanExporter) -> EventTracer:
    return EventTracer(span_sink(exporter, batch=False))


def named(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    (found,) = [span for span in spans if span.name == name]
    return found


def sample(metrics: RuntimeMetrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


async def test_an_a2a_call_and_the_run_it_starts_are_one_trace(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    server_config = make_config(
        tmp_path / "server", [agent("helper", a2a=A2ASettings(expose=True))]
    )
    metrics = RuntimeMetrics()
    async with serve_a2a(
        server_config, tmp_path / "server" / "data", subscribers=[tracer(exporter)]
    ) as served:
        remote = agent("peer", provider="a2a", url=served.url("helper"), a2a=FAST)
        config = make_config(tmp_path / "client", [remote])
        async with build_runtime(
            config, data_dir=tmp_path / "client" / "data", subscribers=[tracer(exporter), metrics]
        ) as runtime:
            result = await runtime.run_agent("peer", "what is axo")
    assert result.ok, result.errors
    spans = list(exporter.get_finished_spans())
    caller = named(spans, "invoke_agent peer")
    served_run = named(spans, "run helper")
    assert {span.context.trace_id for span in spans} == {caller.context.trace_id}
    assert served_run.parent is not None and served_run.parent.is_remote
    assert served_run.parent.span_id == caller.context.span_id  # the header's span
    assert named(spans, "invoke_agent helper").parent.span_id == served_run.context.span_id
    call = named(spans, "a2a message/stream")
    assert call.parent.span_id == caller.context.span_id
    assert call.attributes["rpc.system"] == "a2a"
    assert sample(metrics, "axo_a2a_calls_total", target="peer", outcome="ok") == 1


async def test_an_mcp_call_over_http_and_the_run_it_starts_are_one_trace(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    server_config = make_config(tmp_path / "server", [agent("helper")])
    metrics = RuntimeMetrics()
    async with serve_a2a(
        server_config, tmp_path / "server" / "data", subscribers=[tracer(exporter)]
    ) as served:
        axo = McpServerConfig(id="axo", transport=McpTransport.HTTP, url=served.base + "/mcp")
        tool = "mcp__axo__agent_helper"
        config = make_config(
            tmp_path / "client",
            [agent("caller", tools=(tool,))],
            providers=[scripted({"caller": [step("", (tool, {"input": "hi"})), "done"]})],
            mcp_servers=(axo,),
            approvals=NO_APPROVALS,
        )
        async with build_runtime(
            config, data_dir=tmp_path / "client" / "data", subscribers=[tracer(exporter), metrics]
        ) as runtime:
            result = await runtime.run_agent("caller", "go")
    assert result.ok, result.errors
    spans = list(exporter.get_finished_spans())
    tool_span = named(spans, f"execute_tool {tool}")
    served_run = named(spans, "run helper")
    assert {span.context.trace_id for span in spans} == {tool_span.context.trace_id}
    assert served_run.parent.span_id == tool_span.context.span_id and served_run.parent.is_remote
    call = named(spans, "mcp tools/call agent_helper")
    assert call.parent.span_id == named(spans, "invoke_agent caller").context.span_id
    assert sample(metrics, "axo_mcp_calls_total", server="axo", outcome="ok") == 1


async def test_an_mcp_call_over_stdio_carries_the_traceparent_in_meta(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    tool = "mcp__fixture__trace"
    config = make_config(
        tmp_path,
        [agent("caller", tools=(tool,))],
        providers=[scripted({"caller": [step("", (tool, {})), "done"]})],
        mcp_servers=(fixture_stdio(),),
        approvals=NO_APPROVALS,
    )
    results: list[Any] = []
    async with build_runtime(config, subscribers=[tracer(exporter)]) as runtime:
        stop = runtime.watch(lambda e: results.append(e) if e.kind == "tool.result" else None)
        await runtime.run_agent("caller", "go")
        stop()
    (result,) = results
    tool_span = named(list(exporter.get_finished_spans()), f"execute_tool {tool}")
    ids = propagation.parse_traceparent(result.result)
    assert ids == (tool_span.context.trace_id, tool_span.context.span_id, True)


async def test_an_mcp_call_over_http_sends_the_traceparent_header(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    tool = "mcp__web__headers"
    with fixture_http() as url:
        config = make_config(
            tmp_path,
            [agent("caller", tools=(tool,))],
            providers=[scripted({"caller": [step("", (tool, {})), "done"]})],
            mcp_servers=(http_server(url),),
            approvals=NO_APPROVALS,
        )
        results: list[Any] = []
        async with build_runtime(config, subscribers=[tracer(exporter)]) as runtime:
            stop = runtime.watch(lambda e: results.append(e) if e.kind == "tool.result" else None)
            await runtime.run_agent("caller", "go")
            stop()
    (result,) = results
    tool_span = named(list(exporter.get_finished_spans()), f"execute_tool {tool}")
    sent = json.loads(result.result)["traceparent"]
    assert propagation.parse_traceparent(sent) == (
        tool_span.context.trace_id,
        tool_span.context.span_id,
        True,
    )
