# Two commands: `make run` starts the platform, `make test` passes its tests.
# Each sets up what it needs: the virtual environment, the dependencies, a RabbitMQ broker.
# `make test-mongo` passes them again on a MongoDB wire-protocol server (FerretDB, built with
# Go); `make mongo` serves one on 127.0.0.1:27017 for `STORE_URI=mongodb://127.0.0.1:27017 make run`.
# `make test-search` passes the search suite on OpenSearch; `make search` serves one.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-mongo test-search search mongo bench seed broker browser screenshots catalogue clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/pybabel compile --use-fuzzy -d web/translations
	touch $(STAMP)

broker: $(STAMP)
	$(BIN)/commonplace broker

# Debian's Chromium and its driver, and axe-core, for the browser tests.
browser: $(STAMP)
	$(BIN)/commonplace browser

run: broker
	mkdir -p var
	PATH="$(CURDIR)/$(BIN):$$PATH" ./scripts/run-platform

# (Tests that need OpenSearch are `make test-search`'s.)
test: broker browser
	$(BIN)/python -m pytest -m "not opensearch" $(PYTEST_ARGS)

# The web app's message catalogue, after its strings changed (a unit test says when).
catalogue: $(STAMP)
	$(BIN)/pybabel extract -F web/babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location --sort-output --omit-header -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations -l en --no-fuzzy-matching
	$(BIN)/pybabel compile --use-fuzzy -d web/translations

# The screenshots of the main pages in docs/screenshots/, at 1280 and 390 px wide.
screenshots: broker browser
	$(BIN)/python -m tests.browser.screenshots

# The repository suite and the whole e2e suite as production runs: each platform on a wire
# server of its own, its event queues quorum queues.
test-mongo: broker
	$(BIN)/commonplace mongo --build-only
	COMMONPLACE_TEST_STORE=wire $(BIN)/python -m pytest -m mongo tests/unit $(PYTEST_ARGS)
	COMMONPLACE_TEST_STORE=wire AMQP_QUEUE_TYPE=quorum $(BIN)/python -m pytest -m "not opensearch" tests/e2e $(PYTEST_ARGS)

# The search suite again on OpenSearch (fetched once from Maven Central into var/tools/; it needs
# Java 17 or newer): the engines' suite, and the e2e search tests with two knowledge replicas on
# the MongoDB wire server searching one OpenSearch index, and OpenSearch going away.
test-search: broker
	$(BIN)/commonplace mongo --build-only
	$(BIN)/commonplace search --install-only
	COMMONPLACE_TEST_STORE=wire COMMONPLACE_TEST_SEARCH=opensearch $(BIN)/python -m pytest -m "search or opensearch" tests/unit tests/e2e $(PYTEST_ARGS)

# OpenSearch on 127.0.0.1:9200 for `SEARCH_URI=http://127.0.0.1:9200 make run`.
search: $(STAMP)
	mkdir -p var
	$(BIN)/commonplace search

mongo: $(STAMP)
	mkdir -p var
	$(BIN)/commonplace mongo

bench: broker
	$(BIN)/commonplace search --install-only
	$(BIN)/python -m bench

seed: $(STAMP)
	$(BIN)/commonplace seed

clean:
	rm -rf $(VENV) var
