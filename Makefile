# The README's commands. `make run` and `make test` work on a fresh machine: they create the
# virtualenv, install the pinned dependencies and prepare the database themselves.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_ENV := DEBUG=true

.PHONY: install system-deps run test faults lint fmt migrate seed tick backup bench messages clean

$(BIN)/python:
	@py=$$(scripts/find-python.sh) || exit 1; \
	echo "Creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: system-deps $(VENV)/.installed

# Fonts, Pango (PDF rendering) and the PDF/QR tools the tests use: apt-get when missing.
system-deps:
	@scripts/system-deps.sh

migrate: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(DEMO_ENV) PUBLIC_BASE_URL=http://127.0.0.1:$(PORT) $(BIN)/python manage.py seed_demo

# Serves the app and runs the background worker (outbox: certificates, e-mail) beside it,
# restarting the worker whenever it exits.
run: seed
	@echo ""
	@echo "Serving on http://127.0.0.1:$(PORT)/  (admin: http://127.0.0.1:$(PORT)/admin/)"
	@echo "Demo logins (password demo-pass-2026): registrar, enterprise, bank"
	@( trap 'kill $$child 2>/dev/null; exit 0' INT TERM; \
	   while true; do $(DEMO_ENV) PUBLIC_BASE_URL=http://127.0.0.1:$(PORT) $(BIN)/python manage.py worker --interval 1 & child=$$!; \
	     wait $$child; echo "worker exited ($$?); restarting in 2 s"; sleep 2; done ) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) PUBLIC_BASE_URL=http://127.0.0.1:$(PORT) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

tick: install
	$(DEMO_ENV) $(BIN)/python manage.py registry_tick

# One archive of the database, MEDIA_ROOT and the signing material (README, Operations: "Backup,
# restore and retention"); BACKUP_DIR picks the folder (default var/backups/).
backup: install
	$(DEMO_ENV) $(BIN)/python manage.py backup $(if $(BACKUP_DIR),--output $(BACKUP_DIR))

# Style, the layer rule (import-linter contracts in pyproject.toml) and types (mypy).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The whole suite: lint (style, layers, types), migrations in step with the models, then pytest.
# DATABASE_URL picks the database (SQLite by default; .ci/run runs it on PostgreSQL too).
test: lint
	DJANGO_SETTINGS_MODULE=config.settings_test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -m "not faults"

# Fault drills: real worker and server processes killed, connections terminated (a few minutes;
# .ci/run runs them once per database after make test).
faults: install
	$(BIN)/python -m pytest -m faults

# Extract translatable strings and compile the catalogue (the compiled .mo is committed, so
# running the app needs no gettext tools; maintaining translations does).
messages: install
	@command -v msgfmt >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext; } \
	  || { echo "Install GNU gettext (apt-get install gettext)"; exit 1; }
	$(DEMO_ENV) $(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests
	$(DEMO_ENV) $(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

# Benchmarks (outside CI): figures printed, goals stated beside them.
bench: install
	$(BIN)/python -m bench.certificates
	$(BIN)/python -m bench.valuation
	$(BIN)/python -m bench.bank_api

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache var
