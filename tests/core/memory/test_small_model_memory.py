"""Memory for the embedded small model, which cannot edit its memory itself and echoes prompt
markup back: the runtime keeps what the user asks it to remember, recall brings back what
the user said (never the model's own answers as facts), and the prompt is plain sentences.

The model is scripted here (the runner sees it as `local`); what it was sent is asserted.
`test_local_model_recall.py` drives the real embedded model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from axo_tui.core.config.schema import (
    AgentConfig,
    CoreBlockSpec,
    MemorySettings,
    ProviderConfig,
    ProviderKind,
)
from axo_tui.core.events.catalog import RuntimeNotice
from axo_tui.core.memory.service import AgentMemory
from axo_tui.core.memory.statements import user_fact
from axo_tui.core.providers.base import ChatRequest, StreamChunk
from axo_tui.core.providers.scripted import ScriptedProvider
from axo_tui.core.runtime.agent_turn import ResolvedProvider
from axo_tui.core.runtime.runtime import Runtime
from tests.support.builders import make_config, scripted
from tests.support.embedders import HashEmbedder

BLOCKS = (
    CoreBlockSpec("persona", 500, "Who you are.", value="I am a friendly helper."),
    CoreBlockSpec("human", 500, "What you know about the user."),
)


class Recording(ScriptedProvider):
    def __init__(self, cfg: ProviderConfig) -> None:
        super().__init__(cfg)
        self.requests: list[ChatRequest] = []

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        self.requests.append(request)
        async for chunk in super().stream(request):
            yield chunk


class SeenAs(Runtime):
    """Answers through a recording scripted provider that the runner sees as `kind`."""

    kind = ProviderKind.LOCAL

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.recording = Recording(scripted({"pal": ["The capital of France is Berlin."]}))

    def resolve_provider(self, agent: AgentConfig) -> ResolvedProvider:
        return ResolvedProvider(self.recording, ProviderConfig(name="m", kind=self.kind), "m")

    def systems(self) -> list[str]:
        return [request.messages[0].content for request in self.recording.requests]


class SeenAsOllama(SeenAs):
    kind = ProviderKind.OLLAMA


def pal(provider: str = "local", tools: tuple[str, ...] | None = None) -> AgentConfig:
    return AgentConfig(
        id="pal", provider=provider, tools=tools, memory=MemorySettings(core_blocks=BLOCKS)
    )


def test_what_a_user_asks_to_keep_is_found_without_a_model() -> None:
    assert user_fact("remember: my sister is called Eva") == "The user's sister is called Eva."
    assert user_fact("Please remember that I work nights") == "The user works nights."
    assert user_fact("remember, I'm allergic to nuts") == "The user is allergic to nuts."
    assert user_fact("Remember that I don't eat fish.") == "The user doesn't eat fish."
    assert user_fact("Hi! My name is Ana Lima and I fly kites.") == "The user's name is Ana Lima."
    assert user_fact("call me bo") == "The user's name is Bo."
    for not_asked in ("Do you remember me?", "remember my name?", "What is my name?", "I am tired"):
        assert user_fact(not_asked) is None, not_asked


async def test_the_runtime_keeps_what_the_user_asks_a_local_agent_to_remember(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path, [pal()])
    async with SeenAs(config) as rt:
        notices = rt.bus.subscribe(kinds=[RuntimeNotice.kind])
        await rt.run_agent("pal", "Remember: my sister is called Eva.", session_id="s1")
        await rt.run_agent("pal", "My name is Ana.", session_id="s1")
        await rt.run_agent("pal", "My name is Ana.", session_id="s2")  # said again: kept once
        human = rt.memory.core.block(pal(), "human").value
        first, second, _third = rt.systems()
        messages = [event.to_dict()["message"] for event in notices.drain()]
    assert human == "The user's sister is called Eva.\nThe user's name is Ana."
    # Saved before the call: the very turn that said it already sees it.
    assert "Your memory of the user: The user's sister is called Eva." in first
    assert "The user's name is Ana." in second
    assert messages == [
        "kept in core memory block 'human': The user's sister is called Eva.",
        "kept in core memory block 'human': The user's name is Ana.",
    ]


async def test_an_agent_that_edits_its_own_memory_is_left_to_do_so(tmp_path: Path) -> None:
    config = make_config(tmp_path, [pal(tools=("core_memory_append",))])
    async with SeenAs(config) as rt:
        await rt.run_agent("pal", "Remember: my sister is called Eva.")
        assert rt.memory.core.block(pal(), "human").value == ""


async def test_the_small_model_gets_sentences_and_never_its_own_answers(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path, [pal()])
    async with SeenAs(config) as rt:
        rt.memory.semantic._embedder = HashEmbedder()  # instant, and no MiniLM in this test
        await rt.run_agent("pal", "What is the capital of France?", session_id="s1")
        await rt.run_agent("pal", "Tell me about the capital of France.", session_id="s2")
        system = rt.systems()[-1]
    assert "You are the agent" not in system and "(id: pal)" not in system
    assert "<" not in system and ">" not in system  # no markup to echo
    assert "Your memory of yourself: I am a friendly helper." in system
    assert 'the user wrote: "What is the capital of France?"' in system
    assert "Berlin" not in system  # the model's wrong answer is not recalled as a fact


async def test_bigger_models_recall_what_the_user_said_and_see_replies_marked(
    tmp_path: Path,
) -> None:
    agent = pal(provider="ollama")
    config = make_config(tmp_path, [agent])
    async with SeenAsOllama(config) as rt:
        rt.memory.semantic._embedder = HashEmbedder()
        await rt.run_agent("pal", "What is the capital of France?", session_id="s1")
        await rt.run_agent("pal", "Tell me about the capital of France.", session_id="s2")
        system = rt.systems()[-1]
        hits = await rt.memory.search("pal", "capital of France", 1)
    recalled = system.split("<recalled_memories>", 1)[1]
    assert "user: What is the capital of France?" in recalled
    assert "Berlin" not in recalled
    # recall_search shows the reply, as the agent's own and unchecked.
    shown = AgentMemory.format_hit(hits[0])
    assert "user: What is the capital of France?" in shown
    assert "your reply then (unchecked): The capital of France is Berlin." in shown


async def test_exchanges_stored_before_are_recalled_without_their_answer(tmp_path: Path) -> None:
    memory = AgentMemory(tmp_path, embedder=HashEmbedder())
    memory.semantic.add(
        "pal",
        ["user: What is the capital of France?\nassistant: The capital of France is Berlin."],
        metadatas=[{"kind": "exchange", "session_id": "old"}],
    )
    section = await memory.recall_section(pal(), "capital of France", "new", plain=True)
    hits = await memory.search("pal", "capital of France", 1)
    await memory.aclose()
    assert section.endswith('the user wrote: "What is the capital of France?"')
    assert (hits[0].text, hits[0].reply) == (
        "What is the capital of France?",
        "The capital of France is Berlin.",
    )
