#!/usr/bin/env bash
# Installs the protocol peers the test suite talks to (tests/peers/package.json, pinned by its
# package-lock.json): real MCP servers, the MCP Inspector and the MCP conformance suite. Tests
# never fetch anything; they find these under tests/peers/node_modules. Idempotent: a second
# run only checks a stamp.
set -euo pipefail
cd "$(dirname "$0")/../tests/peers"

STAMP="node_modules/.axo-peers-stamp"
want_stamp() { cat package.json package-lock.json | sha256sum | cut -d' ' -f1; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ]; then
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "axo peers: installing Node.js and npm with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else
        echo "axo peers: the test suite's MCP peers need Node.js 20 or newer and npm." >&2
        echo "axo peers: install them (Debian/Ubuntu: sudo apt-get install nodejs npm) and" >&2
        echo "axo peers: run make test again." >&2
        exit 1
    fi
fi

echo "axo peers: installing the MCP test peers into tests/peers/node_modules"
# --ignore-scripts: the Inspector's postinstall fetches client bundles its CLI mode never uses.
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
want_stamp > "$STAMP"
