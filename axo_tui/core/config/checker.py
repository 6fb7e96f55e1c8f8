"""Collects the problems of one file and expands `${VAR}` references in its values."""

from __future__ import annotations

from typing import Any

from axo_tui.core.config.envsubst import Environment
from axo_tui.core.config.problems import Problem, Severity
from axo_tui.core.config.yaml_nodes import Map, Node, Scalar, Seq, resolve_plain

ScalarValue = str | int | float | bool | None

API_KEY_FIELDS = frozenset({"api_key", "token", "api_keys"})
"""Keys whose unset `${VAR}` is a warning, not an error: `axo doctor` flags it later, and a
server with no token stays on loopback (the API's `token`, Axocoatl's `api_keys`)."""
SECRET_HEADERS = frozenset({"authorization", "proxy_authorization", "x_api_key", "api_key"})
"""Header names whose unset `${VAR}` is a warning too, as an `api_key`'s is (an MCP
server's `Authorization: "Bearer ${TOKEN}"`: the server may need no token at all)."""


class Checker:
    """Collects the problems of one file and expands `${VAR}` references."""

    def __init__(
        self, file: str, env: Environment, extra_tools: frozenset[str] = frozenset()
    ) -> None:
        self.file = file
        self.env = env
        self.extra_tools = extra_tools
        """Tool names the embedding program registers itself (see `load_config`)."""
        self.problems: list[Problem] = []
        self.root: Map | None = None
        """The top-level mapping: sections directly under it are named just `key`."""

    def report(
        self,
        node: Node | None,
        code: str,
        message: str,
        hint: str = "",
        severity: Severity = "error",
    ) -> None:
        line, column = (node.line, node.column) if node is not None else (0, 0)
        self.problems.append(Problem(self.file, line, column, message, hint, severity, code))

    def warn_at(self, line: int, column: int, code: str, message: str, hint: str = "") -> None:
        """A warning at a position recorded on a built object (its `span`)."""
        self.problems.append(Problem(self.file, line, column, message, hint, "warning", code))

    def error(self, node: Node | None, code: str, message: str, hint: str = "") -> None:
        self.report(node, code, message, hint, "error")

    def warn(self, node: Node | None, code: str, message: str, hint: str = "") -> None:
        self.report(node, code, message, hint, "warning")

    def expand(self, node: Scalar, key: str) -> tuple[ScalarValue, str]:
        """(typed value, text) of a scalar after `${VAR}` substitution."""
        if not isinstance(node.value, str) or "${" not in node.text:
            return node.value, node.text
        result = self.env.expand(node.text)
        for body in result.malformed:
            self.error(
                node,
                "bad-substitution",
                f"`${{{body}}}` is not a valid variable reference",
                "write `${NAME}` or `${NAME:-default}`; write `$${` for a literal `${`",
            )
        for name in result.missing:
            where = f"add `{name}=...` to {self.env.env_file}"
            if key in API_KEY_FIELDS or key.lower().replace("-", "_") in SECRET_HEADERS:
                self.warn(
                    node,
                    "unset-variable",
                    f"environment variable `{name}` is not set; `{key}` is empty",
                    f"export {name}=... in your shell or {where}",
                )
            else:
                self.error(
                    node,
                    "undefined-variable",
                    f"environment variable `{name}` is not set",
                    f"export {name}=... in your shell, {where}, "
                    f"or give a default: `${{{name}:-value}}`",
                )
        if node.plain and result.changed and key not in API_KEY_FIELDS:
            # `port: ${PORT:-8080}` should be the number 8080, as if written in place.
            return resolve_plain(result.text), result.text
        return result.text, result.text

    def to_python(self, node: Node, key: str = "") -> Any:
        """Plain Python data (for free-form values like tool-call arguments)."""
        if isinstance(node, Scalar):
            return self.expand(node, key)[0]
        if isinstance(node, Seq):
            return [self.to_python(item, key) for item in node.items]
        return {k.text: self.to_python(v, k.text) for k, v in node.entries}
