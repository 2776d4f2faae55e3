# Two entry points (see README): `make run` and `make test`. Everything else is a step.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.policyqa-installed
MODEL_STAMP := data/models/.assembled
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# llama.cpp compiled for this machine's CPU (AVX-512 where it has it: it reads a prompt about
# a third faster than the portable AVX2 build, measured side by side). The wheel is kept in a
# folder named after the CPU's instruction sets and CMAKE_ARGS, so a cache shared with another
# machine never hands it a build its CPU cannot run (the generator checks again when it loads).
LLAMA_CPP := 0.3.36
export CMAKE_ARGS ?= -DGGML_NATIVE=ON
CPU_KEY := $(shell { grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || uname -m; echo '$(CMAKE_ARGS)'; } | tr ' ' '\n' | sort | sha256sum | cut -c1-12)
LLAMA_WHEELS ?= $(HOME)/.cache/policyqa/llama-cpp-python-$(LLAMA_CPP)-$(CPU_KEY)

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
	  if ! ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP)-*.whl >/dev/null 2>&1; then \
	    echo ">>> compiling llama-cpp-python $(LLAMA_CPP) for this CPU: 6 to 17 minutes on 2 cores, by load (kept in $(LLAMA_WHEELS))"; \
	    $(BIN)/python -m pip wheel --no-deps --no-cache-dir --no-binary llama-cpp-python -w $(LLAMA_WHEELS) \
	      llama-cpp-python==$(LLAMA_CPP) -v 2>&1 \
	      | grep --line-buffered -E '^\s*\[[0-9]+/[0-9]+\]|Successfully|Saved|ERROR|error:' \
	      | sed -u -E 's/^\s*(\[[0-9]+\/[0-9]+\]).* -o ([^ ]+).*/  compiling \1 \2/'; \
	    test $${PIPESTATUS[0]} -eq 0; \
	  fi; \
	  $(BIN)/python -m pip install --quiet $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP)-*.whl; \
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
