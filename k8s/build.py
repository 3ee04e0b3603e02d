"""Kubernetes objects derived from the one source of each fact: `make k8s` writes k8s/base/generated/.

* config/: departments.yaml and kpi.yaml as in deploy/config (a kustomize ConfigMap may only read files
  below its kustomization, so they are copied here, not edited here);
* kafka-topics.yaml: a Strimzi KafkaTopic per topic the code uses (services/contract/topics.py), with
  retention by what the topic holds (the unmasked inbound topic shortest);
* kafka-users.yaml: a Strimzi KafkaUser per service and per department, with the ACLs they need;
* prometheus-rule.yaml: the PrometheusRule of deploy/prometheus/rules.yml;
* ingestors.yaml: Deployment, Service and PodDisruptionBudget per channel of the channel registry
  (services/ingest/channels.py), pods labelled with their transport for the network policies;
* ingress.yaml: the public webhook paths of the webhook channels;
* ../../overlays/prod/generated/ingest-autoscaling.yaml: an HPA per ingestor;
* dashboards/: the Grafana dashboards of deploy/grafana/dashboards.

A test fails when these files are stale. Edit the sources, then run `make k8s`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.contract import topics  # noqa: E402
from services.contract.departments import load_departments  # noqa: E402
from services.ingest.channels import CHANNELS, WEBHOOK_CHANNELS, Channel  # noqa: E402

OUT = ROOT / "k8s" / "base" / "generated"
PROD_OUT = ROOT / "k8s" / "overlays" / "prod" / "generated"
SECRETS_NAME = "gemeente-secrets"
INGEST_KAFKA_USER = "gemeente-ingest"
WEBHOOK_HOST = "contact.gemeente.example"
CONFIG = ROOT / "deploy" / "config"
CLUSTER_LABEL = {"strimzi.io/cluster": "gemeente-kafka"}
DAY_MS = 24 * 3600 * 1000
PARTITIONS = 6
# Retention follows the privacy rules: the unmasked text lives on contact.inbound and, for a failed
# record, on contact.deadletter only as long as needed to route or repair it.
RETENTION_DAYS = {
    topics.INBOUND: 3,
    topics.DEADLETTER: 7,
    topics.TRIAGE: 30,
    topics.HANDLED: 90,
    topics.ALERTS: 30,
    topics.CORRECTIONS: 365,
}
ROUTED_RETENTION_DAYS = 30


def kafka_topic(name: str) -> dict:
    days = RETENTION_DAYS.get(name, ROUTED_RETENTION_DAYS)
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaTopic",
        "metadata": {"name": name.replace(".", "-").replace("_", "-"), "labels": dict(CLUSTER_LABEL)},
        "spec": {
            "topicName": name,
            "partitions": PARTITIONS,
            "replicas": 3,
            "config": {
                "min.insync.replicas": 2,
                "retention.ms": days * DAY_MS,
                "cleanup.policy": "delete",
            },
        },
    }


def acl(resource_type: str, name: str, operations: list[str], pattern: str = "literal") -> dict:
    return {"resource": {"type": resource_type, "name": name, "patternType": pattern}, "operations": operations}


def kafka_user(name: str, acls: list[dict], purpose: str) -> dict:
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaUser",
        "metadata": {"name": name, "labels": dict(CLUSTER_LABEL), "annotations": {"gemeente.nl/purpose": purpose}},
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acls},
        },
    }


def kafka_users(department_ids: list[str]) -> list[dict]:
    read = ["Read", "Describe"]
    write = ["Write", "Describe"]
    routed = [topics.routed_topic(d) for d in department_ids]
    users = [
        kafka_user("gemeente-ingest", [acl("topic", topics.INBOUND, write), acl("topic", topics.DEADLETTER, write)],
                   "the channel ingestors: publish citizen messages; dead-letter a body they cannot handle"),
        kafka_user("gemeente-router", [
            acl("topic", topics.INBOUND, read),
            acl("group", "gemeente-router", ["Read"]),
            *(acl("topic", name, write) for name in
              (topics.TRIAGE, topics.DEADLETTER, topics.CORRECTIONS, topics.HANDLED, *routed)),
            # After a crash the output ledger reads its destinations back (services/router/outputs.py).
            *(acl("topic", name, ["Read"]) for name in (topics.TRIAGE, topics.DEADLETTER, *routed)),
        ], "the router: reads inbound, writes departments, triage, dead letters, corrections, handled events; "
           "reads back its own outputs after a crash"),
        kafka_user("gemeente-metrics", [
            *(acl("topic", name, read) for name in
              (topics.INBOUND, topics.TRIAGE, topics.DEADLETTER, topics.HANDLED, *routed)),
            acl("group", "gemeente-metrics", ["Read"]),
            acl("topic", topics.ALERTS, write),
        ], "the metrics service: reads every topic, writes spike alerts"),
        kafka_user("gemeente-webcare", [
            acl("topic", topics.TRIAGE, read),
            acl("topic", topics.ALERTS, read),
            acl("group", "webcare-", ["Read"], "prefix"),
            acl("topic", topics.HANDLED, write),
            acl("topic", topics.DEADLETTER, write),
        ], "the webcare team: triage and alerts; reports what it handled; dead-letters a record it cannot read"),
    ]
    for department in department_ids:
        users.append(kafka_user(f"afdeling-{department.replace('_', '-')}", [
            acl("topic", topics.routed_topic(department), read),
            acl("group", f"{department}-", ["Read"], "prefix"),
            acl("topic", topics.HANDLED, write),
            acl("topic", topics.DEADLETTER, write),  # a record it cannot read (services/runtime/routed_consumer.py)
        ], f"department {department}: reads only its own topic, groups '{department}-*'; reports what it "
           "handled; dead-letters a record it cannot read"))
    return users


def _labels(channel: Channel) -> dict:
    return {"app.kubernetes.io/name": channel.deployment, "app.kubernetes.io/component": "ingestor",
            "gemeente.nl/transport": channel.transport}


def _secret_env(name: str, secret: str, key: str) -> dict:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def ingestor_objects(channel: Channel) -> list[dict]:
    """The Deployment, Service and PodDisruptionBudget of one channel's ingestor."""
    selector = {"app.kubernetes.io/name": channel.deployment}
    ports = [{"name": "http", "containerPort": channel.http_port}]
    ports += [{"name": p.name, "containerPort": p.default} for p in channel.extra_ports]
    env = [{"name": channel.port_variable, "value": str(channel.http_port)}]
    env += [{"name": p.variable, "value": str(p.default)} for p in channel.extra_ports]
    env += [{"name": "KAFKA_SASL_USERNAME", "value": INGEST_KAFKA_USER},
            _secret_env("KAFKA_SASL_PASSWORD", INGEST_KAFKA_USER, "password")]
    env += [_secret_env(name, SECRETS_NAME, name) for name in channel.all_secrets]
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": channel.deployment, "labels": _labels(channel),
                     "annotations": {"gemeente.nl/description": f"the {channel.name} ingestor: {channel.description}"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": _labels(channel)},
                "spec": {"containers": [{
                    "name": "ingest",
                    "image": "gemeente-contact-router",
                    "args": [channel.package],
                    "ports": ports,
                    "env": env,
                    "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5,
                                       "failureThreshold": 2},
                    "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "initialDelaySeconds": 10,
                                      "periodSeconds": 10, "failureThreshold": 3},
                    "resources": {"requests": {"cpu": "100m", "memory": "160Mi"},
                                  "limits": {"cpu": "1", "memory": "384Mi"}},
                }]},
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": channel.deployment, "labels": {**selector, "gemeente.nl/scrape": "true"}},
        "spec": {"selector": selector, "ports": [
            {"name": "http", "port": channel.http_port, "targetPort": "http"},
            *({"name": p.name, "port": p.default, "targetPort": p.name} for p in channel.extra_ports
              if channel.transport == "grpc"),
        ]},
    }
    budget = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": channel.deployment},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector}},
    }
    return [deployment, service, budget]


def webhook_ingress() -> dict:
    """The public webhook endpoints over TLS; overlays set the host, the TLS secret and the issuer."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "gemeente-webhooks", "annotations": {
            "nginx.ingress.kubernetes.io/proxy-body-size": "1m",
            "nginx.ingress.kubernetes.io/ssl-redirect": "true",
        }},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [WEBHOOK_HOST], "secretName": "gemeente-webhooks-tls"}],
            "rules": [{"host": WEBHOOK_HOST, "http": {"paths": [
                {"path": c.webhook_path, "pathType": "Exact",
                 "backend": {"service": {"name": c.deployment, "port": {"name": "http"}}}}
                for c in WEBHOOK_CHANNELS
            ]}}],
        },
    }


def ingest_autoscaler(channel: Channel) -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": channel.deployment},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": channel.deployment},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": [{"type": "Resource",
                         "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
        },
    }


def prometheus_rule() -> dict:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "rules.yml").read_text(encoding="utf-8"))
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "gemeente-contact", "labels": {"release": "kube-prometheus-stack"}},
        "spec": {"groups": rules["groups"]},
    }


def documents(objects: list[dict], header: str) -> str:
    body = yaml.safe_dump_all(objects, sort_keys=False, allow_unicode=True, width=120)
    return f"# Generated by k8s/build.py ({header}); do not edit.\n{body}"


def render() -> dict[str, str]:
    """Relative path under generated/ → file content."""
    departments = [d.id for d in load_departments(CONFIG / "departments.yaml")]
    files = {
        "kafka-topics.yaml": documents([kafka_topic(n) for n in topics.all_topics(load_departments(CONFIG / "departments.yaml"))],
                                       "from services/contract/topics.py"),
        "kafka-users.yaml": documents(kafka_users(departments), "from the topics and departments"),
        "prometheus-rule.yaml": documents([prometheus_rule()], "from deploy/prometheus/rules.yml"),
    }
    files["ingestors.yaml"] = documents([o for c in CHANNELS for o in ingestor_objects(c)],
                                        "from services/ingest/channels.py")
    files["ingress.yaml"] = documents([webhook_ingress()], "from the webhook channels of services/ingest/channels.py")
    for name in ("departments.yaml", "categories.yaml", "kpi.yaml"):
        files[f"config/{name}"] = (CONFIG / name).read_text(encoding="utf-8")
    for path in sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json")):
        files[f"dashboards/{path.name}"] = path.read_text(encoding="utf-8")
    return files


def render_prod() -> dict[str, str]:
    """Relative path under overlays/prod/generated/ → file content."""
    return {"ingest-autoscaling.yaml": documents([ingest_autoscaler(c) for c in CHANNELS],
                                                 "from services/ingest/channels.py")}


def main() -> None:
    for out, files in ((OUT, render()), (PROD_OUT, render_prod())):
        if out.exists():
            shutil.rmtree(out)
        for relative, text in files.items():
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        print(f"wrote {len(files)} files to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
