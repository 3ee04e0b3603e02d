"""Kubernetes objects derived from the one source of each fact: `make k8s` writes k8s/base/generated/.

* config/: departments.yaml and kpi.yaml as in deploy/config (a kustomize ConfigMap may only read files
  below its kustomization, so they are copied here, not edited here);
* kafka-topics.yaml: a Strimzi KafkaTopic per topic the code uses (services/contract/topics.py), with
  retention by what the topic holds (the unmasked inbound topic shortest);
* kafka-users.yaml: a Strimzi KafkaUser per service and per department, with the ACLs they need;
* prometheus-rule.yaml: the PrometheusRule of deploy/prometheus/rules.yml;
* ingestors.yaml: Deployment, Service and PodDisruptionBudget per channel of the channel registry
  (services/ingest/channels.py), pods labelled with their transport for the network policies;
* webhook-route.yaml: the Gateway API HTTPRoute of the webhook channels' public paths, with the timeout the
  ingestors need (their read and publish timeouts), and the NetworkPolicy that lets the gateway reach them;
* grpc-tls.yaml: cert-manager's CA and a certificate per gRPC server (mounted by the server's Deployment);
* grpc-policies.yaml: who may reach each gRPC port, by the caller's role (services/contract/access.py);
* ../../components/ingress/generated/ingress.yaml: the same paths as an Ingress, for clusters without
  Gateway API (a kustomize component that replaces the HTTPRoute);
* ../../components/nginx-gateway-fabric/generated/client-settings.yaml: the body-size limit for NGINX
  Gateway Fabric (Gateway API has no standard field for it);
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

from services.console.feed import read_topics as console_read_topics  # noqa: E402
from services.contract import topics  # noqa: E402
from services.contract.access import PERMISSIONS  # noqa: E402
from services.contract.departments import load_departments  # noqa: E402
from services.deployables import CONSOLE, ROUTER  # noqa: E402
from services.ingest.channels import BY_NAME as CHANNEL_BY_NAME  # noqa: E402
from services.ingest.channels import CHANNELS, WEBHOOK_CHANNELS, Channel  # noqa: E402
from services.ingest.settings import IngestorSettings  # noqa: E402

OUT = ROOT / "k8s" / "base" / "generated"
PROD_OUT = ROOT / "k8s" / "overlays" / "prod" / "generated"
INGRESS_OUT = ROOT / "k8s" / "components" / "ingress" / "generated"
NGF_OUT = ROOT / "k8s" / "components" / "nginx-gateway-fabric" / "generated"
STRIMZI_API = "kafka.strimzi.io/v1"  # Strimzi 0.49 and later; 1.0 serves nothing else (docs/install.md)
# The shared Gateway the webhook route attaches to (usually run by the platform team; overlays change it),
# and the label of the namespaces whose proxies may reach the webhook ingestors (the gateway's data
# plane, or an ingress controller): set it on that namespace (docs/install.md).
GATEWAY = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gemeente-gateway",
           "namespace": "gateway-system", "sectionName": "https"}
WEBHOOK_PROXY_LABEL = {"gemeente.nl/webhook-proxy": "true"}
WEBHOOK_ROUTE = "gemeente-webhooks"  # the HTTPRoute, and the Ingress that replaces it
# gRPC: which Deployment serves which service (its port is named "grpc"); a caller's pod (in this namespace)
# or namespace (a department's own) carries API_ROLE_LABEL with its role of services/contract/access.py.
GRPC_SERVERS = {"RoutingService": ROUTER.k8s_name, "HandlingService": ROUTER.k8s_name, "ReplyService": ROUTER.k8s_name,
                "IngestService": CHANNEL_BY_NAME["kcc"].deployment}
API_ROLE_LABEL = "gemeente.nl/api-role"
SECRETS_NAME = "gemeente-secrets"
INGEST_KAFKA_USER = "gemeente-ingest"
WEBHOOK_HOST = "contact.gemeente.example"
CONSOLE_HOST = "console.gemeente.example"  # the webcare console's own host name (overlays change it)
CONFIG = ROOT / "deploy" / "config"
CLUSTER_LABEL = {"strimzi.io/cluster": "gemeente-kafka"}
NAMESPACE = "gemeente-contact"  # as in base/kustomization.yaml (certificate names carry it)
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
    # A reply's text is staff-written but about a citizen: kept only while it may still be sent or retried.
    topics.REPLIES: 7,
    topics.REPLY_STATUS: 90,  # no text, no address: the reply KPIs
}
ROUTED_RETENTION_DAYS = 30
# An ingestor's CPU: `make bench` measures its own CPU per webhook (docs/performance.md: 0.9–1.2 ms, the
# slowest channel 1.17 ms). With a request of 100m and a target of 70%, the HPA adds a pod above about
# 60 webhooks/s per pod, long before the pod's limit (1 CPU, about 850/s) slows anything: a burst is
# absorbed while the new pod starts. A busy gemeente sees a few messages a second.
INGEST_CPU_SECONDS_PER_WEBHOOK = 0.0012
INGEST_CPU_REQUEST_MILLI = 100
INGEST_CPU_LIMIT_MILLI = 1000
INGEST_CPU_TARGET_PERCENT = 70


def kafka_topic(name: str) -> dict:
    days = RETENTION_DAYS.get(name, ROUTED_RETENTION_DAYS)
    return {
        "apiVersion": STRIMZI_API,
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
        "apiVersion": STRIMZI_API,
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
        kafka_user("gemeente-ingest", [acl("topic", topics.INBOUND, write), acl("topic", topics.DEADLETTER, write),
                                       acl("topic", topics.REPLY_STATUS, write)],
                   "the channel ingestors: publish citizen messages and the platforms' receipts of our replies; "
                   "dead-letter a body they cannot handle"),
        kafka_user("gemeente-router", [
            acl("topic", topics.INBOUND, read),
            acl("group", "gemeente-router", ["Read"]),
            *(acl("topic", name, write) for name in
              (topics.TRIAGE, topics.DEADLETTER, topics.CORRECTIONS, topics.HANDLED, topics.REPLIES, *routed)),
            # After a crash the output ledger reads its destinations back (services/router/outputs.py).
            *(acl("topic", name, ["Read"]) for name in (topics.TRIAGE, topics.DEADLETTER, *routed)),
        ], "the router: reads inbound, writes departments, triage, dead letters, corrections, handled events, "
           "replies (ReplyService); "
           "reads back its own outputs after a crash"),
        kafka_user("gemeente-metrics", [
            *(acl("topic", name, read) for name in
              (topics.INBOUND, topics.TRIAGE, topics.DEADLETTER, topics.HANDLED, topics.REPLY_STATUS, *routed)),
            acl("group", "gemeente-metrics", ["Read"]),
            acl("topic", topics.ALERTS, write),
        ], "the metrics service: reads every topic, writes spike alerts"),
        kafka_user("gemeente-console", [
            *(acl("topic", name, read) for name in console_read_topics(department_ids)),
        ], "the webcare console: reads triage, corrections, handled events, reply statuses and the routed topics (no group: "
           "every replica reads all); places through the router's gRPC API"),
        kafka_user("gemeente-model", [
            acl("topic", topics.CORRECTIONS, read),
        ], "the nightly retrain (CronJob gemeente-model-retrain): reads the staff's placements (no group: it "
           "reads the topic whole)"),
        kafka_user("gemeente-replies", [
            acl("topic", topics.REPLIES, read),
            acl("group", "gemeente-replies", ["Read"], "prefix"),  # one group per REPLY_CHANNELS split
            acl("topic", topics.REPLY_STATUS, write),
            acl("topic", topics.DEADLETTER, write),
        ], "the reply sender: reads the replies, writes their statuses; dead-letters a reply a platform refused"),
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
    tls_env, tls_mounts, tls_volumes = grpc_tls_mount(channel.deployment) if channel.transport == "grpc" else ([], [], [])
    env += tls_env
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
                    "resources": {"requests": {"cpu": f"{INGEST_CPU_REQUEST_MILLI}m", "memory": "160Mi"},
                                  "limits": {"cpu": f"{INGEST_CPU_LIMIT_MILLI}m", "memory": "384Mi"}},
                    "volumeMounts": tls_mounts,  # patches/pod-defaults.yaml appends the shared ones
                }], "volumes": tls_volumes},
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


def _webhook_limits() -> tuple[int, str]:
    """The ingestors' body limit (bytes) and the time a proxy must give a webhook: reading the body, then
    waiting for Kafka's acknowledgement, and a margin (the ingestors' own settings, defaults)."""
    fields = IngestorSettings.model_fields
    seconds = fields["read_timeout_seconds"].default + fields["publish_timeout_seconds"].default + 5
    return fields["max_body_bytes"].default, f"{int(seconds)}s"


def webhook_route() -> dict:
    """The public webhook endpoints (Gateway API v1, standard channel); TLS ends at the Gateway."""
    _, timeout = _webhook_limits()
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": WEBHOOK_ROUTE},
        "spec": {
            "parentRefs": [dict(GATEWAY)],
            "hostnames": [WEBHOOK_HOST],
            "rules": [{
                "name": c.name,
                "matches": [{"path": {"type": "Exact", "value": c.webhook_path}}],
                "backendRefs": [{"name": c.deployment, "port": c.http_port}],
                "timeouts": {"request": timeout},
            } for c in WEBHOOK_CHANNELS],
        },
    }


def webhook_proxy_policy() -> dict:
    """Webhook ingestors take connections from the proxies (gateway or ingress controller) and Prometheus only."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "webhooks-from-proxy"},
        "spec": {
            # The label comes from the channel registry: every webhook channel, now and later.
            "podSelector": {"matchLabels": {"gemeente.nl/transport": "webhook"}},
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{"namespaceSelector": {"matchLabels": dict(WEBHOOK_PROXY_LABEL)}},
                         {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                "ports": [{"protocol": "TCP", "port": "http"}],
            }],
        },
    }


def console_route() -> list[dict]:
    """The console's pages on their own host through the shared Gateway (the "web" port only: probes and
    /metrics stay inside), and the policy that lets only the proxies and Prometheus reach the console."""
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": CONSOLE.k8s_name},
        "spec": {
            "parentRefs": [dict(GATEWAY)],
            "hostnames": [CONSOLE_HOST],
            "rules": [{"name": "pages", "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                       "backendRefs": [{"name": CONSOLE.k8s_name, "port": CONSOLE.extra_ports[0].default}]}],
        },
    }
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "console-in"},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": CONSOLE.k8s_name}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": dict(WEBHOOK_PROXY_LABEL)}}],
                 "ports": [{"protocol": "TCP", "port": "web"}]},
                {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                 "ports": [{"protocol": "TCP", "port": "http"}]},
            ],
        },
    }
    # The console signs staff in with the identity provider (HTTPS, anywhere: Entra ID is in the cloud,
    # Keycloak may be in the cluster); narrow the block to the provider's addresses in your overlay.
    identity_provider = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "console-out"},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": CONSOLE.k8s_name}},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]},
                       # The overview reads the KPIs from Prometheus.
                       {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                        "ports": [{"protocol": "TCP", "port": 9090}]}],
        },
    }
    return [route, policy, identity_provider]


def grpc_server_of(method: str) -> str:
    """The Deployment that serves a method of access.PERMISSIONS ("/gemeente.contact.v1.RoutingService/Classify")."""
    return GRPC_SERVERS[method.split("/")[1].rsplit(".", 1)[1]]


def grpc_roles() -> dict[str, list[str]]:
    """gRPC server Deployment → the roles that may call at least one of its methods (access.PERMISSIONS)."""
    roles: dict[str, set[str]] = {}
    for method, allowed in PERMISSIONS.items():
        roles.setdefault(grpc_server_of(method), set()).update(allowed)
    return {server: sorted(r) for server, r in sorted(roles.items())}


def grpc_policies() -> list[dict]:
    """Who reaches a gRPC port: pods of this namespace and namespaces labelled with a role that may call
    the server, nobody else (the token is the second lock); each role's pods may send to those servers."""
    def role_selector(roles: list[str]) -> dict:
        return {"matchExpressions": [{"key": API_ROLE_LABEL, "operator": "In", "values": roles}]}

    policies = []
    for server, roles in grpc_roles().items():
        policies.append({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"grpc-to-{server}"},
            "spec": {
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": server}},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": [{"podSelector": role_selector(roles)}, {"namespaceSelector": role_selector(roles)}],
                     "ports": [{"protocol": "TCP", "port": "grpc"}]},
                    {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                     "ports": [{"protocol": "TCP", "port": "http"}]},
                ],
            },
        })
    servers_of: dict[str, list[str]] = {}
    for server, roles in grpc_roles().items():
        for role in roles:
            servers_of.setdefault(role, []).append(server)
    for role, servers in sorted(servers_of.items()):
        policies.append({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"grpc-from-{role}"},
            "spec": {
                "podSelector": {"matchLabels": {API_ROLE_LABEL: role}},
                "policyTypes": ["Egress"],
                "egress": [
                    {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                             "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                     "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                    {"to": [{"podSelector": {"matchExpressions": [
                        {"key": "app.kubernetes.io/name", "operator": "In", "values": servers}]}}],
                     "ports": [{"protocol": "TCP", "port": "grpc"}]},
                ],
            },
        })
    return policies


GRPC_TLS_DIR = "/etc/grpc-tls"


def grpc_tls_secret(server: str) -> str:
    return f"{server}-grpc-tls"


def grpc_tls_mount(server: str) -> tuple[list[dict], list[dict], list[dict]]:
    """(env, volumeMounts, volumes) that give a gRPC server its certificate from cert-manager's Secret."""
    env = [{"name": "GRPC_TLS_CERT_FILE", "value": f"{GRPC_TLS_DIR}/tls.crt"},
           {"name": "GRPC_TLS_KEY_FILE", "value": f"{GRPC_TLS_DIR}/tls.key"}]
    mounts = [{"name": "grpc-tls", "mountPath": GRPC_TLS_DIR, "readOnly": True}]
    volumes = [{"name": "grpc-tls", "secret": {"secretName": grpc_tls_secret(server)}}]
    return env, mounts, volumes


def grpc_certificates() -> list[dict]:
    """A private CA of this namespace (cert-manager: a self-signed root, then a CA issuer) and a server
    certificate per gRPC server for its Service's names. Callers trust `ca.crt` of the server's Secret.
    90 days, renewed 30 days before: the servers pick the new one up without a restart."""
    issuer_ref = {"group": "cert-manager.io", "kind": "Issuer"}
    objects = [
        {"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": {"name": "gemeente-selfsigned"},
         "spec": {"selfSigned": {}}},
        {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "gemeente-grpc-ca"},
         "spec": {"isCA": True, "commonName": "gemeente-contact gRPC CA", "secretName": "gemeente-grpc-ca",
                  "duration": "87600h", "renewBefore": "8760h",
                  "privateKey": {"algorithm": "ECDSA", "size": 256},
                  "issuerRef": {**issuer_ref, "name": "gemeente-selfsigned"}}},
        {"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": {"name": "gemeente-grpc-ca"},
         "spec": {"ca": {"secretName": "gemeente-grpc-ca"}}},
    ]
    for server in sorted(set(GRPC_SERVERS.values())):
        objects.append({
            "apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": grpc_tls_secret(server)},
            "spec": {"secretName": grpc_tls_secret(server),
                     "dnsNames": [server, f"{server}.{NAMESPACE}.svc", f"{server}.{NAMESPACE}.svc.cluster.local"],
                     "duration": "2160h", "renewBefore": "720h", "usages": ["server auth", "digital signature"],
                     "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                     "issuerRef": {**issuer_ref, "name": "gemeente-grpc-ca"}},
        })
    return objects


def webhook_ingress() -> dict:
    """The Ingress option (components/ingress): the same paths for an ingress controller; the overlay sets
    the class, the host's TLS secret and the issuer. The annotations are ingress-nginx's and are ignored by
    other controllers: give yours the same limits."""
    max_body, timeout = _webhook_limits()
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": WEBHOOK_ROUTE, "annotations": {
            "nginx.ingress.kubernetes.io/proxy-body-size": f"{max_body // 1024}k",
            "nginx.ingress.kubernetes.io/proxy-read-timeout": timeout.rstrip("s"),
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


def console_ingress() -> dict:
    """The console behind an ingress controller (components/ingress), like the webhooks. Its live feed is
    a long-lived response: the console sends X-Accel-Buffering: no and a comment every 15 s, within
    ingress-nginx's default read timeout."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": CONSOLE.k8s_name, "annotations": {"nginx.ingress.kubernetes.io/ssl-redirect": "true"}},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [CONSOLE_HOST], "secretName": "gemeente-console-tls"}],
            "rules": [{"host": CONSOLE_HOST, "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": CONSOLE.k8s_name, "port": {"name": "web"}}}}]}}],
        },
    }


def nginx_gateway_client_settings() -> dict:
    """NGINX Gateway Fabric's policy for the route: refuse bodies over the ingestors' limit at the edge."""
    max_body, timeout = _webhook_limits()
    return {
        "apiVersion": "gateway.nginx.org/v1alpha1",
        "kind": "ClientSettingsPolicy",
        "metadata": {"name": WEBHOOK_ROUTE},
        "spec": {
            "targetRef": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": WEBHOOK_ROUTE},
            "body": {"maxSize": f"{max_body // 1024}k", "timeout": timeout},
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
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": INGEST_CPU_TARGET_PERCENT}}}],
            # Down slowly (a webhook burst often comes in waves), up at once.
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300,
                                       "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}},
        },
    }


RULE_FILES = ("rules.yml", "services.rules.yml")  # deploy/prometheus/: the hand-written and the generated rules


def prometheus_rule() -> dict:
    groups = [group for name in RULE_FILES for group in
              yaml.safe_load((ROOT / "deploy" / "prometheus" / name).read_text(encoding="utf-8"))["groups"]]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "gemeente-contact", "labels": {"release": "kube-prometheus-stack"}},
        "spec": {"groups": groups},
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
        "prometheus-rule.yaml": documents([prometheus_rule()], "from deploy/prometheus/*rules.yml"),
        "grpc-tls.yaml": documents(grpc_certificates(), "from the gRPC servers of services/contract/access.py"),
    }
    files["ingestors.yaml"] = documents([o for c in CHANNELS for o in ingestor_objects(c)],
                                        "from services/ingest/channels.py")
    files["webhook-route.yaml"] = documents([webhook_route(), webhook_proxy_policy()],
                                            "from the webhook channels of services/ingest/channels.py")
    files["grpc-policies.yaml"] = documents(grpc_policies(), "from services/contract/access.py")
    files["console-route.yaml"] = documents(console_route(), "from services/deployables.py")
    for name in ("departments.yaml", "categories.yaml", "kpi.yaml", "templates.yaml"):
        files[f"config/{name}"] = (CONFIG / name).read_text(encoding="utf-8")
    for path in sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json")):
        files[f"dashboards/{path.name}"] = path.read_text(encoding="utf-8")
    return files


def render_prod() -> dict[str, str]:
    """Relative path under overlays/prod/generated/ → file content."""
    return {"ingest-autoscaling.yaml": documents([ingest_autoscaler(c) for c in CHANNELS],
                                                 "from services/ingest/channels.py")}


def render_components() -> dict[Path, dict[str, str]]:
    """Directory → relative path → file content, for the optional kustomize components."""
    source = "from the webhook channels of services/ingest/channels.py"
    return {INGRESS_OUT: {"ingress.yaml": documents([webhook_ingress(), console_ingress()],
                                                    f"{source} and services/deployables.py")},
            NGF_OUT: {"client-settings.yaml": documents([nginx_gateway_client_settings()], source)}}


def outputs() -> dict[Path, dict[str, str]]:
    """Every generated directory and its files (the test compares them with what is on disk)."""
    return {OUT: render(), PROD_OUT: render_prod(), **render_components()}


def main() -> None:
    for out, files in outputs().items():
        if out.exists():
            shutil.rmtree(out)
        for relative, text in files.items():
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        print(f"wrote {len(files)} files to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
