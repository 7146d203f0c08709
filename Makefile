# `make run`: fresh clone to a running suite.  `make test`: fresh clone to a green test run.
VENV ?= .venv
BIN := $(VENV)/bin
# Two pytest workers (pytest-xdist): each has its own Redis, databases and tmp dirs.
PYTEST_ARGS ?= -n 2

.PHONY: run test lint pytest clean

run: $(VENV)/.installed-run
	scripts/start

test: $(VENV)/.installed-test
	scripts/ensure-tools
	$(MAKE) lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

$(VENV)/.installed-run: setup.cfg pyproject.toml scripts/install
	VENV=$(VENV) scripts/install bench
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml scripts/install
	VENV=$(VENV) scripts/install test,bench
	touch $@ $(VENV)/.installed-run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
