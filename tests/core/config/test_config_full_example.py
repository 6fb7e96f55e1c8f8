"""A big valid config with every section populated loads into exactly these objects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from axo_tui.core.config import (
    ConsolidationConfig,
    CoreBlockSpec,
    LatticeDefaults,
    LatticeSettings,
    McpTransport,
    OverflowPolicy,
    ProactiveTrigger,
    ProviderKind,
    RecallSettings,
    Role,
    Sampling,
    ScriptedStep,
    ServerConfig,
    SourceSpan,
    TokenBudget,
    TriggerType,
    UpstreamFailurePolicy,
    load_config,
)
from axo_tui.core.config.schema import Config

FULL = Path(__file__).parent / "data" / "full.yaml"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "axo.yaml"
    shutil.copy(FULL, path)
    return load_config(path, environ={"OPENAI_API_KEY": "sk-test"})


def test_top_level(config: Config, tmp_path: Path) -> None:
    assert config.name == "research-lab"
    assert config.path == tmp_path / "axo.yaml"
    assert config.data_dir == tmp_path / "state"
    assert config.warnings == ()
    assert config.consolidation == ConsolidationConfig(False, 60.0, 600.0)
    assert config.server == ServerConfig(
        "0.0.0.0", 9090, ("secret-1",), ("http://localhost:3000",), declared=True
    )
    assert config.lattice == LatticeDefaults(1.0, 0.2)


def test_agents(config: Config) -> None:
    assert [a.id for a in config.agents] == ["researcher", "critic", "boss", "helper"]
    researcher = config.agent("researcher")
    assert researcher.display_name == "Researcher"
    assert researcher.description == "Finds sources"
    assert (researcher.provider, researcher.model, researcher.role) == (
        "ollama",
        "llama3.2",
        Role.AUTONOMOUS,
    )
    assert researcher.system_prompt == "You research topics.\n"
    assert researcher.tools == ("read_file", "recall_search")
    assert researcher.token_budget == TokenBudget(2000, 8000, OverflowPolicy.WARN)
    assert researcher.sampling == Sampling(512, 0.2, 0.9)
    assert researcher.memory.core_blocks == (
        CoreBlockSpec("persona", 1000, "Who I am", False, "A careful researcher."),
        CoreBlockSpec("team", 500, "", True, ""),
    )
    assert researcher.memory.recall == RecallSettings(False, 8, 0.3)
    assert researcher.lattice == LatticeSettings(0.5, 0.05)
    assert researcher.max_tool_rounds == 4
    assert researcher.writes == ("notes/",)
    assert researcher.span is not None and researcher.span.line == 38
    critic = config.agent("critic")
    assert critic.depends_on == ("researcher",)
    assert critic.on_upstream_failure is UpstreamFailurePolicy.RUN
    assert critic.tools == ()
    assert config.agent("boss").role is Role.COORDINATOR
    assert config.agent("helper").role is Role.WORKER


def test_providers(config: Config, tmp_path: Path) -> None:
    # Every agent names a declared provider, so no implicit one is added.
    assert [p.name for p in config.providers] == ["ollama", "cloud", "tiny", "demo"]
    ollama = config.provider("ollama")
    assert (ollama.kind, ollama.base_url, ollama.timeout_secs, ollama.max_retries) == (
        ProviderKind.OLLAMA,
        "http://localhost:11434",
        60.0,
        2,
    )
    assert ollama.context_window == 8192
    cloud = config.provider("cloud")
    assert (cloud.kind, cloud.api_key, cloud.model, cloud.fallback) == (
        ProviderKind.OPENAI,
        "sk-test",
        "gpt-4o-mini",
        "ollama",
    )
    assert cloud.headers == (("X-Title", "axo"),)
    assert cloud.prices == (("gpt-4o-mini", 0.15, 0.6),)
    assert config.provider("tiny").model_path == str(tmp_path / "models" / "smol.gguf")
    demo = config.provider("demo")
    assert demo.kind is ProviderKind.SCRIPTED
    assert demo.script == (
        ScriptedStep("Hello from the script."),
        ScriptedStep(
            "Let me look that up.",
            (("web_search", {"q": "photosynthesis", "k": 3}),),
            12,
            7,
        ),
    )
    assert demo.replies == (("critic", (ScriptedStep("Looks good to me."),)),)


def test_workflows_and_skills(config: Config) -> None:
    workflow = config.workflow("research")
    assert (workflow.name, workflow.description, workflow.agents, workflow.entry_point) == (
        "Research",
        "Research then critique",
        ("researcher", "critic"),
        "researcher",
    )
    assert workflow.max_activations == 10
    skill = config.skill("summarise")
    assert (skill.emits, skill.reacts_to, skill.agents, skill.prompt) == (
        ("summary.ready",),
        ("agent.completed",),
        ("critic",),
        "Summarise the last output.",
    )


def test_schedules_proactive_and_mcp(config: Config) -> None:
    (schedule,) = config.schedules
    assert (schedule.id, schedule.name, schedule.workflow, schedule.every) == (
        "nightly",
        "Nightly research",
        "research",
        "1h30m",
    )
    assert (schedule.every_secs, schedule.enabled) == (5400.0, False)
    watcher, pinger = config.proactive
    assert watcher.trigger == ProactiveTrigger(
        TriggerType.ON_EVENT, None, None, "ReviewRequested", 30.0
    )
    assert watcher.input == "Review the latest output."
    assert pinger.trigger == ProactiveTrigger(TriggerType.SCHEDULE, "5m", 300.0, None, 60.0)
    files, remote = config.mcp_servers
    assert (files.command, files.args, files.env) == (
        "npx",
        ("-y", "@modelcontextprotocol/server-filesystem", "."),
        (("DEBUG", "1"),),
    )
    assert (files.start_timeout_secs, files.call_timeout_secs) == (20.0, 10.0)
    assert files.tools == ("read_text_file", "list_*")
    assert (remote.url, remote.enabled) == ("http://127.0.0.1:9000/mcp", False)
    assert (remote.transport, remote.headers) == (McpTransport.HTTP, (("X-Client", "axo"),))
    assert remote.span == SourceSpan(str(config.path), 122, 5)


def test_config_is_frozen(config: Config) -> None:
    with pytest.raises(AttributeError):
        config.name = "x"  # type: ignore[misc]
