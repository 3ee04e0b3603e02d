"""Prometheus rules and Grafana dashboards against what the services really export."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import shutil
import subprocess

import promql_parser
import pytest
import yaml
from prometheus_client import REGISTRY

from services.deployables import DEPLOYABLES
from services.runtime.settings import REPO_ROOT

PROMETHEUS = REPO_ROOT / "deploy" / "prometheus"
GRAFANA = REPO_ROOT / "deploy" / "grafana"
# Every module that defines metrics; importing them registers the metrics with the default registry.
METRIC_MODULES = [
    "services.ingest.http", "services.runtime.stream", "services.router.worker", "services.router.api",
    "services.metrics.worker", "services.router.handling_api", "services.ingest.email.app", "services.ingest.kcc.app",
    "services.ingest.twitter.app", "services.console.worker", "services.replies.worker", "services.replies.receipts",
    "services.router.reply_api",
]
# Exported by prometheus_client's default collectors or by Prometheus itself.
STANDARD = {"up": set(), "process_resident_memory_bytes": set(), "process_cpu_seconds_total": set(),
            # Strimzi's Kafka Exporter (the broker's view of consumer lag)
            "kafka_consumergroup_lag": {"consumergroup", "topic", "partition"}}
TARGET_LABELS = {"job", "instance"}


def exported_metrics() -> dict[str, set[str]]:
    """Sample name → label names, for every metric our services define."""
    for module in METRIC_MODULES:
        importlib.import_module(module)
    names: dict[str, set[str]] = dict(STANDARD)
    for collector in list(REGISTRY._collector_to_names):
        if not hasattr(collector, "describe"):
            continue  # prometheus_client's own platform/GC collectors
        labels = set(getattr(collector, "_labelnames", ()))
        for family in collector.describe():
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"], "gauge": [""]}.get(family.type, [""])
            for suffix in suffixes:
                names[family.name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return names


RULE_FILES = ("rules.yml", "services.rules.yml")


def rule_documents() -> list[dict]:
    return [group for name in RULE_FILES for group in yaml.safe_load((PROMETHEUS / name).read_text())["groups"]]


def recorded_metrics() -> dict[str, set[str]]:
    recorded = {}
    for group in rule_documents():
        for rule in group["rules"]:
            if "record" in rule:
                by = re.findall(r"by \(([^)]*)\)", rule["expr"])
                recorded[rule["record"]] = {label.strip() for clause in by for label in clause.split(",")}
    return recorded


def dashboard_queries() -> list[tuple[str, str]]:
    queries = []
    for path in sorted((GRAFANA / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                queries.append((f"{path.name}: {panel['title']}", target["expr"]))
    return queries


def rule_queries() -> list[tuple[str, str]]:
    return [(rule.get("record") or rule["alert"], rule["expr"]) for group in rule_documents() for rule in group["rules"]]


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    # Grafana's variables are not PromQL: put a value in their place.
    parsed = promql_parser.parse(expr.replace("$department", "afval"))
    found = []

    def visit(node):  # noqa: ANN001, ANN202
        if isinstance(node, promql_parser.VectorSelector):
            found.append((node.name, {m.name for m in node.matchers.matchers}))

    promql_parser.walk(parsed, visit)
    return found


@pytest.mark.parametrize("where, expr", dashboard_queries() + rule_queries())
def test_every_query_names_an_exported_metric_and_its_labels(where, expr):
    known = {**exported_metrics(), **recorded_metrics()}
    for name, labels in selectors(expr):
        assert name in known, f"{where}: no service exports {name}"
        unknown = labels - known[name] - TARGET_LABELS
        assert not unknown, f"{where}: {name} has no label(s) {unknown}"


def test_the_checked_in_dashboards_are_what_build_py_writes():
    spec = importlib.util.spec_from_file_location("grafana_build", GRAFANA / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    for name, text in build.render().items():
        assert (GRAFANA / "dashboards" / name).read_text(encoding="utf-8") == text, f"run `make dashboards` ({name})"


def test_dashboards_have_panels_in_the_grid_and_unique_ids():
    for path in (GRAFANA / "dashboards").glob("*.json"):
        dashboard = json.loads(path.read_text())
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)) >= 6
        assert all(p["gridPos"]["x"] + p["gridPos"]["w"] <= 24 for p in dashboard["panels"])


def promtool(*args: str) -> subprocess.CompletedProcess:
    binary = shutil.which("promtool")
    assert binary, "promtool is missing: install Debian's 'prometheus' package (make tools)"
    return subprocess.run([binary, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120)


def test_promtool_checks_the_rules_and_the_config():
    for args in (("check", "rules", *RULE_FILES), ("check", "config", "prometheus.yml")):
        done = promtool(*args)
        assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_unit_tests_of_the_rules_pass():
    done = promtool("test", "rules", *sorted(str(p.relative_to(PROMETHEUS)) for p in (PROMETHEUS / "tests").glob("*.yml")))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_service_is_scraped_on_its_configured_port():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    scraped = {job["job_name"]: job["static_configs"][0]["targets"][0] for job in config["scrape_configs"]}
    ports = {
        d.k8s_name: d.http_port for d in DEPLOYABLES
    }
    assert scraped == {job: f"127.0.0.1:{port}" for job, port in ports.items()}
