"""The memory keys of an agent's config: `tools`, `recall.share`, `compaction.summarise`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from axo_tui.core.config import Config, ConfigError, load_config_text

HEAD = """
providers:
  s: {kind: scripted}
agents:
  - id: pal
    provider: s
    memory:
"""


def load(tmp_path: Path, memory: str) -> Config:
    text = HEAD + textwrap.indent(textwrap.dedent(memory).strip("\n"), " " * 6) + "\n"
    return load_config_text(text, tmp_path / "axo.yaml", environ={})


def problem(tmp_path: Path, memory: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, memory)
    return caught.value.render()


def test_memory_tools_all_none_or_a_list(tmp_path: Path) -> None:
    assert load(tmp_path, "tools: true").agent("pal").memory.tools is None
    assert load(tmp_path, "tools: false").agent("pal").memory.tools == ()
    listed = load(tmp_path, "tools: [recall_search, recall_timeframe, recall_search]")
    assert listed.agent("pal").memory.tools == ("recall_search", "recall_timeframe")
    default = load(tmp_path, "recall: {top_k: 3}").agent("pal").memory
    assert default.tools is None and default.recall.share is False
    assert default.compaction.summarise is True


def test_share_and_summarise(tmp_path: Path) -> None:
    memory = (
        load(
            tmp_path, "recall: {share: true, passive_inject: false}\ncompaction: {summarise: false}"
        )
        .agent("pal")
        .memory
    )
    assert memory.recall.share is True and memory.recall.passive_inject is False
    assert memory.compaction.summarise is False


def test_an_unknown_memory_tool_is_named_with_its_place_and_a_suggestion(tmp_path: Path) -> None:
    message = problem(tmp_path, "tools: [recall_serch, core_memory_set]")
    assert "axo.yaml:8" in message  # the line of the list
    assert "`recall_serch` in `tools` of `memory` of agent `pal` is not a memory tool" in message
    assert "did you mean 'recall_search'?" in message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("memory", "expected"),
    [
        ("tools: yes please", "`tools` in `memory` of agent `pal` must be true, false or a list"),
        ("tools: {recall_search: true}", "must be true, false or a list of memory tool names"),
        ("recall: {share: maybe}", "`share` in `recall` of `memory` of agent `pal` must be true"),
        ("compaction: {summarise: 1}", "`summarise` in `compaction` of `memory`"),
        ("compaction: {summarize: true}", "unknown key `summarize`"),
    ],
)
def test_bad_values_say_what_and_where(tmp_path: Path, memory: str, expected: str) -> None:
    message = problem(tmp_path, memory)
    assert expected in message, message
    assert "axo.yaml:" in message


def test_a_script_for_compaction_summaries_names_its_agent(tmp_path: Path) -> None:
    text = """
providers:
  s:
    kind: scripted
    replies:
      pal#compaction: ["A summary."]
      nobody#compaction: ["A summary."]
agents:
  - {id: pal, provider: s}
"""
    config = load_config_text(text, tmp_path / "axo.yaml", environ={})
    warnings = [w.render() for w in config.warnings]
    assert len(warnings) == 1 and "nobody" in warnings[0]
