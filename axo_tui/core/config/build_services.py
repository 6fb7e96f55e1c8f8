"""Schedules, proactive agents, MCP servers and the project-wide settings sections."""

from __future__ import annotations

from urllib.parse import urlsplit

from axo_tui.core.config import keys
from axo_tui.core.config.build_agents import span
from axo_tui.core.config.checker import Checker
from axo_tui.core.config.duration import DURATION_HINT, parse_duration
from axo_tui.core.config.fields import Section
from axo_tui.core.config.nats_schema import ClusterSettings
from axo_tui.core.config.registry import Reference, Registry
from axo_tui.core.config.schema import (
    DEFAULT_MCP_CALL_TIMEOUT_SECS,
    DEFAULT_MCP_START_TIMEOUT_SECS,
    ConsolidationConfig,
    LatticeDefaults,
    McpServerConfig,
    McpTransport,
    ObservabilityConfig,
    ProactiveConfig,
    ProactiveTrigger,
    ScheduleConfig,
    ServerConfig,
    TriggerType,
)
from axo_tui.core.config.suggest import did_you_mean, join_hints
from axo_tui.core.config.yaml_nodes import Map


def read_every(section: Section, *, required: bool) -> tuple[str | None, float | None]:
    """(`every` as written, seconds), reporting bad durations."""
    every = section.opt_text("every", required=required)
    if every is None:
        return None, None
    try:
        return every, parse_duration(every)
    except ValueError as error:
        hint = DURATION_HINT
        if every.strip().isdigit():
            hint = f"add a unit: `{every.strip()}s` for seconds, `{every.strip()}m` for minutes"
        section.check(False, "every", "invalid-duration", f"{error} ({section.what})", hint)
        return every, None


def build_schedule(checker: Checker, registry: Registry, node: Map) -> ScheduleConfig | None:
    section = Section(checker, node, keys.SCHEDULE, "schedule")
    schedule_id = section.ident()
    workflow = section.opt_text("workflow", required=True)
    if workflow is not None:
        workflow_node = section.value_node("workflow") or node
        registry.refer(
            Reference(
                "workflow", workflow, workflow_node, "schedule", schedule_id or "", "workflow"
            )
        )
    every, every_secs = read_every(section, required=True)
    config = ScheduleConfig(
        id=schedule_id or "",
        workflow=workflow or "",
        every=every or "",
        every_secs=every_secs or 0.0,
        input=section.text("input"),
        name=section.text("name"),
        enabled=section.boolean("enabled", True),
        span=span(checker, node),
    )
    if schedule_id is None or workflow is None or every_secs is None:
        return None
    if not registry.declare(checker, "schedule", schedule_id, section.value_node("id") or node):
        return None
    return config


def build_proactive(checker: Checker, registry: Registry, node: Map) -> ProactiveConfig | None:
    section = Section(checker, node, keys.PROACTIVE, "proactive agent")
    proactive_id = section.ident()
    agent = section.opt_text("agent", required=True)
    if agent is not None:
        agent_node = section.value_node("agent") or node
        registry.refer(
            Reference("agent", agent, agent_node, "proactive agent", proactive_id or "", "agent")
        )
    trigger_section = section.section("trigger", keys.TRIGGER, f"trigger of {section.what}")
    if trigger_section is None and section.value_node("trigger") is None:
        section.missing(
            "trigger",
            "add `trigger: {type: schedule, every: 1h}` or `{type: on_event, event: ...}`",
        )
    trigger = _trigger(trigger_section) if trigger_section is not None else None
    config = ProactiveConfig(
        id=proactive_id or "",
        agent=agent or "",
        trigger=trigger or ProactiveTrigger(TriggerType.SCHEDULE),
        input=section.text("input"),
        name=section.text("name"),
        enabled=section.boolean("enabled", True),
        span=span(checker, node),
    )
    if proactive_id is None or agent is None or trigger is None:
        return None
    if not registry.declare(checker, "proactive", proactive_id, section.value_node("id") or node):
        return None
    return config


def _trigger(section: Section) -> ProactiveTrigger | None:
    trigger_type = section.choice("type", TriggerType, None)
    cooldown = section.number("cooldown_secs", 60.0, lo=0)
    if trigger_type is TriggerType.SCHEDULE:
        every, every_secs = read_every(section, required=False)
        if every is None:
            section.missing("every", "a schedule trigger needs `every:`, e.g. `every: 1h`")
        if section.has("event"):
            section.checker.warn(
                section.key_node("event"),
                "ignored-key",
                "`event` is ignored by a schedule trigger",
                "remove `event`, or use `type: on_event`",
            )
        if every_secs is None:
            return None
        return ProactiveTrigger(trigger_type, every, every_secs, None, cooldown)
    if trigger_type is TriggerType.ON_EVENT:
        event = section.opt_text("event")
        if event is None:
            section.missing(
                "event", "an on_event trigger needs `event:`, e.g. `event: agent.completed`"
            )
        if section.has("every"):
            section.checker.warn(
                section.key_node("every"),
                "ignored-key",
                "`every` is ignored by an on_event trigger",
                "remove `every`, or use `type: schedule`",
            )
        if event is None:
            return None
        return ProactiveTrigger(trigger_type, None, None, event, cooldown)
    return None


TRANSPORT_SPELLINGS = {
    "stdio": McpTransport.STDIO,
    "http": McpTransport.HTTP,
    "streamable_http": McpTransport.HTTP,
}
"""`transport:` as axo and Axocoatl write it (Axocoatl's examples say `streamable_http`)."""


def build_mcp_server(checker: Checker, registry: Registry, node: Map) -> McpServerConfig | None:
    section = Section(checker, node, keys.MCP_SERVER, "MCP server")
    server_id, id_key = _mcp_server_name(section)
    command = section.opt_text("command")
    url = section.opt_text("url")
    transport = _mcp_transport(section, command, url)
    if transport is McpTransport.STDIO and command is None:
        section.missing(
            "command",
            "an MCP server needs `command:` (started over stdio) or `url:` (over HTTP)",
        )
    elif transport is McpTransport.HTTP and url is None and command is None:
        section.missing("url", "a `transport: http` server needs `url:`")
    elif command is not None and url is not None:
        section.check(
            False,
            "url",
            "conflicting-keys",
            f"{section.what} has both `command` and `url`",
            "keep `command` for a local stdio server or `url` for a remote one",
        )
    elif transport is McpTransport.HTTP and url is None:
        section.check(
            False,
            "transport",
            "conflicting-keys",
            f"{section.what} has `transport: http` but a `command`, no `url`",
            "write `transport: stdio` for a command, or give the server's `url`",
        )
    if url is not None:
        parts = urlsplit(url)
        section.check(
            parts.scheme in ("http", "https") and bool(parts.netloc),
            "url",
            "invalid-url",
            f"`url` of {section.what} must be an http(s) URL, found `{url}`",
            "write the full URL, e.g. `http://127.0.0.1:9000/mcp`",
        )
    config = McpServerConfig(
        id=server_id or "",
        command=command,
        args=section.names("args") or (),
        url=url,
        env=section.text_map("env"),
        enabled=section.boolean("enabled", True),
        transport=transport,
        headers=section.text_map("headers"),
        start_timeout_secs=section.number(
            "start_timeout_secs", DEFAULT_MCP_START_TIMEOUT_SECS, lo=0, lo_open=True
        ),
        call_timeout_secs=section.number(
            "call_timeout_secs", DEFAULT_MCP_CALL_TIMEOUT_SECS, lo=0, lo_open=True
        ),
        tools=section.names("tools"),
        span=span(checker, node),
    )
    if server_id is None:
        return None
    if not registry.declare(checker, "MCP server", server_id, section.value_node(id_key) or node):
        return None
    return config


def _mcp_server_name(section: Section) -> tuple[str | None, str]:
    """(the server's name, the key it was written under): `name`, or the older `id`."""
    if section.has("id") and section.has("name"):
        section.check(
            False,
            "id",
            "conflicting-keys",
            f"{section.what} has both `name` and `id`",
            "keep `name` (`id` is its older spelling)",
        )
    if not section.has("name") and section.has("id"):
        section.checker.warn(
            section.key_node("id"),
            "deprecated-key",
            "`id` of an MCP server is the older spelling of `name`",
            "write `name:` (Axocoatl's key); `id` still works",
        )
        key = "id"
    else:
        key = "name"
    name = section.ident(key)
    if name is not None and "__" in name:
        section.check(
            False,
            key,
            "invalid-id",
            f"MCP server name `{name}` contains `__`, which separates the parts of "
            "`mcp__<server>__<tool>`",
            "use single `_` or `-` in the name",
        )
        return None, key
    return name, key


def _mcp_transport(section: Section, command: str | None, url: str | None) -> McpTransport:
    written = section.opt_text("transport")
    if written is None:
        return McpTransport.HTTP if url is not None and command is None else McpTransport.STDIO
    found = TRANSPORT_SPELLINGS.get(written.strip().lower())
    if found is None:
        section.check(
            False,
            "transport",
            "invalid-choice",
            f"`{written}` is not a valid `transport` for {section.what}",
            join_hints(
                did_you_mean(written, list(TRANSPORT_SPELLINGS)),
                "use `stdio` (a local command) or `http` (streamable HTTP at a `url`)",
            ),
        )
        return McpTransport.HTTP if url is not None and command is None else McpTransport.STDIO
    return found


def build_consolidation(section: Section | None) -> ConsolidationConfig:
    if section is None:
        return ConsolidationConfig()
    return ConsolidationConfig(
        enabled=section.boolean("enabled", True),
        idle_threshold_secs=section.number("idle_threshold_secs", 120.0, lo=0, lo_open=True),
        interval_secs=section.number("interval_secs", 1800.0, lo=0, lo_open=True),
    )


def build_server(section: Section | None) -> ServerConfig:
    if section is None:
        return ServerConfig()
    auth = section.section("auth", keys.SERVER_AUTH, "server `auth`")
    api_keys = (auth.names("api_keys") if auth is not None else None) or ()
    return ServerConfig(
        host=section.text("host", "127.0.0.1"),
        port=section.integer("port", 8080, lo=1, hi=65535),
        api_keys=api_keys,
        cors_origins=section.names("cors_origins") or (),
        token=section.text("token", ""),
        declared=True,
    )


def build_observability(section: Section | None) -> ObservabilityConfig:
    if section is None:
        return ObservabilityConfig()
    endpoint = section.opt_text("otlp_endpoint") or None
    if endpoint is not None:
        parts = urlsplit(endpoint)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        section.check(
            ok and not parts.query and not parts.fragment,
            "otlp_endpoint",
            "invalid-url",
            f"`otlp_endpoint` of `observability` must be an http(s) URL, found `{endpoint}`",
            "write the collector's base URL, e.g. `http://127.0.0.1:4318`",
        )
        if not ok:
            return ObservabilityConfig()
    return ObservabilityConfig(otlp_endpoint=endpoint)


def build_lattice(
    section: Section | None, *, cluster: ClusterSettings | None = None
) -> LatticeDefaults:
    if section is None:
        return LatticeDefaults()
    return LatticeDefaults(
        threshold=section.number("threshold", 1.0, lo=0, lo_open=True),
        decay=section.number("decay", 0.1, lo=0),
        cluster=cluster or ClusterSettings(),
    )
