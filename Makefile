# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench lint format messages system-libs chromium migrate demo clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-test.txt
	touch $@

# WeasyPrint needs Pango (and HarfBuzz, fonts); install them from Debian's packages where missing.
system-libs:
	@if ! ldconfig -p | grep -q 'libpango-1.0.so.0' || ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0' \
	    || ! fc-list 2>/dev/null | grep -qi dejavu; then \
	  echo "Installing the system libraries WeasyPrint needs"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq \
	    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig \
	    fonts-dejavu-core poppler-utils >/dev/null; \
	fi

# Browser tests drive Debian's Chromium (Playwright never downloads a browser).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; \
	fi

migrate: $(VENV)/.installed system-libs
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

run: demo
	$(PY) manage.py runserver $(HOST):$(PORT)

# The whole suite; uses DATABASE_URL when it is set (PostgreSQL), SQLite otherwise.
test: $(VENV)/.installed-test system-libs chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks print a table each; they are never part of `make test`.
bench: $(VENV)/.installed-test system-libs
	@for bench in tests/benchmarks/bench_*.py; do \
	  echo "== $$bench"; $(PY) $$bench || exit 1; \
	done

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Needs GNU gettext; the compiled catalogues (.mo) are committed so running needs no gettext.
messages: $(VENV)/.installed
	$(PY) manage.py makemessages --locale sv --locale da --ignore '.venv/*' --ignore 'tests/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
