# The two commands of the README: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NATIVE := $(VENV)/kb-native/SOURCES
# The modules kb/native.py compiles (its MODULES, with the rest of kb/search): rebuilt when one changes
NATIVE_SOURCES := $(wildcard kb/search/*.py) kb/langid.py kb/languages.py kb/dictionaries.py kb/index/catalog.py kb/index/keyword/tantivy.py kb/native.py
INDEX  ?= index
HOST   ?= 127.0.0.1
PORT   ?= 8000
FUZZ_CASES ?= 2000

.PHONY: install run test test-fast lint check bench bench-ingest bench-relevance bench-keyword bench-cluster bench-crash clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,cluster]'
	@touch $(STAMP)

# The search path compiled with mypyc (kb/native.py); without a C compiler kb runs its Python sources, as fast as before.
# mypy runs first: mypyc reuses its type cache (~1 min cold, where mypyc alone takes ~6).
$(NATIVE): $(STAMP) $(NATIVE_SOURCES)
	@$(BIN)/mypy >/dev/null || true
	-$(BIN)/python tools/build_native.py 2>&1 | grep -v "warning: Treating generator comprehension as list"

install: $(STAMP) $(NATIVE)

## make run: set up, ingest the sample corpus into ./index, then serve the API and the search page
run: $(STAMP) $(NATIVE)
	$(BIN)/kb ingest corpus/ --index $(INDEX)
	$(BIN)/kb search --index $(INDEX) -k 3 "how can apprenticeships be made more inclusive?"
	@echo
	@echo "Search page:  http://$(HOST):$(PORT)/"
	@echo "API docs:     http://$(HOST):$(PORT)/docs"
	@echo "From a shell: $(BIN)/kb search \"your question\"   (--json for JSON, --help for filters)"
	@echo "Stop the server with Ctrl-C."
	$(BIN)/kb serve --index $(INDEX) --host $(HOST) --port $(PORT)

## make test: set up, check the code (ruff, mypy), then run every test (the slow ones too)
test: $(STAMP) lint $(NATIVE)
	$(BIN)/python -m pytest

## make lint: ruff (style, imports, complexity <= 12) and mypy over kb/, as configured in pyproject.toml
lint: $(STAMP)
	$(BIN)/ruff check kb tests benchmarks
	$(BIN)/mypy

test-fast: $(STAMP) $(NATIVE)
	$(BIN)/python -m pytest -m "not slow"

## make check: every test, with the API fuzzed by $(FUZZ_CASES) schemathesis requests instead of the suite's 800
check: $(STAMP) $(NATIVE)
	KB_FUZZ_CASES=$(FUZZ_CASES) $(BIN)/python -m pytest

## make bench: every speed figure beside its baseline in one run (ingest, relevance cost, cold search, API load, 1M vectors); writes benchmarks/results/bench.md
bench: $(STAMP) $(NATIVE)
	$(BIN)/python benchmarks/speed.py

## make bench-ingest: ingest all of ../shared/data/labour-docs and report documents, pages, chunks, chunks/s
bench-ingest: $(STAMP)
	$(BIN)/python benchmarks/ingest_labour_docs.py

## make bench-relevance: SciFact and labour-docs, keyword / dense / hybrid, beside the published numbers
bench-relevance: $(STAMP)
	$(BIN)/python benchmarks/relevance.py

## make bench-keyword: the keyword engines (fts5, tantivy, bm25s) at 100k and 1M synthetic chunks, side by side; writes benchmarks/results/keyword.md
bench-keyword: $(STAMP)
	$(BIN)/python benchmarks/keyword.py

## make bench-cluster: 24 labour-docs files ingested here and on a local 2-node Ray cluster: wall time, tokens/s per node, Ray's overhead, start-up
bench-cluster: $(STAMP)
	$(BIN)/python benchmarks/cluster.py

## make bench-crash: SIGKILL `kb ingest` at 20 random moments, check the index after each; one summary line
bench-crash: $(STAMP)
	$(BIN)/python benchmarks/crash.py

clean:
	rm -rf $(INDEX) .pytest_cache build *.egg-info
