"""Driving a provider in tests: a sleep that does not wait, and draining a stream."""

from __future__ import annotations

import asyncio
from typing import Any

from axo_tui.core.providers.base import Completion, TextDelta


class RecordingSleep:
    """An injectable `sleep` that records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


async def collect(provider: Any, request: Any) -> tuple[list[str], Any]:
    """Drain `provider.stream(request)`: the text deltas, and the final Completion."""
    deltas: list[str] = []
    final: Completion | None = None
    async for chunk in provider.stream(request):
        assert final is None, "nothing may follow the Completion"
        if isinstance(chunk, TextDelta):
            deltas.append(chunk.text)
        else:
            final = chunk
    assert final is not None, "a stream must end with a Completion"
    return deltas, final
