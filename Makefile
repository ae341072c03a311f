# envkeep — developer entry points. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The hot core compiled with mypyc (scripts/build_native.py), tried again when a core module
# changes; a build that falls back to pure Python is not retried until then.
NATIVE := $(VENV)/.native

.PHONY: install run lint format test bench docs clean lock

install: $(STAMP) $(NATIVE)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

$(NATIVE): $(STAMP) $(wildcard src/envkeep/core/*.py) scripts/build_native.py
	$(BIN)/python scripts/build_native.py
	touch $(NATIVE)

run: install
	$(BIN)/python scripts/demo.py

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

# Bytecode first: where PYTHONDONTWRITEBYTECODE is set, every `envkeep` process the tests start
# would otherwise compile the package from source (about 76 ms each, thousands of them).
# A worker that dies fails the run at once (xdist's replacement worker has hung a run until CI's
# limit), and a run that still hangs is interrupted after an hour, its summary printed (the
# suite takes about 12 minutes on 2 cores).
test: lint
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m compileall -q src tests
	ENVKEEP_TEST_POSTGRES=required timeout --signal=INT --kill-after=120 3600 \
		$(BIN)/pytest -q -n auto --maxprocesses 4 --dist loadfile --max-worker-restart=0 --durations=25

docs: install
	$(BIN)/python scripts/gen_cli_docs.py

bench: install
	$(BIN)/python bench/run_bench.py

# Re-pin the lock file from what is installed now (after a dependency change in pyproject.toml).
lock: install
	$(BIN)/python -m pip freeze --exclude-editable --exclude envkeep > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache src/envkeep/core/_compiled src/envkeep/core/_compiled.*
