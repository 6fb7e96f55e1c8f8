#!/usr/bin/env bash
# Creates .venv-bench: the project's own .venv plus LangGraph and its SQLite checkpointer, for
# the comparison in tests/bench/bench_runtime.py. LangGraph stays out of .venv so the product
# never depends on it.
#
# .venv-bench is layered over .venv (a .pth file adds .venv's site-packages after its own),
# so axo (installed editable there) and everything else the benchmarks need, the embedded
# models and the llama.cpp build included, are the very ones the tests use, with no second
# copy and no second llama.cpp build. Only what LangGraph needs and .venv lacks is installed
# here. Idempotent: a second run only checks stamps and returns at once.
set -euo pipefail
cd "$(dirname "$0")/../.."

BASE_VENV="${AXO_VENV:-.venv}"
VENV="${AXO_BENCH_VENV:-.venv-bench}"
STAMP="$VENV/.axo-bench-stamp"
LINK_NAME="_axo_base_venv.pth"
BENCH_PACKAGES=(langgraph langgraph-checkpoint-sqlite)

if [ ! -x "$BASE_VENV/bin/python" ]; then
    ./scripts/setup.sh # the base environment (`make bench` keeps it up to date)
fi

want_stamp() {
    # Anything that changes what gets installed must be part of this hash.
    {
        cat tests/bench/setup_bench_env.sh
        cat "$BASE_VENV/.axo-setup-stamp" 2>/dev/null || true
    } | sha256sum | cut -d' ' -f1
}

site_packages() {
    "$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ]; then
    exit 0
fi

BASE_SITE="$(cd "$(site_packages "$BASE_VENV")" && pwd)"
if [ ! -x "$VENV/bin/python" ] || [ ! -f "$(site_packages "$VENV")/$LINK_NAME" ]; then
    echo "axo bench setup: creating $VENV on top of $BASE_VENV"
    "$BASE_VENV/bin/python" -m venv --clear "$VENV"
    printf 'import site; site.addsitedir(%s)\n' "'$BASE_SITE'" >"$(site_packages "$VENV")/$LINK_NAME"
fi

echo "axo bench setup: installing ${BENCH_PACKAGES[*]} into $VENV"
LOG="$VENV/.axo-bench-install.log"
if ! "$VENV/bin/python" -m pip install "${BENCH_PACKAGES[@]}" >"$LOG" 2>&1; then
    cat "$LOG" >&2
    echo "axo bench setup: pip failed (log above, kept in $LOG)" >&2
    exit 1
fi
"$VENV/bin/python" -c 'import axo_tui.core.runtime.runtime, langgraph.checkpoint.sqlite.aio'

want_stamp >"$STAMP"
echo "axo bench setup: done"
