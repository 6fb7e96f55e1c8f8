#!/usr/bin/env bash
# Creates .venv and installs axo with everything it needs. Idempotent: a second run
# only checks a stamp and returns within a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${AXO_VENV:-.venv}"
STAMP="$VENV/.axo-setup-stamp"

want_stamp() {
    # Anything that changes what gets installed must be part of this hash.
    cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ]; then
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "axo setup: creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
fi

echo "axo setup: installing axo and its dependencies (first run takes a few minutes)"
"$VENV/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
"$VENV/bin/python" -m pip install --quiet -e '.[dev]'

want_stamp > "$STAMP"
echo "axo setup: done"
