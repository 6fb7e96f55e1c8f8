#!/usr/bin/env bash
# Builds the ping and pong agents from source: build.sh [OUTDIR] [LANGUAGE...]
#   OUTDIR    where OUTDIR/<language>/{ping,pong}.wasm go (default: build/ beside this script)
#   LANGUAGE  c, assemblyscript, python (default: all three)
# The toolchains come from `make peers`: Debian's clang, lld and wasi-libc (C), AssemblyScript
# under tests/peers/node_modules (ASC overrides), componentize-py in the venv (COMPONENTIZE_PY
# overrides). Python components are built against the WIT world docs/wit/axo.wit.
# AGENTS="pong" builds only some of the agents (default: "ping pong").
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$(mkdir -p "${1:-$HERE/build}" && cd "${1:-$HERE/build}" && pwd)"
shift || true
LANGUAGES=("$@")
[ ${#LANGUAGES[@]} -gt 0 ] || LANGUAGES=(c assemblyscript python)
read -r -a AGENTS <<<"${AGENTS:-ping pong}"

missing() {
    echo "wasm-pingpong: $1 is missing: run \`make peers\` (scripts/setup_peers.sh)" >&2
    exit 1
}

build_c() {
    command -v clang >/dev/null 2>&1 || missing "clang"
    mkdir -p "$OUT/c"
    for agent in "${AGENTS[@]}"; do
        # A reactor: no main; the host calls _initialize (wasi-libc's constructors) first.
        clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra -Werror \
            -Wl,--strip-all -o "$OUT/c/$agent.wasm" "$HERE/c/$agent.c"
    done
}

build_assemblyscript() {
    local asc="${ASC:-$ROOT/tests/peers/node_modules/.bin/asc}"
    [ -x "$asc" ] || missing "AssemblyScript ($asc)"
    mkdir -p "$OUT/assemblyscript"
    for agent in "${AGENTS[@]}"; do
        # --use abort= : a failed assertion traps instead of importing env.abort.
        "$asc" "$HERE/assemblyscript/$agent.ts" -o "$OUT/assemblyscript/$agent.wasm" \
            --optimize --use abort=
    done
}

build_python() {
    local componentize="${COMPONENTIZE_PY:-$ROOT/.venv/bin/componentize-py}"
    [ -x "$componentize" ] || componentize="$(command -v componentize-py || true)"
    [ -n "$componentize" ] || missing "componentize-py"
    mkdir -p "$OUT/python"
    for agent in "${AGENTS[@]}"; do
        # From an empty folder: componentize-py also bundles what it finds in the current one.
        (cd "$OUT/python" && "$componentize" -d "$ROOT/docs/wit/axo.wit" -w agent \
            componentize -p "$HERE/python" "$agent" -o "$agent.wasm" >/dev/null)
    done
}

for language in "${LANGUAGES[@]}"; do
    case "$language" in
        c) build_c ;;
        assemblyscript) build_assemblyscript ;;
        python) build_python ;;
        *) echo "wasm-pingpong: unknown language '$language' (c, assemblyscript, python)" >&2; exit 2 ;;
    esac
    echo "wasm-pingpong: built ${AGENTS[*]} in $OUT/$language"
done
