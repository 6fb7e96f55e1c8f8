"""Fixtures for provider tests: the fake model server and a sleep that does not wait."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.model_server import ModelServer
from tests.support.providers import RecordingSleep


@pytest.fixture
async def server() -> AsyncIterator[ModelServer]:
    async with ModelServer() as fake:
        yield fake


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()
