"""A chat turn sent while the turn a crash interrupted runs again waits for it: the session
reads question, answer, question, answer (docs/durability.md), never two questions in a row.

The crash is the in-process one of `test_resume` (a runtime torn down mid-call, which leaves
the journal as a kill -9 does); the provider is the fake OpenAI server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from axo_tui.core.runtime.build import build_runtime
from tests.support.crash_project import chat_config, chat_then_crash, chat_turn, until
from tests.support.echo_openai import FakeOpenAI, reply_text


async def test_a_turn_sent_during_the_rerun_waits_for_it(tmp_path: Path, fake: FakeOpenAI) -> None:
    config, data = chat_config(tmp_path, fake), tmp_path / ".axo"
    await chat_then_crash(config, data, fake)
    async with build_runtime(config, data_dir=data) as runtime:
        before = fake.count("t", "pal")
        fake.held.add(("t", "pal"))
        resumed = asyncio.ensure_future(runtime.resume_unfinished())
        await until(lambda: fake.count("t", "pal") == before + 1)  # the rerun, mid-call
        interrupted = runtime.interrupted_turn("chat:s")
        assert interrupted is not None and interrupted.input == "second"
        third = asyncio.ensure_future(chat_turn("third")(runtime))
        # Either the new turn reached the provider beside the rerun, or it waits for it.
        await until(
            lambda: (
                fake.count("t", "pal") == before + 2 or runtime.session_turns.turns("chat:s") == 2
            )
        )
        assert fake.count("t", "pal") == before + 1
        fake.release("t", "pal")
        [rerun] = await resumed
        after = await third
        session = runtime.journal.load_session("chat:s")
        assert runtime.interrupted_turn("chat:s") is None
    assert rerun.status == "completed" and after.status == "completed"
    assert [(m.role, m.content) for m in session] == [
        ("user", "first"),
        ("assistant", reply_text("pal", "first")),
        ("user", "second"),
        ("assistant", reply_text("pal", "second")),
        ("user", "third"),
        ("assistant", reply_text("pal", "third")),
    ]
