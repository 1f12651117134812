# Concord: one command to run, one to test. See README.md.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := .venv/bin/python
LOCAL := deploy/local

.PHONY: help setup infra-up infra-down provision run stop status test test-unit lint format contracts bench

help:
	@echo "make run      start broker, store and the four services; submit sample cases"
	@echo "make stop     stop all of it"
	@echo "make test     the whole test suite on the real broker and store"
	@echo "make bench    the benchmark: Kafka baseline, pipeline, HTTP, scale-out, memory"
	@echo "make lint     ruff and mypy"
	@echo "make contracts  regenerate contracts/ from the code and check compatibility"
	@echo "make status   what runs and where its logs are"

# Python environment from the lock file; the broker jars and the store binary into the cache.
setup:
	@command -v uv >/dev/null 2>&1 || [ -x $(HOME)/.local/bin/uv ] || python3 -m pip install --quiet --user uv
	@$(UV) sync --frozen --quiet
	@$(LOCAL)/fetch-kafka.sh
	@$(LOCAL)/build-ferretdb.sh
	@$(LOCAL)/fetch-contract-tools.sh > /dev/null
	@$(LOCAL)/fetch-browser.sh
	@deploy/helm/fetch-tools.sh > /dev/null

infra-up: setup
	@$(LOCAL)/stack.sh up

infra-down:
	@$(LOCAL)/stack.sh down

provision: setup
	@.venv/bin/concord-topics provision

run: infra-up provision
	@$(LOCAL)/services.sh start
	@$(PY) $(LOCAL)/demo.py
	@echo
	@$(LOCAL)/stack.sh status
	@echo "Console: http://127.0.0.1:8000  (development sign-ins: README.md, section Console)"
	@echo "APIs: intake http://127.0.0.1:8001/docs  routing :8002/docs  mediation :8003/docs  notification :8004/docs"
	@echo "Stop everything with: make stop"

stop:
	@$(LOCAL)/services.sh stop
	@$(LOCAL)/stack.sh down

status:
	@$(LOCAL)/stack.sh status
	@$(LOCAL)/services.sh status

test: setup
	@$(LOCAL)/test.sh

bench: setup
	@$(LOCAL)/with-stack.sh .venv/bin/python -m tests.bench.run $(BENCH_ARGS)

test-unit: setup
	@.venv/bin/pytest tests/unit -q

# Regenerate the published contracts from the code (JSON Schemas, AsyncAPI, enumerations).
contracts: setup
	@.venv/bin/concord-contracts generate
	@.venv/bin/concord-contracts check

lint: setup
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/mypy shared/src services/*/src
	@.venv/bin/mypy tests

format: setup
	@.venv/bin/ruff format .
	@.venv/bin/ruff check --fix .
