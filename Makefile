# Two commands set up a fresh machine: `make run` (the whole system with a demo) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

PROTO_SRC := $(shell find protos -name '*.proto')
GEN_DIR := services/common/generated

.PHONY: venv proto run test test-unit test-integration bench topics clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -r requirements.lock
	@$(PY) -m pip install -q --no-deps -e .
	@touch $(STAMP)

## Regenerate the Python code from protos/ (commit the result; a test fails when it is stale).
proto: $(STAMP)
	@$(PY) -m services.common.protogen $(GEN_DIR)

## The whole system on embedded defaults: Tansu broker, Redis, every service, demo traffic.
run: $(STAMP)
	@$(PY) -m services.devstack

## All tests, including integration tests against a real broker and Redis that the fixtures start.
test: $(STAMP)
	@$(PY) -m pytest -q

test-unit: $(STAMP)
	@$(PY) -m pytest -q -m "not integration"

## Pipeline throughput and latency against a bare relay, on the embedded broker.
bench: $(STAMP)
	@$(PY) -m services.bench

## Create the topics on KAFKA_BOOTSTRAP_SERVERS (idempotent).
topics: $(STAMP)
	@$(PY) -m services.common.topics

clean:
	rm -rf $(VENV) .pytest_cache
