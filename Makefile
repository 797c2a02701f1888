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

.PHONY: help install run run-localstack test lint typecheck unit bench invoke lock template openapi load clean

help:
	@echo "make run    - start the whole system locally (API on http://127.0.0.1:8000)"
	@echo "make test   - lint, type-check and run the whole test suite with coverage"
	@echo "make bench  - run the benchmarks (ratios against an in-run baseline)"
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
	@# The browser tests (tests/browser) drive Debian's Chromium through Playwright; install it
	@# when missing (Playwright's own browser download is never used).
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
		|| echo "warning: chromium not found; the browser tests will be skipped" >&2
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m local.runtime run

run-localstack: $(STAMP)
	docker compose -f docker-compose.localstack.yml up -d
	AWS_ENDPOINT_URL=http://127.0.0.1:4566 DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5433/socialmetrics $(PY) -m local.runtime run --external-aws

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy shared functions local infra tests benchmarks scripts

test: lint typecheck
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
invoke: $(STAMP)
	$(PY) -m local.runtime invoke $(FN) $(EVENT)

template: $(STAMP)
	$(PY) -m infra.sam > template.yaml

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

# Re-resolve the pinned dependency sets after editing pyproject.toml.
lock: $(STAMP)
	$(UV) pip compile -q pyproject.toml --extra dev --extra infra --python-version 3.11 -o requirements/dev.lock
	$(UV) pip compile -q pyproject.toml --python-version 3.11 -c requirements/dev.lock -o requirements/runtime.lock

clean:
	rm -rf $(VENV) .local .mypy_cache .ruff_cache .pytest_cache cdk.out
