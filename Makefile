# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint types pytest services clean bench images install upgrade backup

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	scripts/run.sh

test: lint types pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(VENV)/.installed
	$(BIN)/mypy .

# Tests keep their own data folder and Redis database, apart from `make run`'s.
pytest: $(VENV)/.installed
	BERTH_DATA_DIR=$(CURDIR)/var/test REDIS_URL=$${BERTH_TEST_REDIS_URL:-redis://127.0.0.1:6379/15} \
		$(BIN)/pytest $(PYTEST_ARGS)

services:
	scripts/services.sh

bench: $(VENV)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var artifacts

# Images for tests and registry-less hosts, made from this machine's Debian packages.
images:
	scripts/images.sh

# Berth itself as swarm services on this manager (README, "Production"). Settings come
# from the environment (BERTH_DATA_DIR, BERTH_ROOT_DOMAIN, ...) and are kept in the
# data folder's install.env for the next upgrade.
install: $(VENV)/.installed
	$(BIN)/python manage.py install

upgrade: $(VENV)/.installed
	$(BIN)/python manage.py upgrade

backup: $(VENV)/.installed
	$(BIN)/python manage.py backup
