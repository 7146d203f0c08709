# `make run`: fresh clone to a running suite.  `make test`: fresh clone to a green test run.
# `make docs`: the manual (docs/, mkdocs.yml) built into site/, strict.
VENV ?= .venv
BIN := $(VENV)/bin
# mkdocs-material's notice about MkDocs 2 is not a warning of ours; --strict fails on those.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs
# Two pytest workers (pytest-xdist): each has its own Redis, databases and tmp dirs.
PYTEST_ARGS ?= -n 2

.PHONY: run test lint docs pytest clean

run: $(VENV)/.installed-run
	scripts/start

test: $(VENV)/.installed-test
	scripts/ensure-tools
	$(MAKE) lint
	$(MAKE) docs
	$(BIN)/pytest $(PYTEST_ARGS)

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
	VENV=$(VENV) scripts/install bench
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml scripts/install
	VENV=$(VENV) scripts/install test,bench,docs
	touch $@ $(VENV)/.installed-run $(VENV)/.installed-docs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis site docs/openapi
