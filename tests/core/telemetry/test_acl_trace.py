"""Trace context inside ACL messages: the router stamps the sender's span on a message as
`traceparent`, it survives the JSON shape, and an LLM agent's turn on it joins the
sender's trace."""

from __future__ import annotations

import asyncio
from pathlib import Path

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from axo_tui.core.acl.message import AclMessage, Performative
from axo_tui.core.acl.router import AclRouter
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.telemetry import propagation
from axo_tui.core.telemetry.tracing import EventTracer, span_sink
from tests.support.builders import agent, make_config, scripted

CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class Inbox:
    def __init__(self) -> None:
        self.got: list[AclMessage] = []

    def deliver(self, message: AclMessage) -> None:
        self.got.append(message)


def request(sender: str = "a") -> AclMessage:
    return AclMessage(Performative.REQUEST, sender, ("b",), "hello")


def test_the_traceparent_is_a_field_of_the_json_shape_and_a_bad_one_is_dropped() -> None:
    traced = request().traced(CALLER)
    assert traced.to_dict()["traceparent"] == CALLER
    assert AclMessage.from_json(traced.to_json()).trace_parent == CALLER
    assert traced.addressed().trace_parent == CALLER  # new ids keep it
    assert "traceparent" not in request().to_dict()  # untraced: the shape as before
    bad = {**request().to_dict(), "traceparent": "00-nothex-01"}
    assert AclMessage.from_dict(bad).trace_parent is None
    assert AclMessage.from_dict({**request().to_dict(), "traceparent": 7}).trace_parent is None


async def test_the_router_stamps_the_span_of_the_sending_task() -> None:
    router, inbox = AclRouter(), Inbox()
    router.register("b", inbox)
    router.send(request())  # no span current: nothing to carry

    async def traced_sender() -> None:
        propagation.ACTIVE.set(CALLER)
        router.send(request())

    await asyncio.create_task(traced_sender())  # a task of its own: ACTIVE stays there
    assert [m.trace_parent for m in inbox.got] == [None, CALLER]


async def test_an_llm_agents_turn_on_a_message_joins_the_senders_trace(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    tracer = EventTracer(span_sink(exporter, batch=False))
    config = make_config(tmp_path, [agent("b")], providers=[scripted({"b": ["noted"]})])
    async with build_runtime(config, subscribers=[tracer]) as runtime:
        assert runtime.messaging is not None

        async def send() -> AclMessage | None:
            propagation.ACTIVE.set(CALLER)  # as a traced activation's task has it
            assert runtime.messaging is not None
            _, reply = await runtime.messaging.send(request("user"), wait_secs=10)
            return reply

        reply = await asyncio.create_task(send())
    assert reply is not None and reply.content == "noted"
    (run,) = [s for s in exporter.get_finished_spans() if s.name == "run b"]
    assert run.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert run.parent is not None and run.parent.span_id == 0xB7AD6B7169203331
