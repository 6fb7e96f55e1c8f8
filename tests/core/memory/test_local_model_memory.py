"""On the embedded tiny model, memory tools come only when the agent lists them: offered to
every agent (Axocoatl's default) they make a 135M model talk about tools instead of answering.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from axo_tui.core.config.schema import AgentConfig, ProviderConfig, ProviderKind
from axo_tui.core.providers.base import ChatRequest, StreamChunk
from axo_tui.core.providers.scripted import ScriptedProvider
from axo_tui.core.runtime.agent_turn import ResolvedProvider
from axo_tui.core.runtime.runtime import Runtime
from tests.support.builders import make_config


class Recording(ScriptedProvider):
    def __init__(self, cfg: ProviderConfig) -> None:
        super().__init__(cfg)
        self.requests: list[ChatRequest] = []

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        self.requests.append(request)
        async for chunk in super().stream(request):
            yield chunk


class LocalKindRuntime(Runtime):
    """Answers through a recording scripted provider that the runner sees as `local`."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.recording = Recording(ProviderConfig(name="local", kind=ProviderKind.SCRIPTED))

    def resolve_provider(self, agent: AgentConfig) -> ResolvedProvider:
        return ResolvedProvider(
            self.recording, ProviderConfig(name="local", kind=ProviderKind.LOCAL), "smollm2"
        )


async def test_local_agents_get_no_memory_tools_unless_listed(tmp_path: Path) -> None:
    plain = AgentConfig(id="plain", provider="local")
    listed = AgentConfig(id="listed", provider="local", tools=("core_memory_append",))
    config = make_config(tmp_path, [plain, listed])
    async with LocalKindRuntime(config) as rt:
        await rt.run_agent("plain", "hi")
        await rt.run_agent("listed", "hi")
        plain_request, listed_request = rt.recording.requests
    assert plain_request.tools == ()
    plain_system = plain_request.messages[0].content
    assert "core_memory_append" not in plain_system and "recall_search" not in plain_system
    assert [tool.name for tool in listed_request.tools] == ["core_memory_append"]
