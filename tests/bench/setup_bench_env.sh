#!/usr/bin/env bash
# Creates .venv-bench: axo (editable) plus LangGraph and its SQLite checkpointer, for the
# comparison in tests/bench/bench_runtime.py. Kept apart from .venv so the product never
# depends on LangGraph. Idempotent: a second run only checks a stamp and returns at once.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON="${PYTHON:-python3}"
VENV="${AXO_BENCH_VENV:-.venv-bench}"
STAMP="$VENV/.axo-bench-stamp"
BENCH_PACKAGES=(langgraph langgraph-checkpoint-sqlite)

want_stamp() {
    # Anything that changes what gets installed must be part of this hash.
    cat pyproject.toml tests/bench/setup_bench_env.sh | sha256sum | cut -d' ' -f1
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ]; then
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "axo bench setup: creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
fi

echo "axo bench setup: installing axo, ${BENCH_PACKAGES[*]} into $VENV (first run takes a few minutes)"
LOG="$VENV/.axo-bench-install.log"
if ! {
    "$VENV/bin/python" -m pip install --upgrade pip setuptools wheel &&
        "$VENV/bin/python" -m pip install -e . "${BENCH_PACKAGES[@]}"
} >"$LOG" 2>&1; then
    cat "$LOG" >&2
    echo "axo bench setup: pip failed (log above, kept in $LOG)" >&2
    exit 1
fi

want_stamp > "$STAMP"
echo "axo bench setup: done"
