# The few targets a newcomer needs. `make run` serves the demo; `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run serve setup install install-dev test check lint format migrations-check browser bench bench-tools clean vendor-axe

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

# Reinstall only when the requirements change.
$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Migrate, import the seed articles, load the curated claims and the demo workflow. Idempotent.
setup: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_documents seeds/
	$(PY) manage.py load_curated fixtures/claims.json
	$(PY) manage.py create_demo_accounts
	$(PY) manage.py load_demo_workflow fixtures/workflow.json

# The server and, in the background, the task worker that sends webhooks; stopping the server
# (Ctrl-C) stops the worker too.
run: setup
	@$(PY) manage.py db_worker --no-reload --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Production: check --deploy, collectstatic, migrate, then gunicorn (bin/start; README "Production settings").
serve: install
	bin/start

# Debian's Chromium for the end-to-end browser test (Playwright drives it; it downloads nothing).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium (the browser test will be skipped)"; fi; }

# axe-core for the public site's accessibility test, from the npm registry into tests/vendor/
# (committed, so tests never reach a CDN; run this to move to another version).
AXE_VERSION ?= 4.14.1
vendor-axe:
	cd $$(mktemp -d) && npm pack --silent axe-core@$(AXE_VERSION) && tar xzf axe-core-$(AXE_VERSION).tgz && \
	  cp package/axe.min.js $(CURDIR)/tests/vendor/axe.min.js && cp package/LICENSE $(CURDIR)/tests/vendor/axe-core.LICENSE

test: install-dev browser
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: install-dev
	$(PY) manage.py makemigrations --check --dry-run

check: lint migrations-check test

# wrk (the load generator) and nginx (the edge cache in front of gunicorn) from Debian.
bench-tools:
	@command -v wrk >/dev/null 2>&1 && { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null; \
	  else echo "wrk or nginx is missing: sudo apt-get install wrk nginx-light (the bench falls back or skips the edge)"; fi; }

bench: install-dev bench-tools
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles .pytest_cache
