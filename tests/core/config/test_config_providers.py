"""Provider settings: kinds, URLs, timeouts, retries, prices, scripted steps."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from axo_tui.core.config import Config, Problem, ProviderKind, ScriptedStep
from tests.support.config_files import only

Problems = Callable[..., list[Problem]]


def test_kind_defaults_to_the_name(load: Callable[..., Config]) -> None:
    config = load("providers:\n  ollama:\n  openai: {}\n")
    assert config.provider("ollama").kind is ProviderKind.OLLAMA
    assert config.provider("openai").kind is ProviderKind.OPENAI


def test_custom_name_needs_a_kind(problems: Problems) -> None:
    problem = only(
        problems("providers:\n  lmstudio:\n    base_url: http://x:1234\n"), "missing-key"
    )
    assert (problem.line, problem.column) == (2, 3)
    assert (
        problem.message == "provider `lmstudio` needs `kind`: its name is not a known provider kind"
    )
    assert "`ollama`, `openai`" in problem.hint


def test_unknown_kind(problems: Problems) -> None:
    problem = only(problems("providers:\n  mine: {kind: openia}\n"), "invalid-choice")
    assert (problem.line, problem.column) == (2, 16)
    assert problem.hint.startswith("did you mean 'openai'?")
    assert "`anthropic`, `gemini`, `local`, `scripted`" in problem.hint


def test_invalid_provider_name(problems: Problems) -> None:
    problem = only(problems("providers:\n  'my provider': {kind: openai}\n"), "invalid-id")
    assert problem.line == 2


def test_providers_must_be_a_mapping(problems: Problems) -> None:
    problem = only(problems("providers:\n  - ollama\n"), "wrong-type")
    assert problem.message.startswith("`providers` must be a mapping of provider names")


def test_provider_settings_must_be_a_mapping(problems: Problems) -> None:
    problem = only(problems("providers:\n  ollama: fast\n"), "wrong-type")
    assert (problem.line, problem.column) == (2, 11)


def test_unknown_provider_key(problems: Problems) -> None:
    problem = only(problems("providers:\n  ollama: {timeout: 5}\n"), "unknown-key")
    assert problem.message == "unknown key `timeout` in provider `ollama`"
    assert problem.hint.startswith("did you mean 'timeout_secs'?")


@pytest.mark.parametrize("url", ["ftp://host", "localhost:11434", "http://"])
def test_base_url_must_be_http(url: str, problems: Problems) -> None:
    problem = only(problems(f"providers:\n  ollama:\n    base_url: '{url}'\n"), "invalid-url")
    assert (problem.line, problem.column) == (3, 15)
    assert (
        problem.message == f"`base_url` of provider `ollama` must be an http(s) URL, found `{url}`"
    )


@pytest.mark.parametrize(
    ("setting", "code", "message"),
    [
        (
            "timeout_secs: 0",
            "out-of-range",
            "`timeout_secs` in provider `p` must be greater than 0",
        ),
        (
            "timeout_secs: -1",
            "out-of-range",
            "`timeout_secs` in provider `p` must be greater than 0",
        ),
        (
            "max_retries: 11",
            "out-of-range",
            "`max_retries` in provider `p` must be between 0 and 10",
        ),
        (
            "max_retries: -1",
            "out-of-range",
            "`max_retries` in provider `p` must be between 0 and 10",
        ),
        ("max_retries: 1.5", "wrong-type", "`max_retries` in provider `p` must be a whole number"),
        (
            "context_window: 0",
            "out-of-range",
            "`context_window` in provider `p` must be at least 1",
        ),
    ],
)
def test_provider_ranges(setting: str, code: str, message: str, problems: Problems) -> None:
    problem = only(problems(f"providers:\n  p:\n    kind: ollama\n    {setting}\n"), code)
    assert problem.line == 4
    assert problem.message.startswith(message)


def test_max_retries_zero_is_fine(load: Callable[..., Config]) -> None:
    assert load("providers:\n  ollama: {max_retries: 0}\n").provider("ollama").max_retries == 0


def test_headers_and_prices(load: Callable[..., Config]) -> None:
    provider = load(
        """
        providers:
          openai:
            headers: {X-A: "1", X-B: b}
            prices:
              gpt-4o: {input: 2.5, output: 10}
        """
    ).provider("openai")
    assert provider.headers == (("X-A", "1"), ("X-B", "b"))
    assert provider.prices == (("gpt-4o", 2.5, 10.0),)


def test_price_needs_both_sides_and_no_negatives(problems: Problems) -> None:
    found = problems("providers:\n  openai:\n    prices:\n      m: {input: -1}\n")
    assert only(found, "missing-key").message == "price of `m` needs `output`"
    assert only(found, "out-of-range").line == 4


def test_scripted_steps(load: Callable[..., Config]) -> None:
    provider = load(
        """
        providers:
          scripted:
            script:
              - hello
              - text: calling
                tool_calls:
                  - name: recall_search
                    arguments: {query: cats, k: 2}
                  - name: noop
                usage: {prompt: 5, completion: 6}
            replies:
              a: [only for a]
        agents:
          - id: a
            provider: scripted
        """
    ).provider("scripted")
    assert provider.script == (
        ScriptedStep(text="hello"),
        ScriptedStep(
            text="calling",
            tool_calls=(("recall_search", {"query": "cats", "k": 2}), ("noop", {})),
            usage_prompt=5,
            usage_completion=6,
        ),
    )
    assert provider.replies == (("a", (ScriptedStep(text="only for a"),)),)


@pytest.mark.parametrize(
    ("step", "code", "line"),
    [
        ("- [nested, list]", "wrong-type", 4),
        ("- {txt: hi}", "unknown-key", 4),
        ("- {tool_calls: [{arguments: {}}]}", "missing-key", 4),
        ("- {tool_calls: [{name: x, arguments: [1]}]}", "wrong-type", 4),
        ("- {usage: {prompt: -1}}", "out-of-range", 4),
    ],
)
def test_bad_scripted_steps(step: str, code: str, line: int, problems: Problems) -> None:
    found = problems(f"providers:\n  scripted:\n    script:\n      {step}\n")
    assert only(found, code).line == line


def test_script_on_other_kinds_warns(load: Callable[..., Config]) -> None:
    config = load("providers:\n  ollama:\n    script: [hi]\n    model_path: m.gguf\n")
    assert sorted(w.message.split("`")[1] for w in config.warnings) == ["model_path", "script"]
    assert all(w.code == "ignored-key" for w in config.warnings)
