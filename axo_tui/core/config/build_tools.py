"""`tools:`: tools the project defines itself; today WASM tools (`wasm:`, a WASI module).

A WASM tool gets nothing unless granted here: `grants: {dirs: [...], env: [...]}`. A
directory is read-only unless `mode: rw`; the module sees it at `as:` (default: `/` and the
folder's name). Environment variables are granted by name; their values come from the
environment when the tool runs, never from this file.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from axo_tui.core.config import keys
from axo_tui.core.config.checker import Checker
from axo_tui.core.config.fields import Section, each_map
from axo_tui.core.config.registry import Registry
from axo_tui.core.config.schema import DirGrant, WasmToolConfig
from axo_tui.core.config.tool_names import KNOWN_TOOL_NAMES, MCP_PREFIX
from axo_tui.core.config.yaml_nodes import Map

_SHA256 = re.compile(r"[0-9a-f]{64}")
_TOOL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
DIR_MODES = {"ro": False, "rw": True}


def build_wasm_tool(checker: Checker, registry: Registry, node: Map) -> WasmToolConfig | None:
    section = Section(checker, node, keys.TOOL, "tool")
    name = section.opt_text("name", required=True)
    module = section.opt_text("wasm", required=True)
    if name is not None and not _TOOL_NAME.fullmatch(name):
        section.check(
            False,
            "name",
            "invalid-id",
            f"`{name}` is not a valid tool name",
            "use letters, digits, `_` and `-`, starting with a letter (at most 64)",
        )
        name = None
    if name is not None and (name in KNOWN_TOOL_NAMES or name.startswith(MCP_PREFIX)):
        section.check(
            False,
            "name",
            "duplicate-id",
            f"tool `{name}` would hide axo's own tool of that name",
            "give the WASM tool another name",
        )
        name = None
    if name is not None and not registry.declare(checker, "tool", name, node):
        name = None
    digest = section.opt_text("sha256")
    if digest is not None and not _SHA256.fullmatch(digest):
        section.check(
            False,
            "sha256",
            "invalid",
            f"`sha256` of tool `{name}` must be 64 lowercase hex digits",
            "copy it from `axo tools list`, or leave it out and run `axo tools approve NAME`",
        )
        digest = None
    defaults = WasmToolConfig(name="", module="")
    limits = section.section("limits", keys.WASM_LIMITS)
    grants = section.section("grants", keys.TOOL_GRANTS)
    if name is None or module is None:
        return None
    return WasmToolConfig(
        name=name,
        module=module,
        description=section.text("description"),
        parameters=_parameters(checker, section) or defaults.parameters,
        dirs=_dirs(checker, grants) if grants is not None else (),
        env=(grants.names("env") or ()) if grants is not None else (),
        sha256=digest,
        fuel=defaults.fuel if limits is None else limits.integer("fuel", defaults.fuel, lo=1),
        memory_mb=defaults.memory_mb
        if limits is None
        else limits.integer("memory_mb", defaults.memory_mb, lo=1, hi=4096),
        timeout_ms=defaults.timeout_ms
        if limits is None
        else limits.integer("timeout_ms", defaults.timeout_ms, lo=1, hi=600_000),
        max_output_chars=section.integer(
            "max_output_chars", defaults.max_output_chars, lo=1, hi=1_000_000
        ),
    )


def _parameters(checker: Checker, section: Section) -> dict[str, Any] | None:
    node = section.value_node("parameters")
    if node is None:
        return None
    value = checker.to_python(node) if isinstance(node, Map) else None
    if not isinstance(value, dict) or value.get("type", "object") != "object":
        section.wrong_type(
            "parameters",
            node,
            "a JSON schema of an object",
            "write `parameters: {type: object, properties: {path: {type: string}}}`",
        )
        return None
    return value


def _dirs(checker: Checker, grants: Section) -> tuple[DirGrant, ...]:
    found: list[DirGrant] = []

    def one(node: Map) -> None:
        grant = Section(checker, node, keys.DIR_GRANT, "directory grant")
        path = grant.opt_text("path", required=True)
        mode = grant.text("mode", "ro")
        if mode not in DIR_MODES:
            grant.check(
                False,
                "mode",
                "invalid-choice",
                f"`mode` of a directory grant must be `ro` or `rw`, found `{mode}`",
                "`ro`: the tool may read it; `rw`: it may also write",
            )
            return
        if path is None:
            return
        guest = grant.opt_text("as") or "/" + (PurePosixPath(path).name or "dir")
        if not guest.startswith("/"):
            grant.check(
                False,
                "as",
                "invalid",
                f"`as` of a directory grant must be an absolute path, found `{guest}`",
                "write it as the module sees it, e.g. `as: /data`",
            )
            return
        found.append(DirGrant(path=path, guest=guest, writable=DIR_MODES[mode]))

    each_map(checker, grants.items("dirs", item_name="directory"), "directory grant", one)
    return tuple(found)
