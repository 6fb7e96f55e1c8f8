"""Hostile and malformed files: always a ConfigError with a position, fast, never a hang."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from axo_tui.core.config import ConfigError, Problem, load_config, load_config_text
from axo_tui.core.config.loader import MAX_BYTES
from axo_tui.core.config.yaml_compose import MAX_DEPTH
from tests.support.config_files import only, write

pytestmark = pytest.mark.timeout(5)


def load_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    return caught.value


def text_error(text: str, tmp_path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, tmp_path / "axo.yaml", environ={})
    return caught.value


def billion_laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for index in range(1, 10):
        this, previous = chr(ord("a") + index), chr(ord("a") + index - 1)
        lines.append(f"{this}: &{this} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    error = text_error(billion_laughs(), tmp_path)
    problem = only(error.problems, "alias-bomb")
    assert "aliases expand to more than" in problem.message
    assert "billion laughs" in problem.hint
    assert problem.line > 1


def test_alias_bomb_inside_agents_is_refused(tmp_path: Path) -> None:
    text = billion_laughs().replace("j: &j", "agents: &j")
    only(text_error(text, tmp_path).problems, "alias-bomb")


def test_deep_flow_nesting_is_refused(tmp_path: Path) -> None:
    error = text_error("[" * 100_000 + "]" * 100_000, tmp_path)
    problem = only(error.problems, "too-deep")
    assert (problem.line, problem.column) == (1, MAX_DEPTH + 1)
    assert f"more than {MAX_DEPTH} levels" in problem.message


def test_deep_flow_nesting_below_the_first_line_is_refused_where_it_passes_the_limit(
    tmp_path: Path,
) -> None:
    # Whichever limit fires first (ours at 64, PyYAML's own at 1000 while it scans ahead),
    # the problem is ours and points where our limit was passed.
    text = "agents:\n  - id: a\n    tools: " + "[" * 5_000 + "]" * 5_000 + "\n"
    problem = only(text_error(text, tmp_path).problems, "too-deep")
    open_above = 3  # the top mapping, the agents list and the agent's mapping
    assert (problem.line, problem.column) == (3, len("    tools: ") + MAX_DEPTH - open_above + 1)


def test_deep_block_nesting_is_refused(tmp_path: Path) -> None:
    text = "".join("  " * level + f"k{level}:\n" for level in range(500))
    problem = only(text_error(text, tmp_path).problems, "too-deep")
    assert problem.line == MAX_DEPTH + 1


def test_file_over_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "axo.yaml"
    path.write_bytes(b"a: b\n" * (MAX_BYTES // 5 + 10))
    problem = only(load_error(path).problems, "too-large")
    assert "limit is 2 MiB" in problem.message
    assert (problem.line, problem.column) == (1, 1)  # a place editors can jump to


def test_megabytes_of_junk_under_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "axo.yaml"
    path.write_bytes(b"x" * (MAX_BYTES - 10))
    problem = only(load_error(path).problems, "not-a-mapping")
    assert "found the text" in problem.message


def test_many_values_are_refused(tmp_path: Path) -> None:
    text = "".join(f"k{i}: {i}\n" for i in range(60_000))
    problem = only(text_error(text, tmp_path).problems, "too-large")
    assert "more than 50000 values" in problem.message


def test_random_binary_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "axo.yaml"
    path.write_bytes(os.urandom(4096) + b"\x00")
    error = load_error(path)
    assert error.problems[0].code in {"binary-file", "bad-encoding"}


def test_nul_byte_position(tmp_path: Path) -> None:
    path = tmp_path / "axo.yaml"
    path.write_bytes(b"agents:\n  - id: a\x00b\n")
    problem = only(load_error(path).problems, "binary-file")
    assert (problem.line, problem.column) == (2, 10)
    assert "NUL bytes" in problem.message


def test_nul_in_text(tmp_path: Path) -> None:
    problem = only(text_error("a: \x00", tmp_path).problems, "binary-file")
    assert (problem.line, problem.column) == (1, 4)


def test_invalid_utf8_position(tmp_path: Path) -> None:
    path = tmp_path / "axo.yaml"
    path.write_bytes(b"name: ok\nagents: caf\xe9\n")
    problem = only(load_error(path).problems, "bad-encoding")
    assert (problem.line, problem.column) == (2, 12)
    assert "not valid UTF-8 (byte 0xe9)" in problem.message
    assert "UTF-8" in problem.hint


def test_utf16_is_named(tmp_path: Path) -> None:
    path = tmp_path / "axo.yaml"
    path.write_bytes("agents: []\n".encode("utf-16"))
    problem = only(load_error(path).problems, "bad-encoding")
    assert "UTF-16" in problem.message
    assert (problem.line, problem.column) == (1, 1)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "axo.yaml"
    path.write_bytes(b"\xef\xbb\xbfagents:\n  - id: a\n")
    assert load_config(path, environ={}).agents[0].id == "a"


def test_lone_surrogate_in_text(tmp_path: Path) -> None:
    problem = only(text_error("name: \ud800\n", tmp_path).problems, "bad-encoding")
    assert (problem.line, problem.column) == (1, 7)


def test_control_character(tmp_path: Path) -> None:
    problem = only(text_error("name: a\x07b\n", tmp_path).problems, "syntax-error")
    assert (problem.line, problem.column) == (1, 8)
    # libyaml says "control characters", PyYAML "special characters".
    assert "characters are not allowed" in problem.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n...\n", "~\n"])
def test_empty_file(text: str, tmp_path: Path) -> None:
    problem = only(text_error(text, tmp_path).problems, "empty-file")
    assert problem.message == "the config is empty"
    assert "axo init" in problem.hint
    assert problem.render().startswith(f"{problem.file}:1:1: error:")  # a line, like the rest


@pytest.mark.parametrize(
    ("text", "found"),
    [("- a\n- b\n", "a list"), ("hello\n", 'the text "hello"'), ("42\n", "the number 42")],
)
def test_top_level_must_be_a_mapping(text: str, found: str, tmp_path: Path) -> None:
    problem = only(text_error(text, tmp_path).problems, "not-a-mapping")
    assert (problem.line, problem.column) == (1, 1)
    assert problem.message == f"the top level must be a mapping of sections, found {found}"


def test_multiple_documents(tmp_path: Path) -> None:
    problem = only(
        text_error("agents: []\n---\nworkflows: []\n", tmp_path).problems, "multiple-documents"
    )
    assert problem.line == 2
    assert "remove the extra `---`" in problem.hint


def test_syntax_error_points_at_the_marker(tmp_path: Path) -> None:
    error = text_error("agents:\n  - id: a\n    model: [llama\nworkflows: []\n", tmp_path)
    problem = only(error.problems, "syntax-error")
    assert problem.line == 4
    assert problem.message.startswith("YAML syntax error: ")
    assert "expected ',' or ']'" in problem.message
    assert "not closed" in problem.hint
    assert "started at line 3" in problem.message


def test_syntax_error_on_colon_in_value(tmp_path: Path) -> None:
    error = text_error("agents:\n  - id: a\n    system_prompt: Note: be brief\n", tmp_path)
    problem = only(error.problems, "syntax-error")
    assert (problem.line, problem.column) == (3, 24)
    assert "must be quoted" in problem.hint


UNCLOSED_QUOTE = """\
agents:
  - id: a
    provider: scripted
    system_prompt: {quote}You answer briefly.
  - id: b
    provider: scripted
    system_prompt: plain text
{filler}workflows:
  - id: w
    agents: [a, b]
"""


@pytest.mark.parametrize("quote", ['"', "'"])
@pytest.mark.parametrize("later", ["", "    model: {quote}llama{quote}\n"])
def test_an_unclosed_quote_is_reported_where_it_opens(
    quote: str, later: str, tmp_path: Path
) -> None:
    # Sixty lines of config follow the mistake; with `later` a quote further down closes
    # the runaway value, so YAML fails somewhere else entirely.
    filler = "  - id: more\n    provider: scripted\n" * 30 + later.format(quote=quote)
    text = UNCLOSED_QUOTE.format(quote=quote, filler=filler)
    problem = only(text_error(text, tmp_path).problems, "syntax-error")
    assert (problem.line, problem.column) == (4, 20)
    assert "this quote is not closed on its line" in problem.message
    assert "close the quote on this line" in problem.hint


def test_a_quoted_value_over_several_lines_is_not_blamed(tmp_path: Path) -> None:
    # A quote may span lines on purpose; an error after it is reported where it happens.
    text = 'agents:\n  - id: a\n    system_prompt: "one\n      two"\n    model: [x\n'
    problem = only(text_error(text, tmp_path).problems, "syntax-error")
    assert problem.line == 6
    assert "quote" not in problem.message


def test_tab_indentation_hint(tmp_path: Path) -> None:
    problem = only(text_error("agents:\n\t- id: a\n", tmp_path).problems, "syntax-error")
    assert problem.line == 2
    assert "tabs" in problem.hint


def test_recursive_alias(tmp_path: Path) -> None:
    problem = only(text_error("agents: &x [*x]\n", tmp_path).problems, "recursive-alias")
    assert (problem.line, problem.column) == (1, 13)


def test_undefined_alias(tmp_path: Path) -> None:
    problem = only(text_error("agents: *nope\n", tmp_path).problems, "undefined-alias")
    assert (problem.line, problem.column) == (1, 9)
    assert "`&nope`" in problem.hint


@pytest.mark.parametrize(
    "tagged", ["!!python/object:os.system ls", "!!binary aGVsbG8=", "!custom x", "!!omap []"]
)
def test_unsupported_tags(tagged: str, problems: Callable[..., list[Problem]]) -> None:
    found = problems(f"agents:\n  - id: a\n    model: {tagged}\n")
    problem = only(found, "unsupported-tag")
    assert (problem.line, problem.column) == (3, 12)


def test_explicit_tag_with_a_bad_value(problems: Callable[..., list[Problem]]) -> None:
    problem = only(problems("server:\n  port: !!int abc\n"), "bad-scalar")
    assert problem.message == "`abc` is not a valid int"


def test_python_tag_never_executes(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"name: !!python/object/apply:os.system ['touch {marker}']\n"
    text_error(text, tmp_path)
    assert not marker.exists()


def test_duplicate_keys_report_both_lines(problems: Callable[..., list[Problem]]) -> None:
    found = problems(
        """
        agents:
          - id: a
            model: x
            model: y
        """
    )
    problem = only(found, "duplicate-key")
    assert (problem.line, problem.column) == (4, 5)
    assert problem.message == "duplicate key `model`: first defined at line 3, again at line 4"


def test_duplicate_top_level_section(problems: Callable[..., list[Problem]]) -> None:
    found = problems("agents: []\nname: a\nagents: []\n")
    problem = only(found, "duplicate-key")
    assert problem.line == 3 and "first defined at line 1" in problem.message


def test_complex_key(problems: Callable[..., list[Problem]]) -> None:
    problem = only(problems("? [a, b]\n: c\n"), "non-string-key")
    assert problem.line == 1 and "found a list" in problem.message


def test_merge_keys_work(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        agents:
          - &base
            id: a
            model: m
            tools: [calculator]
          - <<: *base
            id: b
        """,
    )
    config = load_config(path, environ={})
    assert config.agent("b").model == "m" and config.agent("b").tools == ("calculator",)


def test_problems_in_aliased_values_point_at_the_written_text(
    problems: Callable[..., list[Problem]],
) -> None:
    found = problems(
        """
        agents:
          - &base {id: a, max_tool_rounds: 0}
          - <<: *base
            id: b
        """
    )
    # Both agents get the bad value, but both reports point at the one place to fix.
    assert [(p.code, p.line) for p in found] == [("out-of-range", 2), ("out-of-range", 2)]
    assert "agent `a`" in found[0].message and "agent `b`" in found[1].message


def test_huge_integer_is_reported_not_raised(problems: Callable[..., list[Problem]]) -> None:
    problem = only(problems("server:\n  port: " + "1" * 5000 + "\n"), "bad-scalar")
    assert (problem.line, problem.column) == (2, 9)
    assert len(problem.message) < 100


def test_merge_of_several_mappings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        agents:
          - id: a
            model: &m {model: m}
            tools: []
        workflows:
          - &w {id: w, agents: [a]}
          - <<: [*w, {name: second}]
            id: v
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    # `model: &m {model: m}` is a mapping where text belongs: the merge did not hide it.
    assert [p.code for p in caught.value.problems] == ["wrong-type"]


def test_merge_of_a_scalar(problems: Callable[..., list[Problem]]) -> None:
    problem = only(problems("agents:\n  - <<: 5\n    id: c\n"), "wrong-type")
    assert problem.message == "`<<` merges mappings, but found the number 5"
