# Two commands: `make run` starts the platform, `make test` passes its tests.
# Each sets up what it needs: the virtual environment, the dependencies, a RabbitMQ broker.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench seed broker clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

broker: $(STAMP)
	$(BIN)/commonplace broker

run: broker
	mkdir -p var
	PATH="$(CURDIR)/$(BIN):$$PATH" ./scripts/run-platform

test: broker
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: broker
	$(BIN)/python -m bench

seed: $(STAMP)
	$(BIN)/commonplace seed

clean:
	rm -rf $(VENV) var
