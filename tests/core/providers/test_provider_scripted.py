"""The scripted provider: per-agent scripts, cycling, tool calls, templates, usage."""

from __future__ import annotations

import asyncio

from axo_tui.core.config.schema import ProviderConfig, ProviderKind, ScriptedStep
from axo_tui.core.providers.base import ChatRequest, Message, ToolCall, complete
from axo_tui.core.providers.registry import build_provider
from axo_tui.core.providers.scripted import ScriptedProvider, split_words
from tests.support.providers import collect


def scripted(**kwargs: object) -> ScriptedProvider:
    return ScriptedProvider(ProviderConfig(name="demo", kind=ProviderKind.SCRIPTED, **kwargs))  # type: ignore[arg-type]


def ask(text: str, agent: str | None = None, *history: Message) -> ChatRequest:
    return ChatRequest(model="", messages=(*history, Message("user", text)), agent_id=agent)


async def test_text_streams_word_by_word_and_joins_back_exactly() -> None:
    provider = scripted(script=(ScriptedStep("Hello there,  world!\nBye"),))
    deltas, final = await collect(provider, ask("hi"))
    assert deltas == ["Hello ", "there,  ", "world!\n", "Bye"]
    assert "".join(deltas) == final.text == "Hello there,  world!\nBye"
    assert final.finish_reason == "stop"
    assert final.provider == "demo"
    assert final.model == "scripted"


def test_split_words_keeps_every_character() -> None:
    for text in ["", "  lead", "trail  ", "a\tb\n\nc", "one"]:
        assert "".join(split_words(text)) == text


async def test_per_agent_scripts_advance_independently_and_cycle() -> None:
    provider = scripted(
        script=(ScriptedStep("shared-1"), ScriptedStep("shared-2")),
        replies=(("alice", (ScriptedStep("a1"), ScriptedStep("a2"))),),
    )

    async def reply(agent: str | None) -> str:
        return (await complete(provider, ask("x", agent))).text

    assert await reply("alice") == "a1"
    assert await reply("bob") == "shared-1"
    assert await reply("alice") == "a2"
    assert await reply("carol") == "shared-1"  # the shared script has a position per agent
    assert await reply("alice") == "a1"  # cycled
    assert await reply("bob") == "shared-2"
    assert await reply("bob") == "shared-1"
    provider.reset()
    assert await reply("alice") == "a1"


async def test_concurrent_calls_never_share_a_step() -> None:
    provider = scripted(script=tuple(ScriptedStep(f"step {i}") for i in range(5)))
    replies = await asyncio.gather(*(complete(provider, ask("x", "a")) for _ in range(5)))
    assert sorted(r.text for r in replies) == [f"step {i}" for i in range(5)]


async def test_tool_calls_with_templates_then_text_echoing_the_tool_result() -> None:
    provider = scripted(
        script=(
            ScriptedStep(
                "Searching for {input}",
                tool_calls=(("web_search", {"q": "{input}", "opts": ["{input}", 3]}),),
            ),
            ScriptedStep("Found: {last_tool_result}"),
        )
    )
    first = await complete(provider, ask("photosynthesis", "researcher"))
    assert first.text == "Searching for photosynthesis"
    assert first.finish_reason == "tool_calls"
    assert first.tool_calls == (
        ToolCall(
            id="call_researcher_0_0",
            name="web_search",
            arguments={"q": "photosynthesis", "opts": ["photosynthesis", 3]},
        ),
    )
    history = (
        Message("user", "photosynthesis"),
        Message("assistant", first.text, tool_calls=first.tool_calls),
        Message("tool", "light -> sugar", tool_call_id="call_researcher_0_0", name="web_search"),
    )
    second = await complete(
        provider, ChatRequest(model="m", messages=history, agent_id="researcher")
    )
    assert second.text == "Found: light -> sugar"
    assert second.tool_calls == ()
    assert second.model == "m"


async def test_braces_in_step_text_are_left_alone() -> None:
    provider = scripted(script=(ScriptedStep('{"json": true} {unknown} {input}'),))
    assert (await complete(provider, ask("in"))).text == '{"json": true} {unknown} in'


async def test_without_a_script_it_echoes_the_input() -> None:
    provider = scripted()
    reply = await complete(provider, ask("x" * 300, "writer"))
    assert reply.text == "[writer] " + "x" * 200
    anonymous = await complete(provider, ask("hello"))
    assert anonymous.text == "[demo] hello"


async def test_usage_is_taken_from_the_step_or_estimated() -> None:
    provider = scripted(
        script=(ScriptedStep("given", usage_prompt=11, usage_completion=7), ScriptedStep("x" * 35))
    )
    given = await complete(provider, ask("hi"))
    assert (given.usage.prompt_tokens, given.usage.completion_tokens) == (11, 7)
    request = ask("hi")
    estimated = await complete(provider, request)
    assert estimated.usage.completion_tokens == 10  # 35 chars / 3.5
    assert estimated.usage.prompt_tokens == provider.count_tokens(request.messages, ())


async def test_registry_builds_scripted_without_a_retry_wrapper() -> None:
    cfg = ProviderConfig(name="demo", kind=ProviderKind.SCRIPTED, context_window=4096)
    provider = build_provider(cfg, all_providers={"demo": cfg})
    assert isinstance(provider, ScriptedProvider)
    assert await provider.context_window("any") == 4096
    await provider.aclose()
