"""`lattice: {backend, nats, placement}`: reading the cluster settings, every mistake with
its position (docs/config.md, "lattice")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from axo_tui.core.config import keys
from axo_tui.core.config.build_providers import resolve_path
from axo_tui.core.config.fields import Section
from axo_tui.core.config.nats_schema import ClusterSettings, LatticeBackend, NatsSettings, NatsTls
from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.config.suggest import did_you_mean
from axo_tui.core.config.yaml_nodes import Map, Scalar, Seq

NATS_URL = re.compile(r"(nats|tls|ws|wss)://[^\s/]+/?")
PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
"""Stream and bucket names are built from it: no dots, spaces or wildcards."""
NODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def build_cluster(
    section: Section | None, project_dir: Path, agents: Sequence[AgentConfig]
) -> ClusterSettings:
    if section is None:
        return ClusterSettings()
    backend = section.choice("backend", LatticeBackend, LatticeBackend.LOCAL)
    nats_section = section.section("nats", keys.NATS)
    nats = _nats(nats_section, project_dir) if nats_section is not None else NatsSettings()
    return ClusterSettings(
        backend=backend or LatticeBackend.LOCAL,
        nats=nats,
        placement=_placement(section, {agent.id for agent in agents}),
    )


def _nats(section: Section, project_dir: Path) -> NatsSettings:
    servers = _servers(section)
    token = section.opt_text("token") or None
    credentials_text = section.opt_text("credentials")
    credentials = resolve_path(credentials_text, project_dir) if credentials_text else None
    section.check(
        not (token and credentials),
        "token",
        "conflicting-keys",
        f"{section.what} gives both `token` and `credentials`",
        "keep one: a token, or a `.creds` file",
    )
    if credentials is not None:
        section.check(
            credentials.is_file(),
            "credentials",
            "missing-file",
            f"`credentials` of {section.what}: no file {credentials}",
            "give the path of the `.creds` file (relative to axo.yaml)",
        )
    node = section.text("node")
    section.check(
        not node or NODE.fullmatch(node) is not None,
        "node",
        "invalid-id",
        f"`node` of {section.what} must be letters, digits, `_` or `-`, found `{node}`",
        "name the node like a host, e.g. `node: kitchen-pi`",
    )
    prefix = section.text("prefix", "axo")
    section.check(
        PREFIX.fullmatch(prefix) is not None,
        "prefix",
        "invalid-id",
        f"`prefix` of {section.what} must start with a letter and hold only letters, digits,"
        f" `_` or `-` (32 at most), found `{prefix}`",
        "e.g. `prefix: axo_home`",
    )
    defaults = NatsSettings()
    return NatsSettings(
        servers=servers or defaults.servers,
        token=token,
        credentials=credentials,
        tls=_tls(section, project_dir),
        node=node if NODE.fullmatch(node or "-") else "",
        lease_secs=section.number("lease_secs", defaults.lease_secs, lo=1, hi=3600),
        replicas=section.integer("replicas", defaults.replicas, lo=1, hi=5),
        prefix=prefix if PREFIX.fullmatch(prefix) else defaults.prefix,
        dedupe_window_secs=section.number(
            "dedupe_window_secs", defaults.dedupe_window_secs, lo=1, hi=30 * 86_400
        ),
        run_ttl_secs=section.number("run_ttl_secs", defaults.run_ttl_secs, lo=60),
    )


def _servers(section: Section) -> tuple[str, ...]:
    node = section.value_node("servers")
    if isinstance(node, Scalar):
        url = section.text("servers")
        urls = [url] if url else []
    else:
        urls = list(section.names("servers") or ())
    for url in urls:
        section.check(
            NATS_URL.fullmatch(url) is not None,
            "servers",
            "invalid-url",
            f"`servers` of {section.what}: `{url}` is not a NATS URL",
            "write `nats://HOST:4222` (or `tls://HOST:4222`)",
        )
    return tuple(urls)


def _tls(section: Section, project_dir: Path) -> NatsTls | None:
    tls = section.section("tls", keys.NATS_TLS)
    if tls is None:
        return None
    paths: dict[str, Path | None] = {}
    for key in keys.NATS_TLS:
        text = tls.opt_text(key)
        path = resolve_path(text, project_dir) if text else None
        if path is not None:
            tls.check(
                path.is_file(),
                key,
                "missing-file",
                f"`{key}` of {tls.what}: no file {path}",
                "give a PEM file's path (relative to axo.yaml)",
            )
        paths[key] = path
    tls.check(
        (paths["cert"] is None) == (paths["key"] is None),
        "cert" if paths["cert"] is None else "key",
        "missing-key",
        f"{tls.what} needs `cert` and `key` together (a client certificate and its key)",
        "give both, or neither",
    )
    return NatsTls(ca=paths["ca"], cert=paths["cert"], key=paths["key"])


def _placement(section: Section, agent_ids: set[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    node = section.value_node("placement")
    if node is None:
        return ()
    if not isinstance(node, Map):
        section.wrong_type(
            "placement", node, "a mapping of agent ids to nodes", "write `placement: {writer: [b]}`"
        )
        return ()
    placed: list[tuple[str, tuple[str, ...]]] = []
    for key, value in node.entries:
        agent = key.text
        if agent not in agent_ids:
            hint = did_you_mean(agent, sorted(agent_ids)) or "place an agent of `agents:`"
            section.checker.error(
                key,
                "unknown-reference",
                f"`placement` names agent `{agent}`, which is not declared",
                hint,
            )
            continue
        nodes = _node_names(value)
        if nodes is None or not nodes:
            section.checker.error(
                value,
                "wrong-type",
                f"`placement` of agent `{agent}` must be a node name or a list of them",
                f"write `{agent}: [node-a, node-b]`",
            )
            continue
        placed.append((agent, nodes))
    return tuple(placed)


def _node_names(value: object) -> tuple[str, ...] | None:
    if isinstance(value, Scalar) and value.value is not None:
        names = [value.text]
    elif isinstance(value, Seq) and all(
        isinstance(item, Scalar) and item.value is not None for item in value.items
    ):
        names = [item.text for item in value.items if isinstance(item, Scalar)]
    else:
        return None
    if not all(NODE.fullmatch(name) for name in names):
        return None
    return tuple(names)
