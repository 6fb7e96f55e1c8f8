"""FIPA-ACL messages as JSON, and the bus that carries them between agents (docs/abi.md)."""

from axo_tui.core.acl.message import AclError, AclMessage, Performative
from axo_tui.core.acl.router import AclRouter, Endpoint

__all__ = ["AclError", "AclMessage", "AclRouter", "Endpoint", "Performative"]
