# The two entry points named in the README: `make dev` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup peers examples lock dev test lint typecheck pytest bench clean

setup:
	@./scripts/setup.sh

# The protocol peers the tests talk to (MCP servers, Inspector, conformance), from npm.
peers:
	@./scripts/setup_peers.sh

# The WASM example agents (examples/wasm-pingpong), compiled from source with the toolchains
# `make peers` installs, into examples/wasm-pingpong/build/; the C ping and pong are also
# copied to examples/ping.wasm and examples/pong.wasm for the quick start. Nothing built is
# checked in.
examples: peers
	@./examples/wasm-pingpong/build.sh
	cp examples/wasm-pingpong/build/c/ping.wasm examples/wasm-pingpong/build/c/pong.wasm examples/

# Re-pin the whole dependency tree in requirements.lock (after editing pyproject.toml).
lock:
	@./scripts/lock.sh

dev: setup
	$(BIN)/axo dev examples/hello

lint: setup
	$(BIN)/ruff check axo_tui tests
	$(BIN)/ruff format --check axo_tui tests
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

pytest: setup peers
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

bench: setup
	@./tests/bench/setup_bench_env.sh
	.venv-bench/bin/python -m tests.bench

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
