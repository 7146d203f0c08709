# `make run`: fresh clone to a running suite.  `make test`: fresh clone to a green test run.
# `make bench`: the latency experiment (`python -m bench latency`); BENCH_ARGS="..." passes its
# options. The benchmarks live in bench/, beside the package: `pip install .` installs none of
# them, and `make run` none of what they need (bench/requirements.txt).
VENV ?= .venv
BIN := $(VENV)/bin
# Two pytest workers (pytest-xdist): each has its own Redis, databases and tmp dirs.
PYTEST_ARGS ?= -n 2
BENCH_ARGS ?=

.PHONY: run test bench lint pytest clean

run: $(VENV)/.installed-run
	scripts/start

test: $(VENV)/.installed-test
	scripts/ensure-tools
	$(MAKE) lint
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench latency $(BENCH_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

$(VENV)/.installed-run: setup.cfg pyproject.toml scripts/install
	VENV=$(VENV) scripts/install
	touch $@

$(VENV)/.installed-bench: setup.cfg pyproject.toml scripts/install bench/requirements.txt
	VENV=$(VENV) scripts/install bench
	touch $@ $(VENV)/.installed-run

# tests/bench run in `make test`: it installs what the benchmarks need too.
$(VENV)/.installed-test: setup.cfg pyproject.toml scripts/install bench/requirements.txt
	VENV=$(VENV) scripts/install test,bench
	touch $@ $(VENV)/.installed-run $(VENV)/.installed-bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
