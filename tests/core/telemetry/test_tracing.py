"""Spans from the bus: one per run, activation, model call and tool call, with the GenAI
attributes, ids that log lines can name, and the context an outgoing call carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.trace import StatusCode

from axo_tui.core.base.enums import RunStatus
from axo_tui.core.config.schema import WorkflowConfig
from axo_tui.core.events.catalog import (
    AgentActivated,
    AgentFailed,
    RunCompleted,
    RunStarted,
    ToolCalled,
    ToolResult,
)
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.telemetry import propagation
from axo_tui.core.telemetry.ids import span_id_of, trace_id_of
from axo_tui.core.telemetry.tracing import EventTracer, span_sink
from axo_tui.core.tools import Tool, ToolContext, ToolRegistry
from axo_tui.core.tools.builtins import BUILTIN_TOOLS
from tests.support.builders import agent, make_config, scripted, step


def probe_tools(seen: list[dict[str, str]]) -> ToolRegistry:
    """A `probe` tool that records the trace headers an outgoing call would carry."""

    async def probe(context: ToolContext, arguments: dict[str, Any]) -> str:
        seen.append(propagation.trace_headers())
        return "probed"

    tool = Tool("probe", "Probe.", {"type": "object", "properties": {}}, probe)
    return ToolRegistry([*BUILTIN_TOOLS, tool])


async def traced_run(tmp_path: Path, seen: list[dict[str, str]]) -> tuple[str, list[Any]]:
    exporter = InMemorySpanExporter()
    tracer = EventTracer(span_sink(exporter, batch=False))
    config = make_config(
        tmp_path,
        [agent("researcher", tools=("probe",)), agent("writer", "researcher")],
        workflows=[WorkflowConfig(id="w", agents=("researcher", "writer"))],
        providers=[
            scripted({"researcher": [step("", ("probe", {})), "found"], "writer": ["done"]})
        ],
    )
    async with build_runtime(config, subscribers=[tracer], tools=probe_tools(seen)) as rt:
        result = await rt.run_workflow("w", "look")
    tracer.shutdown()
    return result.run_id, list(exporter.get_finished_spans())


async def test_a_run_is_a_tree_of_agent_chat_and_tool_spans(tmp_path: Path) -> None:
    run_id, spans = await traced_run(tmp_path, [])
    by_name = {span.name: span for span in spans}
    assert sorted(by_name) == [
        "chat scripted",
        "execute_tool probe",
        "invoke_agent researcher",
        "invoke_agent writer",
        "run w",
    ]
    assert len(spans) == 7  # three model calls: two of the researcher, one of the writer
    run = by_name["run w"]
    researcher = by_name["invoke_agent researcher"]
    assert run.parent is None
    assert researcher.parent.span_id == run.context.span_id
    assert by_name["invoke_agent writer"].parent.span_id == run.context.span_id
    assert by_name["execute_tool probe"].parent.span_id == researcher.context.span_id
    chats = [s for s in spans if s.name == "chat scripted"]
    assert {c.parent.span_id for c in chats} == {
        researcher.context.span_id,
        by_name["invoke_agent writer"].context.span_id,
    }
    assert all(s.context.trace_id == trace_id_of(run_id) for s in spans)
    assert researcher.context.span_id == span_id_of(researcher.attributes["axo.activation.id"])
    chat = chats[0]
    assert chat.attributes[gen_ai.GEN_AI_OPERATION_NAME] == "chat"
    assert chat.attributes[gen_ai.GEN_AI_PROVIDER_NAME] == "scripted"
    assert chat.attributes[gen_ai.GEN_AI_REQUEST_MODEL] == "scripted"
    assert chat.attributes[gen_ai.GEN_AI_USAGE_INPUT_TOKENS] > 0
    assert chat.attributes[gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS] > 0
    assert researcher.attributes[gen_ai.GEN_AI_OPERATION_NAME] == "invoke_agent"
    assert by_name["execute_tool probe"].attributes[gen_ai.GEN_AI_TOOL_NAME] == "probe"
    for span in spans:  # children inside their parents, in time
        assert span.start_time <= span.end_time
        if span.parent is not None:
            parent = next(p for p in spans if p.context.span_id == span.parent.span_id)
            assert parent.start_time <= span.start_time and span.end_time <= parent.end_time


async def test_a_tool_call_carries_its_own_span_as_traceparent(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []
    run_id, spans = await traced_run(tmp_path, seen)
    (tool_span,) = [s for s in spans if s.name == "execute_tool probe"]
    parsed = propagation.parse_traceparent(seen[0]["traceparent"])
    assert parsed == (trace_id_of(run_id), tool_span.context.span_id, True)


async def test_a_run_started_for_a_remote_caller_joins_its_trace(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    tracer = EventTracer(span_sink(exporter, batch=False))
    config = make_config(tmp_path, [agent("a")], providers=[scripted({"a": ["hi"]})])
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with build_runtime(config, subscribers=[tracer]) as rt:
        propagation.adopt({"traceparent": caller})
        await rt.run_agent("a", "x")
    tracer.shutdown()
    (run,) = [s for s in exporter.get_finished_spans() if s.name.startswith("run ")]
    assert run.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert run.parent.span_id == 0xB7AD6B7169203331 and run.parent.is_remote


async def test_a_failed_call_marks_its_spans(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    tracer = EventTracer(span_sink(exporter, batch=False))
    config = make_config(tmp_path, [agent("a", provider="nowhere")], providers=[scripted()])
    async with build_runtime(config, subscribers=[tracer]) as rt:
        await rt.run_agent("a", "x")
    tracer.shutdown()
    (activation,) = [s for s in exporter.get_finished_spans() if s.name == "invoke_agent a"]
    assert activation.status.status_code is StatusCode.ERROR
    assert "nowhere" in (activation.status.description or "")


async def test_a_caller_that_records_nothing_gets_no_spans_but_its_flag_travels(
    tmp_path: Path,
) -> None:
    exporter = InMemorySpanExporter()
    tracer = EventTracer(span_sink(exporter, batch=False))
    seen: list[dict[str, str]] = []
    config = make_config(
        tmp_path,
        [agent("a", tools=("probe",))],
        providers=[scripted({"a": [step("", ("probe", {})), "done"]})],
    )
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"  # not sampled
    async with build_runtime(config, subscribers=[tracer], tools=probe_tools(seen)) as rt:
        propagation.adopt({"traceparent": caller})
        await rt.run_agent("a", "x")
    tracer.shutdown()
    assert exporter.get_finished_spans() == ()
    parsed = propagation.parse_traceparent(seen[0]["traceparent"])
    assert parsed is not None and parsed[0] == 0x0AF7651916CD43DD8448EB211C80319C
    assert parsed[2] is False


def test_a_tool_call_ending_after_its_activation_is_still_its_child() -> None:
    exporter = InMemorySpanExporter()
    tracer = EventTracer(span_sink(exporter, batch=False))
    ids = {"run_id": "r1", "agent_id": "a"}
    tracer(RunStarted(seq=1, ts=1.0, run_kind="agent", target="a", input="x", **ids))
    tracer(AgentActivated(seq=2, ts=2.0, activation_id="act", trigger="input", input="x", **ids))
    tracer(
        ToolCalled(
            seq=3, ts=3.0, activation_id="act", call_id="c", tool="slow", arguments={}, **ids
        )
    )
    tracer(AgentFailed(seq=4, ts=4.0, activation_id="act", error="timed out", **ids))
    tracer(
        ToolResult(
            seq=5,
            ts=5.0,
            activation_id="act",
            call_id="c",
            tool="slow",
            ok=False,
            result="cancelled",
            **ids,
        )
    )
    tracer(
        RunCompleted(seq=6, ts=6.0, status=RunStatus.FAILED, output="", error="timed out", **ids)
    )
    tracer.shutdown()
    spans = {span.name: span for span in exporter.get_finished_spans()}
    activation, tool = spans["invoke_agent a"], spans["execute_tool slow"]
    assert tool.parent.span_id == activation.context.span_id
    assert activation.parent.span_id == spans["run a"].context.span_id
    assert (
        tool.status.status_code is StatusCode.ERROR
        and tool.attributes["error.type"] == "tool_error"
    )
    assert activation.status.description == "timed out"
    assert (tool.start_time, tool.end_time) == (3_000_000_000, 5_000_000_000)
