# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test soak bench einvoice-rules lint format messages system-libs test-system-libs gettext chromium migrate demo clean clean-test-db

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-test.txt
	touch $@

# System packages, each checked by the file it provides and installed only when missing:
# WeasyPrint needs Pango, HarfBuzz and fonts; the PDF tests read PDFs with poppler-utils;
# the browser tests drive Debian's Chromium (Playwright never downloads a browser);
# `make messages` needs GNU gettext.
RUNTIME_PACKAGES := \
  libpango-1.0-0:lib:libpango-1.0.so.0 \
  libpangoft2-1.0-0:lib:libpangoft2-1.0.so.0 \
  libharfbuzz0b:lib:libharfbuzz.so.0 \
  libharfbuzz-subset0:lib:libharfbuzz-subset.so.0 \
  fontconfig:bin:fc-list \
  fonts-dejavu-core:file:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
TEST_PACKAGES := \
  poppler-utils:bin:pdftotext \
  chromium:bin:chromium
MESSAGE_PACKAGES := gettext:bin:msgfmt

define install_missing
@missing=""; \
for spec in $(1); do \
  package=$${spec%%:*}; rest=$${spec#*:}; kind=$${rest%%:*}; name=$${rest#*:}; \
  case $$kind in \
    lib) ldconfig -p | grep -q "$$name" || missing="$$missing $$package" ;; \
    bin) command -v "$$name" >/dev/null || missing="$$missing $$package" ;; \
    file) [ -e "$$name" ] || missing="$$missing $$package" ;; \
  esac; \
done; \
if [ -n "$$missing" ]; then \
  echo "Installing missing system packages:$$missing"; \
  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
fi
endef

system-libs:
	$(call install_missing,$(RUNTIME_PACKAGES))

test-system-libs: system-libs
	$(call install_missing,$(TEST_PACKAGES))

gettext:
	$(call install_missing,$(MESSAGE_PACKAGES))

# Kept for old habits: the browser is part of test-system-libs.
chromium: test-system-libs

migrate: $(VENV)/.installed system-libs
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo --url http://$(HOST):$(PORT)/

run: demo
	@echo "Serving http://$(HOST):$(PORT)/ (set HOST and PORT to change it)"
	$(PY) manage.py runserver $(HOST):$(PORT)

# The whole suite, in parallel (one database per worker) and in random order (the seed is
# printed; replay an order with PYTEST_ARGS=--randomly-seed=N), with branch
# coverage. Uses DATABASE_URL when it is set (PostgreSQL), SQLite otherwise.
# PYTHONDONTWRITEBYTECODE is emptied for the run: with it set, every worker compiled the project
# and re-wrote the assertions of every test module and plugin again (4 s a worker, each run).
TEST_WORKERS ?= auto
test: $(VENV)/.installed-test test-system-libs
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal --cov --cov-report=term $(PYTEST_ARGS)

# The allocation engine's properties with ten times the listed cases, the API schema fuzz
# with 40 requests per operation and 40 linked scenarios, every official e-invoice unit test
# (1,526 cases; make test runs all the Peppol ones and a quarter of the CEN ones) and the proof
# that our CEN stylesheet fires what CEN's own XSLT fires (on every case and 300 drawn
# documents), and 5,000 sequences of the billing-cycle state machine (hours; not part of make test;
# CYCLE_SEQUENCES=N to change the last figure), and the round trips of data migrations already
# released (PostgreSQL only: set DATABASE_URL).
CYCLE_SEQUENCES ?= 5000
soak: $(VENV)/.installed-test
	PROPERTY_EXAMPLES_SCALE=10 $(PY) -m pytest -p no:randomly -q tests/funding/test_allocation.py -k property $(PYTEST_ARGS)
	SCHEMA_FUZZ_EXAMPLES=40 SCHEMA_FUZZ_SCENARIOS=40 $(PY) -m pytest -p no:randomly -q tests/api/test_api_schema_fuzz.py $(PYTEST_ARGS)
	EINVOICE_UNIT_TESTS=all $(PY) -m pytest -p no:randomly -q tests/einvoice/test_unit_tests.py tests/einvoice/test_cen_equivalence.py $(PYTEST_ARGS)
	CYCLE_SEQUENCES=$(CYCLE_SEQUENCES) $(PY) -m pytest -p no:randomly -q -s tests/invoicing/test_cycle_state_machine.py $(PYTEST_ARGS)
	MIGRATION_ROUND_TRIPS=all $(PY) -m pytest -p no:randomly -q tests/collaboration/test_migrations.py tests/invoicing/invoices/test_snapshot.py tests/invoicing/receivables/test_migration.py -k migrat $(PYTEST_ARGS)

# Compile the Peppol BIS rules (published as Schematron only) and CEN's pre-processed
# Schematron into the committed XSLT the validator runs (einvoice/rulesets/peppol-bis-*/
# PEPPOL-EN16931-UBL.xslt, cen-en16931-*/EN16931-UBL-validation-preprocessed.xslt). A test
# fails when one is stale.
einvoice-rules: $(VENV)/.installed
	$(PY) -m einvoice.rules

# Benchmarks print a table each; they are never part of `make test`.
bench: $(VENV)/.installed-test test-system-libs
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
messages: $(VENV)/.installed gettext
	$(PY) manage.py makemessages --locale sv --locale da --ignore '.venv/*' --ignore 'tests/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

# The suite keeps one migrated PostgreSQL database per migration set (tests/db_template.py).
clean-test-db:
	psql "$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -Atc \
	  "SELECT datname FROM pg_database WHERE datname LIKE 'billing\_tpl\_%'" \
	  | xargs -r -I{} psql "$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -qc 'DROP DATABASE "{}"'
