"""Schedules, proactive triggers, MCP servers, server, consolidation, top-level lattice."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from axo_tui.core.config import Config, Problem, TriggerType
from tests.support.config_files import only

Problems = Callable[..., list[Problem]]

BASE = "agents:\n  - id: a\nworkflows:\n  - id: w\n    agents: [a]\n"


def test_schedule(load: Callable[..., Config]) -> None:
    config = load(BASE + "schedules:\n  - {id: s, workflow: w, every: 1h30m, input: go}\n")
    (schedule,) = config.schedules
    assert (schedule.every, schedule.every_secs, schedule.input, schedule.enabled) == (
        "1h30m",
        5400.0,
        "go",
        True,
    )


@pytest.mark.parametrize("missing", ["id", "workflow", "every"])
def test_schedule_required_keys(missing: str, problems: Problems) -> None:
    fields = {"id": "s", "workflow": "w", "every": "1h"}
    del fields[missing]
    body = ", ".join(f"{k}: {v}" for k, v in fields.items())
    problem = only(problems(BASE + f"schedules:\n  - {{{body}}}\n"), "missing-key")
    assert problem.line == 7
    assert problem.message.endswith(f"needs `{missing}`")


@pytest.mark.parametrize(
    ("every", "message"),
    [
        ("0s", "`0s` is zero"),
        ("-5m", "`-5m` is negative"),
        ("soon", "`soon` is not a duration"),
        ("5min", "`5min` is not a duration"),
    ],
)
def test_schedule_every_syntax(every: str, message: str, problems: Problems) -> None:
    found = problems(BASE + f"schedules:\n  - id: s\n    workflow: w\n    every: {every}\n")
    problem = only(found, "invalid-duration")
    assert (problem.line, problem.column) == (9, 12)
    assert problem.message.startswith(message)
    assert "`30s`" in problem.hint


def test_schedule_every_without_unit(problems: Problems) -> None:
    problem = only(
        problems(BASE + "schedules:\n  - {id: s, workflow: w, every: 30}\n"), "invalid-duration"
    )
    assert problem.hint.startswith("add a unit: `30s`")


def test_proactive_triggers(load: Callable[..., Config]) -> None:
    config = load(
        BASE
        + "proactive:\n"
        + "  - {id: p, agent: a, trigger: {type: schedule, every: 5m}}\n"
        + "  - {id: q, agent: a, enabled: false, trigger: {type: on_event, event: agent.failed, cooldown_secs: 0}}\n"
    )
    p, q = config.proactive
    assert (p.trigger.type, p.trigger.every_secs, p.trigger.cooldown_secs) == (
        TriggerType.SCHEDULE,
        300.0,
        60.0,
    )
    assert (q.trigger.type, q.trigger.event, q.trigger.cooldown_secs, q.enabled) == (
        TriggerType.ON_EVENT,
        "agent.failed",
        0.0,
        False,
    )


@pytest.mark.parametrize(
    ("trigger", "code", "message"),
    [
        ("{type: schedule}", "missing-key", "needs `every`"),
        ("{type: on_event}", "missing-key", "needs `event`"),
        ("{every: 1h}", "missing-key", "needs `type`"),
        ("{type: cron, every: 1h}", "invalid-choice", "`cron` is not a valid `type`"),
        ("{type: schedule, every: 0s}", "invalid-duration", "`0s` is zero"),
        ("{type: schedule, every: 1h, cooldown_secs: -1}", "out-of-range", "`cooldown_secs`"),
        ("{type: schedule, evry: 1h}", "unknown-key", "unknown key `evry`"),
    ],
)
def test_bad_triggers(trigger: str, code: str, message: str, problems: Problems) -> None:
    found = problems(BASE + f"proactive:\n  - id: p\n    agent: a\n    trigger: {trigger}\n")
    problem = only(found, code)
    assert problem.line == 9
    assert message in problem.message


def test_trigger_type_lists_allowed_values(problems: Problems) -> None:
    found = problems(BASE + "proactive:\n  - {id: p, agent: a, trigger: {type: cron}}\n")
    assert "use one of `schedule`, `on_event`" in only(found, "invalid-choice").hint


def test_proactive_needs_trigger(problems: Problems) -> None:
    found = problems(BASE + "proactive:\n  - {id: p, agent: a}\n")
    assert only(found, "missing-key").message == "proactive agent `p` needs `trigger`"


def test_ignored_trigger_keys_warn(load: Callable[..., Config]) -> None:
    config = load(
        BASE + "proactive:\n  - {id: p, agent: a, trigger: {type: schedule, every: 1h, event: x}}\n"
    )
    assert only(list(config.warnings), "ignored-key").message.startswith("`event` is ignored")


def test_mcp_servers(load: Callable[..., Config]) -> None:
    config = load(
        "mcp_servers:\n"
        "  - {id: fs, command: npx, args: [-y, server], env: {A: b}}\n"
        "  - {id: web, url: 'https://example.com/mcp', enabled: false}\n"
    )
    fs, web = config.mcp_servers
    assert (fs.command, fs.args, fs.env, fs.enabled) == (
        "npx",
        ("-y", "server"),
        (("A", "b"),),
        True,
    )
    assert (web.url, web.enabled) == ("https://example.com/mcp", False)


@pytest.mark.parametrize(
    ("server", "code"),
    [
        ("{id: m}", "missing-key"),
        ("{id: m, command: x, url: 'http://h'}", "conflicting-keys"),
        ("{id: m, url: 'file:///x'}", "invalid-url"),
        ("{id: m, command: x, cmd: y}", "unknown-key"),
        ("{command: x}", "missing-key"),
        ("{id: m, command: x, env: [A]}", "wrong-type"),
    ],
)
def test_bad_mcp_servers(server: str, code: str, problems: Problems) -> None:
    assert only(problems(f"mcp_servers:\n  - {server}\n"), code).line == 2


def test_server_settings(load: Callable[..., Config]) -> None:
    server = load(
        "server:\n  host: 0.0.0.0\n  port: 9000\n  auth: {api_keys: [k1, k2]}\n"
        "  cors_origins: ['http://localhost:3000']\n"
    ).server
    assert (server.host, server.port, server.api_keys, server.cors_origins) == (
        "0.0.0.0",
        9000,
        ("k1", "k2"),
        ("http://localhost:3000",),
    )


@pytest.mark.parametrize("port", ["0", "65536", "-1"])
def test_server_port_range(port: str, problems: Problems) -> None:
    problem = only(problems(f"server:\n  port: {port}\n"), "out-of-range")
    assert (problem.line, problem.column) == (2, 9)
    assert problem.message == f"`port` in `server` must be between 1 and 65535, found {port}"


def test_server_unknown_keys(problems: Problems) -> None:
    found = problems("server:\n  hots: x\n  auth: {apikeys: [a]}\n")
    assert [p.message for p in found] == [
        "unknown key `hots` in `server`",
        "unknown key `apikeys` in server `auth`",
    ]


def test_consolidation(load: Callable[..., Config], problems: Problems) -> None:
    consolidation = load("consolidation: {enabled: false, interval_secs: 60}\n").consolidation
    assert (
        consolidation.enabled,
        consolidation.interval_secs,
        consolidation.idle_threshold_secs,
    ) == (
        False,
        60.0,
        120.0,
    )
    problem = only(problems("consolidation: {idle_threshold_secs: 0}\n"), "out-of-range")
    assert "must be greater than 0" in problem.message
    problem = only(problems("consolidation: {enabled: maybe}\n"), "wrong-type")
    assert problem.message == (
        '`enabled` in `consolidation` must be true or false, found the text "maybe"'
    )


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("threshold: 0", "`threshold` in `lattice` must be greater than 0, found 0"),
        ("decay: -1", "`decay` in `lattice` must be at least 0, found -1"),
    ],
)
def test_top_level_lattice(setting: str, message: str, problems: Problems) -> None:
    problem = only(problems(f"lattice:\n  {setting}\n"), "out-of-range")
    assert (problem.line, problem.message) == (2, message)


def test_top_level_lattice_values(load: Callable[..., Config]) -> None:
    lattice = load("lattice: {threshold: 0.5, decay: 0}\n").lattice
    assert (lattice.threshold, lattice.decay) == (0.5, 0.0)


def test_weak_on_event_trigger_warns_with_the_threshold_fix(
    load: Callable[..., Config],
) -> None:
    config = load(
        BASE
        + "proactive:\n  - {id: watch, agent: a, trigger: {type: on_event, event: AgentFailed}}\n"
    )
    problem = only(list(config.warnings), "weak-trigger")
    assert (problem.line, problem.column) == (7, 5)
    assert "AgentFailed (weight 0.8)" in problem.message and "fires at 1" in problem.message
    assert "`lattice: {threshold: 0.8}`" in problem.hint


def test_on_event_trigger_reaching_the_threshold_does_not_warn(
    load: Callable[..., Config],
) -> None:
    config = load(
        BASE.replace("agents:\n", "lattice: {threshold: 0.8}\nagents:\n", 1)
        + "proactive:\n  - {id: watch, agent: a, trigger: {type: on_event, event: AgentFailed}}\n"
        + "  - {id: custom, agent: a, trigger: {type: on_event, event: BuildFailed}}\n"
    )
    assert [p.code for p in config.warnings] == []
