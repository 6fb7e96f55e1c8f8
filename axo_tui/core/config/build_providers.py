"""Providers: the `providers:` mapping (name -> settings) to `ProviderConfig`s."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from axo_tui.core.base.redact import redact_url
from axo_tui.core.config import keys
from axo_tui.core.config.build_agents import span
from axo_tui.core.config.checker import Checker
from axo_tui.core.config.fields import ID_PATTERN, Section
from axo_tui.core.config.registry import Reference, Registry
from axo_tui.core.config.schema import ProviderConfig, ProviderKind, ScriptedStep
from axo_tui.core.config.suggest import did_you_mean, join_hints, one_of
from axo_tui.core.config.yaml_nodes import Map, Node, Scalar, Seq, kind_name

KIND_NAMES = tuple(kind.value for kind in ProviderKind)
DAY_SECS = 86_400.0
MAX_REPLY_CHARS = 100_000_000


def build_providers(
    checker: Checker, registry: Registry, node: Node, project_dir: Path
) -> list[ProviderConfig]:
    if not isinstance(node, Map):
        checker.error(
            node,
            "wrong-type",
            f"`providers` must be a mapping of provider names to settings, found {kind_name(node)}",
            "write `providers:` then one indented `name:` per provider, e.g. `  ollama: {}`",
        )
        return []
    providers: list[ProviderConfig] = []
    for name_node, settings in node.entries:
        provider = _build_provider(checker, registry, name_node, settings, project_dir)
        if provider is not None:
            providers.append(provider)
    return providers


def _build_provider(
    checker: Checker, registry: Registry, name_node: Scalar, settings: Node, project_dir: Path
) -> ProviderConfig | None:
    name = name_node.text
    valid_name = bool(ID_PATTERN.fullmatch(name))
    if not valid_name:
        checker.error(
            name_node,
            "invalid-id",
            f"`{name}` is not a valid provider name",
            "use letters, digits, `_`, `-` and `.`, starting with a letter or digit",
        )
    if isinstance(settings, Scalar) and settings.value is None:
        settings = Map(settings.line, settings.column)  # `ollama:` alone means defaults
    if not isinstance(settings, Map):
        checker.error(
            settings,
            "wrong-type",
            f"provider `{name}` must be a mapping of settings, found {kind_name(settings)}",
            f"write `{name}:` and its settings on indented lines, or `{name}: {{}}`",
        )
        return None
    section = Section(checker, settings, keys.PROVIDER, f"provider `{name}`")
    kind = _kind(section, name, name_node)
    fallback = section.opt_text("fallback")
    if fallback is not None:
        fallback_node = section.value_node("fallback") or settings
        registry.refer(Reference("provider", fallback, fallback_node, "provider", name, "fallback"))
    base_url = section.opt_text("base_url")
    if base_url is not None:
        _check_url(section, "base_url", base_url)
    model_path = section.opt_text("model_path")
    if model_path is not None:
        model_path = str(resolve_path(model_path, project_dir))
    script = _steps(section, section.value_node("script"), "script")
    replies = _replies(section, registry, name)
    if kind is not None and kind is not ProviderKind.SCRIPTED:
        for key in ("script", "replies"):
            if section.has(key):
                _ignored(section, key, f"only `scripted` providers use `{key}`")
    if kind is not None and kind is not ProviderKind.LOCAL and section.has("model_path"):
        _ignored(section, "model_path", "only `local` providers load a model file")
    config = ProviderConfig(
        name=name,
        kind=kind or ProviderKind.LOCAL,
        base_url=base_url,
        api_key=section.opt_text("api_key"),
        model=section.opt_text("model"),
        model_path=model_path,
        # Capped at a day: beyond that a socket timeout overflows, and no reply is worth it.
        timeout_secs=section.number("timeout_secs", 120.0, lo=0, lo_open=True, hi=DAY_SECS),
        deadline_secs=section.number("deadline_secs", 600.0, lo=0, lo_open=True, hi=DAY_SECS),
        max_reply_chars=section.integer("max_reply_chars", 500_000, lo=1, hi=MAX_REPLY_CHARS),
        max_retries=section.integer("max_retries", 3, lo=0, hi=10),
        fallback=fallback,
        headers=section.text_map("headers"),
        prices=_prices(section),
        script=script,
        replies=replies,
        context_window=section.opt_integer("context_window", lo=1),
        span=span(checker, name_node),
    )
    if kind is None or not valid_name:
        return None
    if not registry.declare(checker, "provider", name, name_node):
        return None
    return config


def _kind(section: Section, name: str, name_node: Scalar) -> ProviderKind | None:
    if section.has("kind") and section.value_node("kind") is not None:
        return section.choice("kind", ProviderKind, None)
    if name in KIND_NAMES:
        return ProviderKind(name)
    section.checker.error(
        name_node,
        "missing-key",
        f"provider `{name}` needs `kind`: its name is not a known provider kind",
        join_hints(did_you_mean(name, KIND_NAMES), f"add `kind:` with one of {one_of(KIND_NAMES)}"),
    )
    return None


def _ignored(section: Section, key: str, why: str) -> None:
    section.checker.warn(
        section.key_node(key),
        "ignored-key",
        f"`{key}` is ignored in {section.what}: {why}",
        f"remove `{key}` or change `kind`",
    )


def _check_url(section: Section, key: str, url: str) -> None:
    parts = urlsplit(url)
    section.check(
        parts.scheme in ("http", "https") and bool(parts.netloc),
        key,
        "invalid-url",
        f"`{key}` of {section.what} must be an http(s) URL, found `{redact_url(url)}`",
        "write the full URL, e.g. `http://localhost:11434` or `https://api.openai.com/v1`",
    )


def resolve_path(text: str, project_dir: Path) -> Path:
    """`~` expands; relative paths are relative to the config file, not the shell's cwd."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else project_dir / path


def _prices(section: Section) -> tuple[tuple[str, float, float], ...]:
    node = section.value_node("prices")
    if node is None:
        return ()
    if not isinstance(node, Map):
        section.wrong_type(
            "prices",
            node,
            "a mapping of model names to prices",
            "write `prices: {MODEL: {input: 0.15, output: 0.6}}`",
        )
        return ()
    prices: list[tuple[str, float, float]] = []
    for model, value in node.entries:
        if not isinstance(value, Map):
            section.checker.error(
                value,
                "wrong-type",
                f"the price of `{model.text}` must be a mapping, found {kind_name(value)}",
                "write `{input: USD per 1M input tokens, output: USD per 1M output tokens}`",
            )
            continue
        price = Section(section.checker, value, keys.PRICE, f"price of `{model.text}`")
        for key in keys.PRICE:
            if not price.has(key):
                price.missing(key, f"add `{key}:` in USD per million tokens")
        prices.append(
            (model.text, price.number("input", 0.0, lo=0), price.number("output", 0.0, lo=0))
        )
    return tuple(prices)


def _replies(
    section: Section, registry: Registry, provider: str
) -> tuple[tuple[str, tuple[ScriptedStep, ...]], ...]:
    node = section.value_node("replies")
    if node is None:
        return ()
    if not isinstance(node, Map):
        section.wrong_type(
            "replies",
            node,
            "a mapping of agent ids to steps",
            "write `replies: {AGENT: [step, ...]}`",
        )
        return ()
    replies: list[tuple[str, tuple[ScriptedStep, ...]]] = []
    for agent, steps in node.entries:
        # A script shared between projects may name agents this config lacks: warn only.
        # `pal#compaction` scripts pal's housekeeping calls (compaction summaries): the
        # agent it names is `pal`.
        named = agent.text.split("#", 1)[0]
        registry.refer(Reference("agent", named, agent, "provider", provider, "replies", "warning"))
        replies.append((agent.text, _steps(section, steps, f"replies for `{agent.text}`")))
    return tuple(replies)


def _steps(section: Section, node: Node | None, where: str) -> tuple[ScriptedStep, ...]:
    if node is None:
        return ()
    if not isinstance(node, Seq):
        section.checker.error(
            node,
            "wrong-type",
            f"{where} in {section.what} must be a list of steps, found {kind_name(node)}",
            "start each step with `- `: a reply text, or `{text, tool_calls, usage}`",
        )
        return ()
    return tuple(_step(section.checker, item, section.what) for item in node.items)


def _step(checker: Checker, node: Node, owner: str) -> ScriptedStep:
    if isinstance(node, Scalar):
        value, text = checker.expand(node, "text")
        return ScriptedStep(text=text if value is not None else "")
    if not isinstance(node, Map):
        checker.error(
            node,
            "wrong-type",
            f"a scripted step in {owner} must be text or a mapping, found {kind_name(node)}",
            "write a reply text, or `{text: ..., tool_calls: [...], usage: {...}}`",
        )
        return ScriptedStep()
    step = Section(checker, node, keys.SCRIPTED_STEP, f"a scripted step of {owner}")
    calls: list[tuple[str, dict[str, Any]]] = []
    for item in step.items("tool_calls", item_name="tool call"):
        call = _tool_call(checker, item, owner)
        if call is not None:
            calls.append(call)
    prompt_tokens = completion_tokens = None
    usage = step.section("usage", keys.USAGE)
    if usage is not None:
        prompt_tokens = usage.opt_integer("prompt", lo=0)
        completion_tokens = usage.opt_integer("completion", lo=0)
    return ScriptedStep(step.text("text"), tuple(calls), prompt_tokens, completion_tokens)


def _tool_call(checker: Checker, node: Node, owner: str) -> tuple[str, dict[str, Any]] | None:
    if not isinstance(node, Map):
        checker.error(
            node,
            "wrong-type",
            f"a tool call in {owner} must be a mapping, found {kind_name(node)}",
            "write `{name: TOOL, arguments: {...}}`",
        )
        return None
    call = Section(checker, node, keys.TOOL_CALL, f"a tool call of {owner}")
    name = call.opt_text("name", required=True)
    arguments: dict[str, Any] = {}
    args_node = call.value_node("arguments")
    if args_node is not None:
        if isinstance(args_node, Map):
            arguments = checker.to_python(args_node)
        else:
            call.wrong_type("arguments", args_node, "a mapping", "write `arguments: {key: value}`")
    return None if name is None else (name, arguments)
