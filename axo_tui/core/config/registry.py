"""Ids declared in a config and the references between them, checked once all are known."""

from __future__ import annotations

from dataclasses import dataclass, field

from axo_tui.core.config.checker import Checker
from axo_tui.core.config.problems import Severity
from axo_tui.core.config.yaml_nodes import Node


@dataclass(frozen=True)
class Reference:
    """The `field` of `owner_kind` `owner_id` names `name`, which must be a declared `kind`."""

    kind: str
    name: str
    node: Node
    owner_kind: str
    owner_id: str
    field: str
    severity: Severity = "error"

    @property
    def owner(self) -> str:
        return (
            f"{self.owner_kind} `{self.owner_id}`" if self.owner_id else f"this {self.owner_kind}"
        )


@dataclass
class Registry:
    ids: dict[str, dict[str, Node]] = field(default_factory=dict)
    """kind ("agent", "workflow", ...) -> id -> the node where it was declared."""
    references: list[Reference] = field(default_factory=list)

    def declare(self, checker: Checker, kind: str, ident: str, node: Node) -> bool:
        """Record an id; False (and a problem) when it was declared before."""
        known = self.ids.setdefault(kind, {})
        first = known.get(ident)
        if first is not None:
            checker.error(
                node,
                "duplicate-id",
                f"duplicate {kind} id `{ident}`: first declared at line {first.line}, "
                f"again at line {node.line}",
                f"rename one of the two {kind}s; ids must be unique",
            )
            return False
        known[ident] = node
        return True

    def refer(self, reference: Reference) -> None:
        self.references.append(reference)

    def declared(self, kind: str) -> dict[str, Node]:
        return self.ids.get(kind, {})

    def nodes_of(self, owner_kind: str, owner_id: str, field_name: str) -> dict[str, Node]:
        """name -> node of the references one field makes (first occurrence wins)."""
        nodes: dict[str, Node] = {}
        for reference in self.references:
            if (
                reference.owner_kind == owner_kind
                and reference.owner_id == owner_id
                and reference.field == field_name
            ):
                nodes.setdefault(reference.name, reference.node)
        return nodes
