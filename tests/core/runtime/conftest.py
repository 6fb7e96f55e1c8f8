"""Fixtures for the runtime's tests: the echoing fake model server their agents talk to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.echo_openai import FakeOpenAI, running_fake


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with running_fake(delay=0.0) as server:
        yield server
