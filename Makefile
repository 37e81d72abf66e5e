# Two commands for a newcomer: `make run` and `make test`. Each builds .venv when it is
# missing or older than pyproject.toml / requirements.lock, installing pinned versions.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint types pytest bench lock clean

$(STAMP): pyproject.toml requirements.lock
	@echo "Setting up $(VENV) with the pinned versions (first run only)..." >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements.lock \
		-e '.[dev]' > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log >&2; exit 1; }
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/python -m bot

test: lint types pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

# Both cores: the suite is mostly the simulator and loopback HTTP, CPU-bound per process.
pytest: $(STAMP)
	$(BIN)/pytest -n auto

# Every benchmark figure in one run and one table (bench/__main__.py runs bench.slack too);
# about 10 minutes on 2 cores. Kept out of `make test`.
bench: $(STAMP)
	$(BIN)/python -m bench

# Re-pin after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable --exclude agentstate > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
