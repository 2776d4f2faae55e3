# Two entry points (see README): `make run` and `make test`. Everything else is a step.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.policyqa-installed
MODEL_STAMP := data/models/.assembled
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# A portable llama.cpp build: the cached wheel runs on any x86-64 CPU with AVX2.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: run test test-fast lint install model chromium index clean-venv

run: install model
	$(BIN)/policyqa serve

test: install model chromium lint
	$(BIN)/python -m pytest

# The quick tier: no LLM, no browser (the full suite is `make test`).
test-fast: install lint
	$(BIN)/python -m pytest -m "not llm and not browser"

# ruff, configured in pyproject.toml: lint, and the format it keeps.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	@echo ">>> installing torch 2.13.0 (CPU build from this machine's disk)"
	$(BIN)/python -m pip install --quiet torch==2.13.0
	@if ! $(BIN)/python -c "import llama_cpp" 2>/dev/null; then \
	  echo ">>> compiling llama-cpp-python 0.3.36 from source: 6 to 17 minutes on 2 cores, by load (cached afterwards)"; \
	  $(BIN)/python -m pip install --progress-bar on llama-cpp-python==0.3.36 -v 2>&1 \
	    | grep --line-buffered -E '^\s*\[[0-9]+/[0-9]+\]|Successfully|ERROR|error:' \
	    | sed -u -E 's/^\s*(\[[0-9]+\/[0-9]+\]).* -o ([^ ]+).*/  compiling \1 \2/'; \
	  test $${PIPESTATUS[0]} -eq 0; \
	fi
	@echo ">>> installing PolicyQA and its stack"
	$(BIN)/python -m pip install --progress-bar on -e '.[model,small-model,dev]'
	touch $@

model: $(MODEL_STAMP)

$(MODEL_STAMP): $(STAMP)
	$(BIN)/policyqa model assemble --all
	touch $@

# Debian's Chromium for the browser tests; Playwright drives it, never downloads one.
chromium:
	@command -v chromium >/dev/null || { \
	  echo ">>> installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "could not install chromium (run as root, or install it yourself)"; exit 1; }; }

index: install
	$(BIN)/policyqa index build

clean-venv:
	rm -rf $(VENV)
