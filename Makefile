# Tirage: `make run` to try it, `make test` to check it. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := FLASK_APP=wsgi.py $(BIN)/flask
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-pg screenshots test-fast install install-dev lock translations messages chromium axe bench wrk clean help
.DEFAULT_GOAL := help

help:
	@echo "make run        set up, migrate, seed the demo and serve http://127.0.0.1:5000 (PORT=...), with a worker and beat"
	@echo "make test       set up and run the whole suite (SQLite; TEST_DATABASE_URL for PostgreSQL)"
	@echo "make test-pg    the whole suite on the local PostgreSQL ($(PG_TEST_URL))"
	@echo "make screenshots  the browser tests, photographing each page into tests/screenshots/ to look at"
	@echo "make messages   extract translatable strings and update the catalogues"
	@echo "make lock       recompile requirements*.txt from requirements*.in (LOCK_ARGS=\"--upgrade-package NAME\")"
	@echo "make bench      seed PostgreSQL at full scale, load-test, write bench/RESULTS.md (BENCH_ARGS=\"--scale small --duration 3\")"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# requirements*.txt are locked: every package, transitive ones too, pinned and hashed, so pip refuses
# anything it downloads that differs from what was tested. Edit the .in files, then `make lock`.
$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

# Recompiles both lock files, keeping today's pins unless LOCK_ARGS says otherwise (--upgrade,
# --upgrade-package NAME). The dev file is constrained by the runtime one, so it is compiled second.
# Index and find-links locations stay out of the files: they belong to a machine, not to the project.
PIP_TOOLS   := pip-tools==7.6.2
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

lock: $(BIN)/python
	$(BIN)/pip install --quiet $(PIP_TOOLS)
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# Compiled catalogues are built, not committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d app/translations -f >/dev/null

messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F app/babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot \
		--no-location --sort-output --project Tirage app templates
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

PORT ?= 5000

# The web server, a Celery worker and beat on Redis when it answers (else tasks run in-process);
# links in mails follow PORT.
run: install
	$(FLASK) db upgrade
	SERVER_NAME=127.0.0.1:$(PORT) $(FLASK) seed
	$(BIN)/python -m app.devserver $(PORT)

# Browser tests drive Debian's Chromium; install it when missing (needs root, as on CI).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The accessibility test injects axe-core from npm (pinned in tests/browser/package.json and its lock file),
# installed into tests/browser/node_modules (git-ignored) when missing.
AXE := tests/browser/node_modules/axe-core/axe.min.js

axe: $(AXE)

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --silent
	touch $@

test: install-dev chromium axe
	$(BIN)/python -m pytest tests -n 2 --dist loadfile --no-loadscope-reorder -q $(PYTEST_ARGS)

test-pg:
	TEST_DATABASE_URL=$(PG_TEST_URL) $(MAKE) test

# The browser tests again, photographing every page they visit (real renditions) into tests/screenshots/.
screenshots: install-dev chromium axe
	SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser -n 2 --dist loadfile -q $(PYTEST_ARGS)

# Benchmarks (bench/README.md) drive the server with Debian's wrk; install it when missing (needs root).
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		echo "Installing Debian's wrk for the benchmarks..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

$(VENV)/.installed-bench: bench/requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r bench/requirements.txt
	touch $@

bench: install $(VENV)/.installed-bench wrk
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance/tirage.db .pytest_cache tests/screenshots tests/browser/node_modules
