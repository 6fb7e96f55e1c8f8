"""Three network namespaces on one bridge, for a partition that heals: a server in each,
reached from the root namespace at 10.231.N.1x; `cut(i)` takes its link down, `heal(i)`
brings it back. Needs root (CAP_NET_ADMIN); tests skip with the kernel's refusal otherwise.
"""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass, field

import pytest


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass
class Namespaces:
    size: int = 3
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    subnet: int = field(default_factory=lambda: 100 + secrets.randbelow(150))

    def name(self, index: int) -> str:
        return f"axo{self.tag}n{index + 1}"

    def host_link(self, index: int) -> str:
        return f"ax{self.tag}h{index + 1}"

    @property
    def bridge(self) -> str:
        return f"ax{self.tag}br"

    def address(self, index: int) -> str:
        return f"10.231.{self.subnet}.{11 + index}"

    def create(self) -> Namespaces:
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            reason = getattr(exc, "stderr", "") or str(exc)
            pytest.skip(f"network namespaces are not allowed here: {reason.strip()}")
        try:
            _ip("addr", "add", f"10.231.{self.subnet}.1/24", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for index in range(self.size):
                ns, host, inner = (
                    self.name(index),
                    self.host_link(index),
                    f"ax{self.tag}i{index + 1}",
                )
                _ip("netns", "add", ns)
                _ip("link", "add", host, "type", "veth", "peer", "name", inner)
                _ip("link", "set", inner, "netns", ns)
                _ip("link", "set", host, "master", self.bridge)
                _ip("link", "set", host, "up")
                _ip("-n", ns, "addr", "add", f"{self.address(index)}/24", "dev", inner)
                _ip("-n", ns, "link", "set", inner, "up")
                _ip("-n", ns, "link", "set", "lo", "up")
        except subprocess.CalledProcessError as exc:
            self.remove()
            pytest.skip(f"network namespaces are not allowed here: {exc.stderr.strip()}")
        return self

    def cut(self, index: int) -> None:
        _ip("link", "set", self.host_link(index), "down")

    def heal(self, index: int) -> None:
        _ip("link", "set", self.host_link(index), "up")

    def remove(self) -> None:
        for index in range(self.size):
            subprocess.run(["ip", "netns", "del", self.name(index)], capture_output=True)
            subprocess.run(["ip", "link", "del", self.host_link(index)], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
