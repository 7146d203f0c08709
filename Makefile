# `make run`: fresh clone to a running suite.  `make test`: fresh clone to a green test run.
# `make docs`: the manual (docs/, mkdocs.yml) built into site/, strict.
# `make bench`: the latency experiment (`python -m bench latency`); BENCH_ARGS="..." passes its
# options. The benchmarks live in bench/, beside the package: `pip install .` installs none of
# them, and `make run` none of what they need (bench/requirements.txt).
VENV ?= .venv
BIN := $(VENV)/bin
# mkdocs-material's notice about MkDocs 2 is not a warning of ours; --strict fails on those.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs
# Two pytest workers (pytest-xdist): each has its own Redis, databases and tmp dirs.
PYTEST_ARGS ?= -n 2
BENCH_ARGS ?=

.PHONY: run test bench lint docs pytest clean

run: $(VENV)/.installed-run
	scripts/start

test: $(VENV)/.installed-test
	scripts/ensure-tools
	$(MAKE) lint
	$(MAKE) docs
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench latency $(BENCH_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench docs/hooks
	$(BIN)/ruff format --check src tests bench docs/hooks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# A broken link or anchor, a page left out of the nav, a Settings field without a
# description: each fails the build (docs/hooks/ generate the settings table and the
# OpenAPI documents the API pages render). No network needed.
docs: $(VENV)/.installed-docs
	$(MKDOCS) build --strict --site-dir site

$(VENV)/.installed-docs: setup.cfg pyproject.toml scripts/install
	VENV=$(VENV) scripts/install docs
	touch $@

$(VENV)/.installed-run: setup.cfg pyproject.toml scripts/install
	VENV=$(VENV) scripts/install
	touch $@

$(VENV)/.installed-bench: setup.cfg pyproject.toml scripts/install bench/requirements.txt
	VENV=$(VENV) scripts/install bench
	touch $@ $(VENV)/.installed-run

# tests/bench run in `make test`, and it builds the docs: it installs what both need too.
$(VENV)/.installed-test: setup.cfg pyproject.toml scripts/install bench/requirements.txt
	VENV=$(VENV) scripts/install test,bench,docs
	touch $@ $(VENV)/.installed-run $(VENV)/.installed-bench $(VENV)/.installed-docs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis site docs/openapi
