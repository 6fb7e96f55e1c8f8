"""A `kind: wasm` agent carries out a skill like any agent: fired, it gets the skill's prompt and
the input as its request, its answer is the skill's output and the payload of the signal the
skill emits, so the skill that reacts to it hands it to its LLM agent; the run completes and
is in the journal. The config is read from YAML; the WASM agent is a WAT guest that answers
with the whole message it got (tests/support/wasm_echo.py); the LLM agent talks to a fake
OpenAI server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from axo_tui.core.base.enums import ActivationStatus, RunStatus
from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime
from tests.support.dialects import openai_chat
from tests.support.model_server import ModelServer
from tests.support.wasm_echo import echo_guest

CHAT = "/v1/chat/completions"
CONFIG = """\
agents:
  - id: stamper
    kind: wasm
    module: agents/stamper.wasm
  - id: writer
    provider: fake
    system_prompt: Write notes on what you are given.
skills:
  - id: stamp
    agents: [stamper]
    prompt: Stamp this parcel.
    emits: [Stamped]
  - id: notes
    reacts_to: [Stamped]
    agents: [writer]
    prompt: Write a note on the stamp.
providers:
  fake:
    kind: openai
    base_url: {url}
    model: m-1
    max_retries: 0
"""


@pytest.fixture
async def server() -> AsyncIterator[ModelServer]:
    async with ModelServer() as fake:
        yield fake


async def test_a_wasm_agent_in_a_skill_cascade_feeds_the_next_agent(
    tmp_path: Path, server: ModelServer
) -> None:
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "stamper.wasm").write_bytes(echo_guest("workflow"))
    (tmp_path / "axo.yaml").write_text(CONFIG.replace("{url}", server.url), encoding="utf-8")
    server.reply(CHAT, openai_chat("m-1", ["Noted: ", "one stamp."], prompt=40, completion=4))
    config = load_config(tmp_path / "axo.yaml")
    async with build_runtime(config, data_dir=tmp_path / "data") as runtime:
        result = await runtime.fire_skill("stamp", "a parcel for Lyon")
        detail = runtime.state.run(result.run_id)
        events = runtime.state.events(run_id=result.run_id, limit=1000)

    assert result.status is RunStatus.COMPLETED, result.errors
    # The WASM agent was sent the skill's prompt and the input, and answered with them.
    saw = json.loads(result.outputs["stamper"])["wasm_saw"]
    assert (saw["sender"], saw["receivers"], saw["performative"]) == (
        "workflow",
        ["stamper"],
        "request",
    )
    assert "Stamp this parcel." in json.dumps(saw["content"])
    assert "a parcel for Lyon" in json.dumps(saw["content"])
    # Its output went on, over the wire, to the LLM agent of the skill that reacts to it.
    (request,) = server.received(CHAT)
    told = request.json()["messages"][-1]
    assert told["role"] == "user"
    assert "Write a note on the stamp." in told["content"]
    assert result.outputs["stamper"] in told["content"]
    assert result.outputs["writer"] == "Noted: one stamp."
    # The journal holds the run, both activations with their outputs, and the ACL exchange
    # under the run (`axo runs show` lists it).
    assert detail is not None and detail.run.status is RunStatus.COMPLETED
    activations = detail.activations
    assert [(a.agent_id, a.trigger, a.status) for a in activations] == [
        ("stamper", "skill:stamp", ActivationStatus.COMPLETED),
        ("writer", "skill:notes", ActivationStatus.COMPLETED),
    ]
    assert activations[0].output == result.outputs["stamper"]
    assert activations[1].output == "Noted: one stamp."
    acl = [e.fields for e in events if e.kind == "acl.message"]
    assert [(m["sender"], m["performative"]) for m in acl] == [
        ("workflow", "request"),
        ("stamper", "inform"),
    ]
