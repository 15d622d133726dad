# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOCKFILE := requirements.lock
# The installed set follows the lock: a new lock (or pyproject) means a fresh install.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCKFILE) | cksum | cut -d' ' -f1)
UV_REQUIREMENT := uv>=0.9,<1
OIDC_DIR := tests/oidc
PORT ?= 8000
HOST ?= 127.0.0.1
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: setup lock lock-upgrade browser oidc-provider run test test-sqlite test-postgres lint typecheck bench clean translations

# Installs exactly what requirements.lock pins, each file checked against its hash; then the
# project itself without dependencies. Stops first, saying so, when pyproject.toml's
# dependencies changed since the lock was made (`make lock` fixes that).
$(STAMP): pyproject.toml $(LOCKFILE)
	@$(PYTHON) scripts/lock.py --check
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCKFILE)
	$(PY) -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

# Bring requirements.lock in line with pyproject.toml (after adding or changing a dependency);
# versions already locked stay while still allowed. `make lock-upgrade` moves everything to the
# newest allowed versions. Both install uv into .venv from PyPI; commit the lock afterwards.
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet '$(UV_REQUIREMENT)'
	$(PY) scripts/lock.py

lock-upgrade:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet '$(UV_REQUIREMENT)'
	$(PY) scripts/lock.py --upgrade

# The single sign-on tests run a real OpenID provider (npm oidc-provider) on loopback,
# installed exactly as tests/oidc/package-lock.json pins it.
oidc-provider: $(OIDC_DIR)/node_modules/.package-lock.json

$(OIDC_DIR)/node_modules/.package-lock.json: $(OIDC_DIR)/package.json $(OIDC_DIR)/package-lock.json
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Node.js for the single sign-on tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "npm is missing: install Node.js 20 or later (the single sign-on tests need it)"; exit 1; fi; \
	fi
	cd $(OIDC_DIR) && npm ci --no-audit --no-fund --loglevel=error

# Browser tests drive Debian's Chromium (no browser download is possible here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else echo "Chromium is missing: browser tests will be skipped (apt-get install chromium)"; fi; \
	fi

run: setup
	$(VENV)/bin/tracker migrate
	$(VENV)/bin/tracker demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	PORT=$(PORT) HOST=$(HOST) $(VENV)/bin/tracker serve

# The whole suite on the embedded SQLite database, then the database tests again on
# PostgreSQL (skipped, with the reason shown, when no PostgreSQL answers).
test: setup lint browser oidc-provider test-sqlite test-postgres

test-sqlite: setup
	TEST_DB=sqlite $(PY) -m pytest -ra

test-postgres: setup
	TEST_DB=postgres TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(PY) -m pytest -ra -m "not browser" tests/api tests/db tests/plans tests/security tests/notify tests/family tests/staff tests/ops

# Family page text (Babel): extract to locale/messages.pot, update each language's catalogue
# (English filled from the source text), compile the .mo files. Commit the results.
translations: setup
	$(PY) -m tracker.i18n

# Style, complexity (C901), deliberate lazy imports (PLC0415), the import contracts and types
# (mypy over tracker/, strict on tracker/plans and tracker/notify: docs/architecture.md, "Types").
lint: setup
	$(VENV)/bin/ruff check tracker tests bench
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

# The type check alone (also part of `make lint`).
typecheck: setup
	$(VENV)/bin/mypy

# Figures, not pass/fail, and never part of `make test`. The web bench (bench/web.py) fills
# England-sized data (scale 1: 1,000,000 actions on PostgreSQL, a tenth on SQLite), loads the
# pages with wrk, times the dispatcher and materialising, and writes profiles of each endpoint.
# --reuse keeps the generated databases (var/bench/ and a tracker_bench_g* PostgreSQL database,
# about 3 GB at scale 1) for the next run; BENCH_ARGS="--scale 0.05 --seconds 3" runs it small.
BENCH_ARGS ?= --reuse --profile
bench: setup
	$(PY) bench/language_check_report.py
	$(PY) bench/language_heldout.py
	$(PY) bench/outbox_claim.py --big 200000 --postgres $(TEST_POSTGRES_URL)
	$(PY) bench/web.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/tracker.db* $(OIDC_DIR)/node_modules
