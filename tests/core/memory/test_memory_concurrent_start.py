"""Several agents starting at once in a fresh process must not lose their memories.

The store worker (storing what the last process left) and the recall worker (a recall per
agent) both import numpy on first use; racing on that import failed one of them with
"partially initialized module", recall went off and that run's exchanges were never stored.
Each run here is a real fresh process (the race is on a first import), with the embedded
MiniLM model, closing the way `axo workflow run` does: its own exchanges still spooled.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from axo_tui.core.embeddings.base import EmbeddingError
from axo_tui.core.embeddings.minilm import find_minilm_dir
from axo_tui.core.memory.service import AgentMemory

AGENTS = 6
PROCESSES = 6
"""The race needed a store that exists (two runs) and then failed in about 3 runs of 4."""

RUN_ONCE = """
import asyncio, sys
from pathlib import Path
from axo_tui.core.config.schema import AgentConfig, Config, ProviderConfig, ProviderKind
from axo_tui.core.config.schema import WorkflowConfig
from axo_tui.core.runtime.build import build_runtime

data = Path(sys.argv[1])
ids = tuple(f"w{i}" for i in range(int(sys.argv[2])))
config = Config(
    path=data / "axo.yaml",
    agents=tuple(AgentConfig(id=i, provider="scripted", tools=()) for i in ids),
    workflows=(WorkflowConfig(id="fan", agents=ids),),  # no dependencies: all start at once
    providers=(ProviderConfig(name="scripted", kind=ProviderKind.SCRIPTED),),
)

async def main() -> None:
    async with build_runtime(config, data_dir=data) as rt:
        result = await rt.run_workflow("fan", f"tell me about cats, run {sys.argv[3]}")
        assert result.ok, result.errors

asyncio.run(main())
"""


def _minilm_installed() -> bool:
    try:
        find_minilm_dir()
    except EmbeddingError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(not _minilm_installed(), reason="the embedded MiniLM model is not installed")
def test_every_exchange_is_stored_when_agents_start_at_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for run in range(PROCESSES):
        done = subprocess.run(
            [sys.executable, "-c", RUN_ONCE, str(data), str(AGENTS), str(run)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr, f"run {run}:\n{done.stderr}"
        assert "recall" not in done.stderr, f"run {run}:\n{done.stderr}"  # no warning either

    counts = asyncio.run(_stored_after_catch_up(data))
    # Every exchange of every run: each process stored what the one before left pending,
    # and the last one's are stored by this catch-up.
    assert counts == {f"w{i}": PROCESSES for i in range(AGENTS)}


async def _stored_after_catch_up(data: Path) -> dict[str, int]:
    memory = AgentMemory(data)
    try:
        await memory.search("w0", "cats", 1)  # stores the spooled leftovers first
        return {f"w{i}": memory.semantic.count(f"w{i}") for i in range(AGENTS)}
    finally:
        await memory.aclose()
