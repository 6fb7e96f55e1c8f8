"""Typed configs for runtime tests: no YAML involved, so these tests pin the engine alone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from axo_tui.core.config.schema import (
    AgentConfig,
    Config,
    ProviderConfig,
    ProviderKind,
    ScriptedStep,
    SkillConfig,
    WorkflowConfig,
)

Steps = Sequence[str | ScriptedStep]


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (polling every millisecond) until `condition` holds; fail after `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.001)


def step(text: str = "", *calls: tuple[str, dict[str, Any]]) -> ScriptedStep:
    return ScriptedStep(text=text, tool_calls=tuple(calls))


def scripted(replies: Mapping[str, Steps] | None = None, name: str = "scripted") -> ProviderConfig:
    def as_steps(steps: Steps) -> tuple[ScriptedStep, ...]:
        return tuple(s if isinstance(s, ScriptedStep) else ScriptedStep(text=s) for s in steps)

    return ProviderConfig(
        name=name,
        kind=ProviderKind.SCRIPTED,
        replies=tuple((agent, as_steps(steps)) for agent, steps in (replies or {}).items()),
    )


def make_config(
    tmp_path: Path,
    agents: Iterable[AgentConfig],
    *,
    workflows: Iterable[WorkflowConfig] = (),
    skills: Iterable[SkillConfig] = (),
    providers: Iterable[ProviderConfig] = (),
    **extra: Any,
) -> Config:
    providers = tuple(providers) or (scripted(),)
    return Config(
        path=tmp_path / "axo.yaml",
        agents=tuple(agents),
        workflows=tuple(workflows),
        skills=tuple(skills),
        providers=providers,
        **extra,
    )


def agent(agent_id: str, *deps: str, **fields: Any) -> AgentConfig:
    fields.setdefault("provider", "scripted")
    return AgentConfig(id=agent_id, depends_on=tuple(deps), **fields)
