"""Fixtures: the fake OpenAI-compatible server, and typed configs whose agents talk to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from axo_tui.core.config.schema import Config, ProviderConfig, ProviderKind, WorkflowConfig
from tests.core.durability.fake_openai import FakeOpenAI, running_fake
from tests.core.durability.project import AGENTS, DEPENDS
from tests.core.runtime.builders import agent, make_config


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with running_fake(delay=0.0) as server:
        yield server


def fake_provider(fake: FakeOpenAI, tag: str = "t") -> ProviderConfig:
    return ProviderConfig(
        name="fake", kind=ProviderKind.OPENAI, base_url=fake.base_url(tag), max_retries=0
    )


def crash_config(tmp_path: Path, fake: FakeOpenAI, tag: str = "t", **extra: object) -> Config:
    """The harness's five-agent workflow (a chain and a join) as a typed config."""
    return make_config(
        tmp_path,
        [agent(a, *DEPENDS[a], provider="fake", model=a) for a in AGENTS],
        workflows=[WorkflowConfig("crash", AGENTS)],
        providers=[fake_provider(fake, tag)],
        **extra,
    )
