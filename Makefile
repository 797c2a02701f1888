# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_RELEASE := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install dashboard browser run run-localstack test lint typecheck unit bench invoke lock template compare openapi load similar clean

help:
	@echo "make run    - start the whole system locally (API on http://127.0.0.1:8000, dashboard"
	@echo "              /dashboard/; other ports: make run PORT=8100 HTTPS_PORT=8543)"
	@echo "make test   - lint, type-check and run the whole test suite with coverage"
	@echo "make bench  - run the benchmarks (ratios against an in-run baseline)"
	@echo "make compare - the SAM template vs the CDK stack, resource by resource"
	@echo "make invoke FN=collector EVENT=events/collector/sqs_batch.json - run one handler"
	@echo "make load   - locust load test against a running make run (HOST, USERS, SPAWN_RATE, DURATION)"
	@echo "make openapi - rewrite openapi.json from the app"

$(STAMP): pyproject.toml requirements/dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) pip install -q --python $(PY) -r requirements/dev.lock
	$(UV) pip install -q --python $(PY) --no-deps -e .
	@# aws-cdk-lib (CDK synth in tests/infra) runs on Node.js; install it when missing.
	@command -v node >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs; } \
		|| echo "warning: Node.js not found; install it for the CDK synth tests" >&2
	@touch $(STAMP)

install: $(STAMP) browser

# The dashboard (dashboard/): npm ci from the lock file, then a TypeScript check + esbuild bundle
# into dashboard/dist/, which the local gateway serves at /dashboard/. Rebuilt when sources change.
DASHBOARD_MODULES := dashboard/node_modules/.package-lock.json
DASHBOARD_DIST := dashboard/dist/index.html
$(DASHBOARD_MODULES): dashboard/package.json dashboard/package-lock.json
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; } \
		|| { echo "error: Node.js and npm are needed to build the dashboard" >&2; exit 1; }
	cd dashboard && npm ci --no-audit --no-fund --loglevel=error
	@touch $(DASHBOARD_MODULES)

$(DASHBOARD_DIST): $(DASHBOARD_MODULES) dashboard/build.mjs dashboard/tsconfig.json $(shell find dashboard/src -type f 2>/dev/null)
	cd dashboard && npm run --silent build

dashboard: $(DASHBOARD_DIST)

# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
		|| echo "warning: /usr/bin/chromium not found; the browser tests will be skipped" >&2

# make run PORT=8100 HTTPS_PORT=8543 when 8000/8443 are taken.
PORT ?= 8000
HTTPS_PORT ?= 8443
run: $(STAMP) $(DASHBOARD_DIST)
	$(PY) -m local.runtime run --port $(PORT) --https-port $(HTTPS_PORT)

run-localstack: $(STAMP)
	docker compose -f docker-compose.localstack.yml up -d
	AWS_ENDPOINT_URL=http://127.0.0.1:4566 DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5433/socialmetrics $(PY) -m local.runtime run --external-aws

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy shared functions local infra tests benchmarks scripts

test: lint typecheck $(DASHBOARD_DIST) browser
	$(VENV)/bin/pytest --cov --cov-report=term --cov-report=xml:.local/coverage.xml

unit: $(STAMP)
	$(VENV)/bin/pytest -q tests/unit

bench: $(STAMP)
	$(PY) -m benchmarks

# Defaults point at a running `make run` (its database, moto on :4566); override any of them.
invoke: export DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/socialmetrics_local
invoke: export AWS_ENDPOINT_URL ?= http://127.0.0.1:4566
invoke: export AWS_ACCESS_KEY_ID ?= local
invoke: export AWS_SECRET_ACCESS_KEY ?= local
invoke: export POWERTOOLS_SERVICE_NAME ?= $(FN)
invoke: export POWERTOOLS_METRICS_NAMESPACE ?= socialmetrics
invoke: $(STAMP)
	$(PY) -m local.runtime invoke $(FN) $(EVENT)

template: $(STAMP)
	$(PY) -m infra.sam > template.yaml

# SAM template vs CDK stack, resource by resource; exits 1 on a difference not listed with its
# reason in infra/compare.py (DELIBERATE).
compare: $(STAMP)
	$(PY) -m infra.compare

openapi: $(STAMP)
	$(PY) -m functions.api.openapi > openapi.json

# Locust, headless and bounded, against a running `make run` (its demo keys in .local/).
HOST ?= http://127.0.0.1:8000
USERS ?= 10
SPAWN_RATE ?= 5
DURATION ?= 30s
load: $(STAMP)
	$(PY) -m tests.load --host $(HOST) --users $(USERS) --spawn-rate $(SPAWN_RATE) \
		--duration $(DURATION) --csv .local/load/locust

# Code written twice: pylint's duplicate-code check (R0801), blocks of 6+ similar lines across
# the packages. Each row is a place to look, not a verdict; always exits 0.
similar: $(STAMP)
	$(VENV)/bin/pylint --disable=all --enable=duplicate-code --min-similarity-lines=6 \
		--ignore-imports=yes --ignore-signatures=yes --score=n --exit-zero \
		shared functions local infra scripts benchmarks

# Re-resolve the pinned dependency sets after editing pyproject.toml.
lock: $(STAMP)
	$(UV) pip compile -q pyproject.toml --extra dev --extra infra --python-version 3.11 -o requirements/dev.lock
	$(UV) pip compile -q pyproject.toml --python-version 3.11 -c requirements/dev.lock -o requirements/runtime.lock

clean:
	rm -rf $(VENV) .local .mypy_cache .ruff_cache .pytest_cache cdk.out dashboard/node_modules dashboard/dist
