"""With the real embedded model (SmolLM2-135M): what a user asks it to remember in one
conversation it answers from in the next, and its answers carry none of the prompt's
scaffolding. Greedy decoding (temperature 0), so the answers are the same on every run."""

from __future__ import annotations

from pathlib import Path

import pytest

from axo_tui.core.config.schema import (
    AgentConfig,
    CoreBlockSpec,
    MemorySettings,
    ProviderConfig,
    ProviderKind,
    Sampling,
)
from axo_tui.core.runtime.build import build_runtime
from tests.support.builders import make_config

try:
    import llama_cpp  # noqa: F401

    HAVE_LLAMA = True
except ImportError:  # pragma: no cover - setup.sh installs it
    HAVE_LLAMA = False

pytestmark = pytest.mark.skipif(not HAVE_LLAMA, reason="llama_cpp is not importable")

ASSISTANT = AgentConfig(
    id="assistant",
    provider="local",
    system_prompt="You are a helpful, concise assistant.",
    sampling=Sampling(temperature=0.0, max_tokens=40),
    memory=MemorySettings(
        core_blocks=(
            CoreBlockSpec("persona", 2000, "Who you are.", value="I answer briefly."),
            CoreBlockSpec("human", 2000, "What you know about the person you talk to."),
        )
    ),
)
SCAFFOLDING = ("<", "You are the agent", "(id:", "core_memory", "recalled", "score")


async def test_the_embedded_model_answers_from_what_it_was_told_to_remember(
    tmp_path: Path,
) -> None:
    config = make_config(
        tmp_path, [ASSISTANT], providers=[ProviderConfig(name="local", kind=ProviderKind.LOCAL)]
    )
    async with build_runtime(config) as rt:
        await rt.run_agent("assistant", "Remember: my name is Ana.", session_id="monday")
        answer = await rt.run_agent("assistant", "What is my name?", session_id="tuesday")
        greeting = await rt.run_agent("assistant", "Hello!", session_id="wednesday")
    assert "The user's name is Ana." in rt.memory.core.block(ASSISTANT, "human").value
    assert "Ana" in answer.output
    for reply in (answer.output, greeting.output):
        assert not any(marker in reply for marker in SCAFFOLDING), reply
