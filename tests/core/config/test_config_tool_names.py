"""`tools:` names are checked when the config loads: an unknown one used to validate and
then do nothing at run time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from axo_tui.core.config import Config, ConfigError, Problem, load_config
from axo_tui.core.config.tool_names import BUILTIN_TOOL_NAMES, KNOWN_TOOL_NAMES
from axo_tui.core.tools.builtins import BUILTIN_TOOLS
from tests.support.config_files import codes, only, write

Problems = Callable[..., list[Problem]]


def test_the_config_knows_every_built_in_tool() -> None:
    assert sorted(BUILTIN_TOOL_NAMES) == sorted(tool.name for tool in BUILTIN_TOOLS)


def test_an_unknown_tool_is_an_error_with_did_you_mean(problems: Problems) -> None:
    found = problems("agents:\n  - id: a\n    tools: [calculater, web_search]\n")
    calculater, web_search = [p for p in found if p.code == "unknown-tool"]
    assert (calculater.line, calculater.column) == (3, 13)
    assert calculater.message == "`tools` of agent `a` names `calculater`, which is not a tool"
    assert calculater.hint.startswith("did you mean 'calculator'? the tools are `calculator`")
    assert (web_search.line, web_search.column) == (3, 25)
    assert "mcp__<server>__<tool>" in web_search.hint


def test_every_known_tool_and_mcp_names_load(load: Callable[..., Config]) -> None:
    listed = [*KNOWN_TOOL_NAMES, "mcp__files__read", "mcp__files__*", "mcp__*"]
    config = load(
        f"agents:\n  - id: a\n    tools: [{', '.join(listed)}]\n"
        "mcp_servers:\n  - {name: files, command: x}\n"
    )
    assert config.agents[0].tools == tuple(listed)
    assert config.warnings == ()


def test_axocoatl_tools_axo_lacks_are_a_warning(load: Callable[..., Config]) -> None:
    # Axocoatl's flagship config gives its lead agent these: it must still load.
    config = load("agents:\n  - id: lead\n    tools: [read_file, grep, bash]\n")
    assert codes(list(config.warnings)) == ["unavailable-tool", "unavailable-tool"]
    grep = only([w for w in config.warnings if "`grep`" in w.message], "unavailable-tool")
    assert (grep.line, grep.column) == (3, 24)
    assert "axo does not provide" in grep.message


def test_absent_and_empty_tools_stay_as_they_were(load: Callable[..., Config]) -> None:
    config = load("agents:\n  - id: a\n  - id: b\n    tools: []\n")
    assert [agent.tools for agent in config.agents] == [None, ()]


def test_a_program_embedding_axo_names_its_own_tools(tmp_path: Path) -> None:
    path = write(tmp_path, "agents:\n  - id: a\n    tools: [wait, calculator]\n")
    with pytest.raises(ConfigError):
        load_config(path, environ={})
    config = load_config(path, environ={}, extra_tools=["wait"])
    assert config.agents[0].tools == ("wait", "calculator")
