"""The interpreter and the installed packages, read from metadata: nothing heavy is imported."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys

from axo_tui.core.doctor.model import CheckResult, fail, fail_or_warn, ok

MIN_PYTHON = (3, 11)
SETUP_FIX = "run ./scripts/setup.sh (or `pip install -e .` in axo's checkout)"

KEY_PACKAGES = ("textual", "typer", "httpx", "chromadb", "wasmtime", "tokenizers", "numpy")
"""Distributions axo cannot work without (llama-cpp-python has its own check)."""
LLAMA_DIST = "llama-cpp-python"
AXO_DIST = "axo-tui"


def check_python() -> CheckResult:
    version = ".".join(str(part) for part in sys.version_info[:3])
    if sys.version_info[:2] < MIN_PYTHON:
        wanted = ".".join(map(str, MIN_PYTHON))
        return fail(
            "python",
            f"Python {version} is too old; axo needs {wanted} or newer",
            f"install Python {wanted}+ and run `PYTHON=python{wanted} ./scripts/setup.sh`",
        )
    return ok("python", f"Python {version} ({sys.executable})")


def installed_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_packages() -> CheckResult:
    """Every key package installed, in the version range axo's own metadata declares."""
    versions = {dist: installed_version(dist) for dist in KEY_PACKAGES}
    missing = [dist for dist, version in versions.items() if version is None]
    if missing:
        return fail(
            "packages",
            f"not installed: {', '.join(missing)}",
            SETUP_FIX,
        )
    mismatched = [
        f"{dist} {versions[dist]} (axo needs {spec})"
        for dist, spec in _declared_ranges().items()
        if dist in versions and not _satisfies(versions[dist] or "", spec)
    ]
    if mismatched:
        wanted = " ".join(
            f"'{dist}{spec}'" for dist, spec in _declared_ranges().items() if dist in versions
        )
        return fail(
            "packages",
            f"wrong versions: {', '.join(mismatched)}",
            f"pip install {wanted}  (or run ./scripts/setup.sh)",
        )
    return ok("packages", ", ".join(f"{dist} {version}" for dist, version in versions.items()))


def _declared_ranges() -> dict[str, str]:
    """`{"numpy": ">=1.26,<3", ...}` from axo's installed metadata (empty if unavailable)."""
    try:
        requirements = importlib.metadata.requires(AXO_DIST) or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # packaging is everywhere in practice, but not a declared dependency
        return {}
    ranges: dict[str, str] = {}
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is None and requirement.name in KEY_PACKAGES:
            ranges[requirement.name] = str(requirement.specifier)
    return ranges


def _satisfies(version: str, spec: str) -> bool:
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion

    try:
        return SpecifierSet(spec).contains(version, prereleases=True)
    except InvalidVersion:
        return True  # a local build with an odd version string: not worth failing over


def check_llama_cpp(*, required: bool) -> CheckResult:
    """llama-cpp-python is importable. Located with find_spec: loading it costs a second."""
    if importlib.util.find_spec("llama_cpp") is None:
        return fail_or_warn(
            required,
            "llama_cpp",
            "llama-cpp-python is not installed: the embedded model cannot run"
            + ("" if required else " (no agent uses it)"),
            "run ./scripts/setup.sh: it builds llama-cpp-python with CPU flags that work here",
        )
    version = installed_version(LLAMA_DIST) or "unknown version"
    return ok("llama_cpp", f"llama-cpp-python {version} (importable; --deep loads it)")
