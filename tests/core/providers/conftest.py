"""Fixtures for provider tests: a fake HTTP server and a sleep that does not wait."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# The fake server lives beside the tests; make it importable however pytest was invoked.
sys.path.insert(0, str(Path(__file__).parent))

from fakeserver import FakeServer, RecordingSleep


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    async with FakeServer() as fake:
        yield fake


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()
