# Everything a person runs. `make run` and `make test` set up what they need on a fresh machine
# (Python 3.11, make, Node.js with npm): the virtualenv, the Python packages, the browser assets.
# `make test` also needs PostgreSQL, Redis, RabbitMQ and Debian's Chromium (README.md, "Quick start").

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := service/assets
ASSETS_INSTALLED := $(ASSETS)/node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
# PostgreSQL for the test suite's second pass (a database of its own is created per run).
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# The browser the browser tests drive (tests/browser/conftest.py reads the same variable).
export MOTCUA_CHROMIUM ?= /usr/bin/chromium
IN_CI := $(filter 1 true yes,$(shell printf '%s' '$(CI)' | tr A-Z a-z))

.PHONY: setup run simulators test test-sqlite test-postgres browser lint bench screenshots clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(ASSETS_INSTALLED): $(ASSETS)/package.json $(ASSETS)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js with npm (Debian: sudo apt-get install npm)" >&2; exit 1; }
	npm ci --prefix $(ASSETS) --no-audit --no-fund --loglevel=error
	touch $@

setup: $(INSTALLED) $(ASSETS_INSTALLED)

instance/secret_key:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@
	chmod 600 $@

# The demo's signing keys (DEMO ONLY, no legal value): `motcua demo --history` makes them into
# instance/demo-signing on its first run (service/demo/pki.py) and signs its results with them; the
# server then signs and checks with them too. A deployment sets its own MOTCUA_SIGNING_*.
DEMO_SIGNING = instance/demo-signing
RUN_ENV = SECRET_KEY=$$(cat instance/secret_key) MOTCUA_SECURE_COOKIES=false MOTCUA_PUBLIC_URL=http://$(HOST):$(PORT) \
	MOTCUA_SIGNING_KEYS_DIR=$(DEMO_SIGNING)/keys MOTCUA_SIGNING_TRUST_ROOTS=$(DEMO_SIGNING)/roots.pem \
	MOTCUA_SIGNING_PASSPHRASE=$$(cat $(DEMO_SIGNING)/passphrase 2>/dev/null)

run: setup instance/secret_key
	$(RUN_ENV) $(BIN)/motcua db upgrade
	$(RUN_ENV) $(BIN)/motcua deploy bpmn/
	$(RUN_ENV) $(BIN)/motcua procedures load data/procedures.json
	$(RUN_ENV) $(BIN)/motcua demo --history
	@echo ""
	@echo "Motcua is starting on http://$(HOST):$(PORT)/  (API /api/v1, OpenAPI docs /api/v1/docs)"
	@echo "In the browser: http://$(HOST):$(PORT)/ui/  as clerk, head, specialist, leader, records,"
	@echo "  designer or admin (password motcua-demo; README.md lists every demo user)"
	@echo "From a script: POST /api/v1/auth/login with a demo user, or use a token:"
	@echo "  TOKEN=\$$(awk '\$$1==\"admin\"{print \$$2}' instance/demo-tokens.txt)"
	@echo "  curl -H \"Authorization: Bearer \$$TOKEN\" http://$(HOST):$(PORT)/api/v1/process-definitions"
	@echo ""
	$(RUN_ENV) $(BIN)/motcua serve --host $(HOST) --port $(PORT)

# The simulators of the remote systems (integrations/simulator.py), for demos: start them here, then
# `make run` in another terminal with the MOTCUA_CONNECTORS line printed below.
SIMULATOR_PORT ?= 8081
SIMULATOR_URL = http://$(HOST):$(SIMULATOR_PORT)
# Where the simulated national portal pushes online dossiers (MOTCUA_DVCQG_TOKEN: a token of scope
# integrations:dvcqg, docs/integrations.md; `motcua demo` writes one, the line "dvcqg" of
# instance/demo-tokens.txt), as --motcua-url and the environment.
MOTCUA_URL ?= http://$(HOST):$(PORT)
# The payment platform and the post sign their callbacks to Motcua with this (demo) secret.
CALLBACK_SECRET ?= motcua-demo-callbacks
simulators: setup
	@mkdir -p instance
	@echo "Simulators on $(SIMULATOR_URL)/ (control: /_control/health, journal, stats, fail, reset)"
	@echo "For Motcua: export MOTCUA_CONNECTORS=dvc=$(SIMULATOR_URL),post=$(SIMULATOR_URL),payment=$(SIMULATOR_URL),edms=$(SIMULATOR_URL),csdl_tthc=$(SIMULATOR_URL),portal_sync=$(SIMULATOR_URL),sms=$(SIMULATOR_URL),zalo=$(SIMULATOR_URL)"
	@echo "            export MOTCUA_PAYMENT_CALLBACK_SECRET=$(CALLBACK_SECRET) MOTCUA_POST_CALLBACK_SECRET=$(CALLBACK_SECRET)"
	@echo "The portal's page: $(SIMULATOR_URL)/dvc/portal (pushes to $(MOTCUA_URL))"
	$(BIN)/python -m integrations.simulator --host $(HOST) --port $(SIMULATOR_PORT) --state instance/simulator.json \
		--motcua-url $(MOTCUA_URL) --motcua-token-file instance/demo-tokens.txt \
		--callback payment=$(MOTCUA_URL)/api/v1/payments/callback --callback-secret payment=$(CALLBACK_SECRET) \
		--callback post=$(MOTCUA_URL)/api/v1/post/callback --callback-secret post=$(CALLBACK_SECRET)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Debian's Chromium for the browser tests, checked once before the passes: installed here when
# run as root with apt (a CI machine); otherwise one line says how to get it, an error when
# CI=true (the browser tests must run), a note elsewhere (they are skipped).
browser:
	@if [ "$(MOTCUA_CHROMIUM)" = /usr/bin/chromium ] && [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser tests (apt-get install chromium)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi
	@if [ ! -x "$(MOTCUA_CHROMIUM)" ]; then \
	  hint="Chromium is missing at $(MOTCUA_CHROMIUM): install Debian's chromium (sudo apt-get install chromium) or set MOTCUA_CHROMIUM to its path"; \
	  if [ -n "$(IN_CI)" ]; then echo "$$hint (CI=true: the browser tests must run)" >&2; exit 1; fi; \
	  echo "$$hint; the browser tests will be skipped" >&2; \
	fi

# Each pass fails unless it collects tests: pytest exits 5 when it collects none (a module skipped
# whole counts as none), and make stops on any status but 0.
test-sqlite: setup browser
	$(BIN)/pytest -n 2 -q --ignore=tests/workers

test-postgres: setup browser
	MOTCUA_TEST_DATABASE=postgres MOTCUA_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -n 2 -q --ignore=tests/engine --ignore=tests/documents

test: browser lint test-sqlite test-postgres

screenshots: setup browser
	MOTCUA_SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest -q tests/browser

bench: setup
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) $(ASSETS)/node_modules .pytest_cache
