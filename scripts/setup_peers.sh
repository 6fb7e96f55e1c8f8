#!/usr/bin/env bash
# Installs the protocol peers the test suite talks to (tests/peers/package.json, pinned by its
# package-lock.json): real MCP servers, the MCP Inspector, the MCP conformance suite and the
# AssemblyScript compiler; and Debian's C-to-WebAssembly toolchain, which builds the C guests.
# Tests never fetch anything; they find these under tests/peers/node_modules and /usr. Idempotent:
# a second run only checks for the toolchain's files and a stamp.
set -euo pipefail
cd "$(dirname "$0")/../tests/peers"

# C guests: clang --target=wasm32-wasi needs wasm-ld (lld), the WASI libc and the wasm32
# compiler-rt builtins. Debian 12 names them so; the files below are what the build really uses.
WASM_C_PACKAGES="clang lld wasi-libc libclang-rt-14-dev-wasm32"
wasm_c_toolchain_ready() {
    command -v clang >/dev/null 2>&1 && command -v wasm-ld >/dev/null 2>&1 \
        && [ -f /usr/lib/wasm32-wasi/libc.a ] \
        && compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a" >/dev/null
}
if ! wasm_c_toolchain_ready; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "axo peers: installing the C-to-WebAssembly toolchain with apt-get ($WASM_C_PACKAGES)"
        apt-get update -qq
        # shellcheck disable=SC2086  # the list is meant to split into package names
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $WASM_C_PACKAGES >/dev/null
    else
        echo "axo peers: the WASM tests build C guests with clang, lld and the WASI libc." >&2
        echo "axo peers: install them (Debian/Ubuntu: sudo apt-get install $WASM_C_PACKAGES)" >&2
        echo "axo peers: and run make test again." >&2
        exit 1
    fi
fi

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

echo "axo peers: installing the MCP test peers and AssemblyScript into tests/peers/node_modules"
# --ignore-scripts: the Inspector's postinstall fetches client bundles its CLI mode never uses.
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
want_stamp > "$STAMP"
