"""One turn at a time in a session.

A session is one conversation: its messages are appended as a turn starts (the user's) and as
it ends (the reply). Two turns of one session running at once would interleave them, user,
user, reply, reply, which no model can continue sensibly. So turns that name a session wait
for the one before them, in the order they asked. This matters most after a crash: the
interrupted turn runs again (`resume`) while the user may already be typing the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class SessionTurns:
    """Per-session locks of one runtime, kept only while a session has turns running or
    waiting."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, session_id: str) -> AsyncIterator[None]:
        """Wait for the session's running turn (if any) to end, then hold it until exit."""
        lock = self._locks.setdefault(session_id, asyncio.Lock())
        self._users[session_id] = self._users.get(session_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[session_id] -= 1
            if not self._users[session_id]:
                del self._users[session_id]
                del self._locks[session_id]

    def turns(self, session_id: str) -> int:
        """Turns of the session running (at most one) or waiting for it."""
        return self._users.get(session_id, 0)
