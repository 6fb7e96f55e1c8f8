"""Semantic recall costs about 220 MB (chromadb and the embedding model): a runtime loads it
only once a recall can find something, never to store the exchanges of agents that have
nothing to recall yet. Each phase is a fresh process, so `sys.modules` says what loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from axo_tui.core.config.schema import AgentConfig, MemorySettings, RecallSettings
from axo_tui.core.runtime.build import build_runtime
from tests.support.builders import make_config

REPO = Path(__file__).resolve().parents[3]

PHASE = """
import asyncio, json, sys
from pathlib import Path
from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.memory import service
from axo_tui.core.runtime.build import build_runtime
from tests.support.builders import make_config

service.DRAIN_QUIET_SECS = 0.0  # store at once what is to be stored, as a long-lived process does

async def main(folder, session, *inputs):
    config = make_config(Path(folder), [AgentConfig(id="pal", provider="scripted")])
    async with build_runtime(config) as rt:
        for text in inputs:
            result = await rt.run_agent("pal", text, session_id=session)
            assert result.status == "completed", result.errors
        await asyncio.sleep(0)  # a background store, if one was started, begins
    log = sorted((Path(folder) / ".axo" / "logs" / "daily" / "pal").glob("*.jsonl"))
    recalled = [
        entry["content"]
        for path in log
        for entry in map(json.loads, path.read_text().splitlines())
        if entry.get("kind") == "passive_recall" and entry.get("session_id") == session
    ]
    print(json.dumps({
        "chromadb": "chromadb" in sys.modules,
        "embedder": "axo_tui.core.embeddings.minilm" in sys.modules,
        "recalled": recalled,
    }))

asyncio.run(main(*sys.argv[1:]))
"""


def phase(folder: Path, session: str, *inputs: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PHASE, str(folder), session, *inputs],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_recall_loads_only_when_there_is_something_to_recall(tmp_path: Path) -> None:
    # A first conversation: nothing earlier to recall, so nothing is loaded, and the
    # exchanges wait in the spool.
    first = phase(tmp_path, "s1", "My dog is called Biscuit.", "And my cat is Miso.")
    assert first == {"chromadb": False, "embedder": False, "recalled": []}
    spooled = "".join(
        path.read_text() for path in (tmp_path / ".axo" / "memory" / "semantic-pending").iterdir()
    )
    assert "Biscuit" in spooled and "Miso" in spooled

    # A later conversation has something to recall: the spooled exchanges are stored just
    # before its recall, which finds them.
    second = phase(tmp_path, "s2", "What is my dog called?")
    assert second["chromadb"] is True and second["embedder"] is True
    recalled = second["recalled"]
    assert isinstance(recalled, list) and len(recalled) == 1
    assert "My dog is called Biscuit." in recalled[0]


async def test_exchanges_nothing_can_recall_are_not_stored(tmp_path: Path) -> None:
    no_recall = MemorySettings(recall=RecallSettings(passive_inject=False), tools=())
    searcher = MemorySettings(recall=RecallSettings(passive_inject=False))  # has recall_search
    agents = [
        AgentConfig(id="step", provider="scripted", memory=no_recall),
        AgentConfig(id="pal", provider="scripted", memory=searcher),
    ]
    async with build_runtime(make_config(tmp_path, agents)) as rt:
        for session in ("run-1", "run-2"):
            await rt.run_agent("step", "Summarise the logs.", session_id=session)
        await rt.run_agent("pal", "The boat is blue.", session_id="chat")
        pending = rt.memory.spool.load()
    assert [(entry.agent_id, entry.text) for entry in pending] == [("pal", "The boat is blue.")]
