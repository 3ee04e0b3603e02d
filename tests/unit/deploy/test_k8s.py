"""The Kubernetes manifests: both overlays render, every object validates against the Kubernetes and
CRD schemas, and ports, probe paths, environment variables and topics are the ones the code uses."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from services.contract import topics
from services.contract.departments import load_departments
from services.deployables import DEPLOYABLES, settings_class
from services.ingest.channels import CHANNELS, WEBHOOK_CHANNELS
from services.metrics.settings import MetricsSettings
from services.runtime.settings import (
    DEFAULT_DEPARTMENTS_FILE,
    REPO_ROOT,
    CommonSettings,
)
from tests.schemas.crds import SCHEMAS

K8S = REPO_ROOT / "k8s"
OVERLAYS = ["dev", "prod"]
# The oldest Kubernetes we support and the newest release (kubernetes-validate's schemas).
KUBERNETES_VERSIONS = ("1.30", "1.37")
# API groups Kubernetes itself serves (kubernetes-validate has their schemas); any other is a CRD's.
BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io"}
# Deployment entry point → the settings class its process reads.
SETTINGS_OF = {d.module: settings_class(d.module) for d in DEPLOYABLES}


def kubectl() -> str:
    found = shutil.which("kubectl") or str(Path(sys.executable).parent / "kubectl")
    assert Path(found).exists(), "kubectl is missing: `make kubectl` puts one in the virtual environment"
    return found


def render(overlay: str) -> list[dict]:
    done = subprocess.run([kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> tuple[str, list[dict]]:
    return request.param, render(request.param)


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def by_name(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in of_kind(objects, kind)}


def containers(objects: list[dict]) -> list[tuple[dict, dict]]:
    return [(d, c) for d in of_kind(objects, "Deployment") for c in d["spec"]["template"]["spec"]["containers"]]


def env_config(objects: list[dict]) -> dict[str, str]:
    [config] = [c for c in of_kind(objects, "ConfigMap") if c["metadata"]["name"].startswith("gemeente-env")]
    return config["data"]


# --- rendering and schemas -----------------------------------------------------------------------

def k8s_build():
    spec = importlib.util.spec_from_file_location("k8s_build", K8S / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def render_with_components(overlay: str, components: list[str], tmp_path: Path) -> list[dict]:
    """An overlay as a gemeente would write it: ours plus optional components."""
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [os.path.relpath(K8S / "overlays" / overlay, tmp_path)],
        "components": [os.path.relpath(K8S / "components" / c, tmp_path) for c in components],
    }))
    done = subprocess.run([kubectl(), "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def route_paths(route: dict) -> dict[str, str]:
    return {rule["matches"][0]["path"]["value"]: rule["backendRefs"][0]["name"] for rule in route["spec"]["rules"]}


def test_the_generated_objects_are_current():
    for generated, expected in k8s_build().outputs().items():
        on_disk = {str(p.relative_to(generated)) for p in generated.rglob("*") if p.is_file()}
        assert on_disk == set(expected), "run `make k8s`"
        for relative, text in expected.items():
            assert (generated / relative).read_text(encoding="utf-8") == text, f"run `make k8s` ({relative})"


def test_every_channel_of_the_registry_is_deployed_and_reachable(rendered):
    """Adding a channel to services/ingest/channels.py is enough for Kubernetes: its Deployment, Service,
    budget, webhook path, network policy and (prod) autoscaler follow."""
    overlay, objects = rendered
    deployments = by_name(objects, "Deployment")
    route = by_name(objects, "HTTPRoute")["gemeente-webhooks"]
    paths = route_paths(route)
    policies = by_name(objects, "NetworkPolicy")
    webhook_selector = policies["webhooks-from-proxy"]["spec"]["podSelector"]["matchLabels"]
    for channel in CHANNELS:
        deployment = deployments[channel.deployment]
        assert deployment["spec"]["template"]["spec"]["containers"][0]["args"] == [channel.package]
        assert channel.deployment in by_name(objects, "Service")
        assert channel.deployment in by_name(objects, "PodDisruptionBudget")
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        if channel.transport == "webhook":
            assert paths[channel.webhook_path] == channel.deployment
            assert webhook_selector.items() <= pod_labels.items()
        if overlay == "prod":
            assert channel.deployment in by_name(objects, "HorizontalPodAutoscaler")
        else:
            assert deployment["spec"]["replicas"] == 1


def validate(item: dict, overlay: str) -> None:
    """One object against its CRD's schema, or against every supported Kubernetes version's."""
    where = f"{overlay}: {item['kind']}/{item['metadata']['name']}"
    crd = f"{item['apiVersion']}/{item['kind']}"
    if crd in SCHEMAS:
        try:
            jsonschema.validate(item, SCHEMAS[crd])
        except jsonschema.ValidationError as exc:
            pytest.fail(f"{where}: {exc.message} at {list(exc.absolute_path)}")
        return
    group = item["apiVersion"].rpartition("/")[0]
    assert group in BUILTIN_GROUPS, f"{where}: no schema for {crd} in tests/schemas/crds.py"
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(item, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{where} (Kubernetes {version}): {exc.message} at {list(exc.path)}")


def test_every_object_validates_against_its_schema(rendered):
    overlay, objects = rendered
    for item in objects:
        validate(item, overlay)


def test_the_schema_check_catches_a_misspelt_field():
    topic = {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic", "metadata": {"name": "t"},
             "spec": {"partitions": 6, "replica": 3}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(topic, SCHEMAS["kafka.strimzi.io/v1/KafkaTopic"])
    deployment = next(o for o in render("dev") if o["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/readyz"}}
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def test_no_secret_is_in_the_manifests(rendered):
    _, objects = rendered
    assert of_kind(objects, "Secret") == []


# --- workloads -----------------------------------------------------------------------------------

def test_workloads_run_locked_down_with_resources_and_probes(rendered):
    _, objects = rendered
    for workload in of_kind(objects, "Deployment") + of_kind(objects, "StatefulSet"):
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), where
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), where
            assert "readinessProbe" in container and "livenessProbe" in container, where


def test_pods_keep_serving_until_the_proxies_have_stopped_sending(rendered):
    """preStop waits before SIGTERM (endpoints are removed while the pod already shuts down), within the
    grace period, leaving time to drain."""
    _, objects = rendered
    for deployment, container in containers(objects):
        wait = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        grace = deployment["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30)
        assert 3 <= wait <= grace - 15, deployment["metadata"]["name"]


def test_ports_env_and_probe_paths_are_what_the_code_serves(rendered):
    overlay, objects = rendered
    from services.ingest.http import create_ingest_app
    from services.metrics.worker import create_app

    class Publisher:
        async def is_ready(self) -> bool:
            return True

    ingest_paths = {r.canonical for r in create_ingest_app(Publisher(), 1024).router.resources()}
    stream_paths = set(create_app(MetricsSettings()).web.views)
    shared_env = env_config(objects)
    for deployment, container in containers(objects):
        [module] = container["args"]
        settings_class = SETTINGS_OF[module]
        known = {name.upper() for name in settings_class.model_fields}
        env = {e["name"]: e for e in container.get("env", [])}
        where = f"{overlay}: {deployment['metadata']['name']}"
        assert set(env) <= known, f"{where}: {set(env) - known} are not settings of {module}"
        assert set(shared_env) <= {n.upper() for cls in SETTINGS_OF.values() for n in cls.model_fields} | {
            n.upper() for n in CommonSettings.model_fields}, f"{where}: unknown shared setting"
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        http_setting = next(n for n in env if n.endswith("_PORT") and n not in ("SMTP_PORT", "KCC_GRPC_PORT", "ROUTER_GRPC_PORT"))
        assert int(env[http_setting]["value"]) == ports["http"], where
        assert int(env[http_setting]["value"]) == settings_class.model_fields[http_setting.lower()].default, where
        served = stream_paths if module in ("services.router", "services.metrics") else ingest_paths
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"]["path"] in served, f"{where}: {probe}"
            assert container[probe]["httpGet"]["port"] == "http", where
        for name, value in env.items():
            if "valueFrom" in value:
                assert settings_class.model_fields[name.lower()].annotation.__name__ == "SecretStr", (
                    f"{where}: {name} comes from a Secret but is not a secret setting")
        secrets_needed = {n.upper() for n, f in settings_class.model_fields.items() if f.is_required()}
        assert secrets_needed <= set(env), f"{where}: required settings missing: {secrets_needed - set(env)}"


def test_services_target_named_container_ports(rendered):
    _, objects = rendered
    deployments = by_name(objects, "Deployment")
    for service in of_kind(objects, "Service"):
        name = service["spec"]["selector"]["app.kubernetes.io/name"]
        if name == "gemeente-redis":
            continue
        ports = {p["name"] for _, c in containers([deployments[name]]) for p in c["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, f"{service['metadata']['name']}: {port['targetPort']}"


def test_route_paths_are_the_webhook_paths_the_ingestors_serve(rendered):
    _, objects = rendered
    assert of_kind(objects, "Ingress") == []  # Gateway API is the default; Ingress is a component
    route = by_name(objects, "HTTPRoute")["gemeente-webhooks"]
    assert route_paths(route) == {c.webhook_path: c.deployment for c in WEBHOOK_CHANNELS}
    services = by_name(objects, "Service")
    for rule in route["spec"]["rules"]:
        [backend] = rule["backendRefs"]
        assert backend["port"] in {p["port"] for p in services[backend["name"]]["spec"]["ports"]}
    secrets = {name.lower(): "a-secret-of-sixteen-bytes-or-more" for c in CHANNELS for name in c.all_secrets}
    for channel in WEBHOOK_CHANNELS:
        app = importlib.import_module(f"{channel.package}.app").create_app(settings_class(channel.package)(**secrets))
        served = {(route.method, route.resource.canonical) for route in app.router.routes()}
        assert ("POST", channel.webhook_path) in served, channel.name


# --- Kafka ---------------------------------------------------------------------------------------

def test_a_kafka_topic_for_every_topic_the_code_uses(rendered):
    overlay, objects = rendered
    declared = {t["spec"]["topicName"]: t["spec"] for t in of_kind(objects, "KafkaTopic")}
    assert set(declared) == set(topics.all_topics(load_departments(DEFAULT_DEPARTMENTS_FILE)))
    retention = {name: spec["config"]["retention.ms"] for name, spec in declared.items()}
    # The unmasked text: the shortest retention of all.
    assert retention[topics.INBOUND] == min(retention.values())
    assert retention[topics.DEADLETTER] < retention[topics.routed_topic("afval")]
    if overlay == "prod":
        assert all(s["replicas"] == 3 and s["config"]["min.insync.replicas"] == 2 for s in declared.values())


def test_departments_read_only_their_own_topic(rendered):
    _, objects = rendered
    users = by_name(objects, "KafkaUser")
    departments = [d.id for d in load_departments(DEFAULT_DEPARTMENTS_FILE)]
    all_topic_names = set(topics.all_topics(load_departments(DEFAULT_DEPARTMENTS_FILE)))
    for department in departments:
        acls = users[f"afdeling-{department.replace('_', '-')}"]["spec"]["authorization"]["acls"]
        readable = {a["resource"]["name"] for a in acls if a["resource"]["type"] == "topic" and "Read" in a["operations"]}
        assert readable == {topics.routed_topic(department)}
    for user in users.values():
        for rule in user["spec"]["authorization"]["acls"]:
            if rule["resource"]["type"] == "topic":
                assert rule["resource"]["name"] in all_topic_names, rule


def test_each_service_uses_its_own_kafka_user(rendered):
    _, objects = rendered
    users = by_name(objects, "KafkaUser")
    for deployment, container in containers(objects):
        env = {e["name"]: e for e in container["env"]}
        user = env["KAFKA_SASL_USERNAME"]["value"]
        assert user in users
        assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": user, "key": "password"}


def test_each_kafka_user_may_do_what_its_service_does(rendered):
    """The ACLs cover the paths that only run when something goes wrong: an ingestor dead-letters a body
    its normaliser failed on; the router reads its own outputs back after a crash."""
    _, objects = rendered
    users = by_name(objects, "KafkaUser")

    def allowed(user: str, topic: str, operation: str) -> bool:
        return any(rule["resource"]["type"] == "topic" and rule["resource"]["name"] == topic
                   and operation in rule["operations"] for rule in users[user]["spec"]["authorization"]["acls"])

    assert allowed("gemeente-ingest", topics.DEADLETTER, "Write")
    departments = [d.id for d in load_departments(DEFAULT_DEPARTMENTS_FILE)]
    for topic in (topics.TRIAGE, topics.DEADLETTER, *(topics.routed_topic(d) for d in departments)):
        assert allowed("gemeente-router", topic, "Write") and allowed("gemeente-router", topic, "Read"), topic


def test_the_router_scales_on_lag_and_never_beyond_the_partitions():
    objects = render("prod")
    [scaled] = of_kind(objects, "ScaledObject")
    [trigger] = scaled["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["topic"] == topics.INBOUND
    from services.router.worker import GROUP_ID

    assert trigger["metadata"]["consumerGroup"] == GROUP_ID
    assert scaled["spec"]["scaleTargetRef"]["name"] in by_name(objects, "Deployment")
    inbound = next(t for t in of_kind(objects, "KafkaTopic") if t["spec"]["topicName"] == topics.INBOUND)
    assert scaled["spec"]["maxReplicaCount"] <= inbound["spec"]["partitions"]
    ingestors = {d for d in by_name(objects, "Deployment") if d.startswith("gemeente-ingest-")}
    assert {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(objects, "HorizontalPodAutoscaler")} == ingestors


def test_in_prod_the_autoscalers_own_the_replicas_of_what_they_scale():
    """A Deployment that an HPA or a ScaledObject targets has no replicas field: every apply would reset
    what the autoscaler chose."""
    objects = render("prod")
    targets = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(objects, "HorizontalPodAutoscaler")}
    targets |= {s["spec"]["scaleTargetRef"]["name"] for s in of_kind(objects, "ScaledObject")}
    deployments = by_name(objects, "Deployment")
    assert targets and targets <= set(deployments)
    assert [name for name in targets if "replicas" in deployments[name]["spec"]] == []
    assert deployments["gemeente-metrics"]["spec"]["replicas"] == 1  # not autoscaled: one replica, as designed


def cpu_seconds(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def test_ingestors_scale_out_long_before_a_pod_is_saturated():
    """Measured, not guessed: the CPU per webhook `make bench` reports (k8s/build.py) against the HPA's
    target: a pod asks for help at a rate it handles with room to spare, and well above idle."""
    build = k8s_build()
    objects = render("prod")
    deployments = by_name(objects, "Deployment")
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        [container] = deployments[hpa["spec"]["scaleTargetRef"]["name"]]["spec"]["template"]["spec"]["containers"]
        [metric] = hpa["spec"]["metrics"]
        target = metric["resource"]["target"]["averageUtilization"] / 100
        scale_out_rate = cpu_seconds(container["resources"]["requests"]["cpu"]) * target / build.INGEST_CPU_SECONDS_PER_WEBHOOK
        saturation_rate = cpu_seconds(container["resources"]["limits"]["cpu"]) / build.INGEST_CPU_SECONDS_PER_WEBHOOK
        assert 20 <= scale_out_rate <= saturation_rate / 4, (hpa["metadata"]["name"], scale_out_rate, saturation_rate)
        assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 60


def test_the_router_autoscaler_comes_down_gently_and_never_below_two():
    """KEDA's cooldownPeriod only times scaling to zero: with a minimum of 2 the scale-down is the HPA's
    behaviour, slow, because every step rebalances the consumer group."""
    [scaled] = of_kind(render("prod"), "ScaledObject")
    assert scaled["spec"]["minReplicaCount"] >= 2
    assert "cooldownPeriod" not in scaled["spec"]
    behavior = scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] >= 60
    assert all(p["type"] == "Pods" and p["value"] == 1 for p in behavior["scaleDown"]["policies"])


def test_dev_runs_one_replica_of_everything():
    objects = render("dev")
    assert {d["spec"]["replicas"] for d in of_kind(objects, "Deployment")} == {1}
    assert of_kind(objects, "HorizontalPodAutoscaler") == [] and of_kind(objects, "ScaledObject") == []


def test_prod_spreads_replicas_over_nodes():
    for deployment in of_kind(render("prod"), "Deployment"):
        keys = {c["topologyKey"] for c in deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]}
        assert "kubernetes.io/hostname" in keys


# --- network and monitoring ----------------------------------------------------------------------

def selects(selector: dict, labels: dict) -> bool:
    """A label selector (matchLabels, matchExpressions with In/NotIn/Exists/DoesNotExist) against labels."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if not {"In": key in labels and labels[key] in values, "NotIn": labels.get(key) not in values,
                "Exists": key in labels, "DoesNotExist": key not in labels}[operator]:
            return False
    return True


def peer_matches(peer: dict, pod: dict, namespace_labels: dict) -> bool:
    if "ipBlock" in peer:
        return False
    namespace_ok = selects(peer["namespaceSelector"], namespace_labels) if "namespaceSelector" in peer else (
        namespace_labels.get("kubernetes.io/metadata.name") == "gemeente-contact")
    return namespace_ok and selects(peer.get("podSelector", {}), pod)


def allowed(policies: list[dict], direction: str, subject: dict, peer: dict, peer_namespace: dict, port: str) -> bool:
    """Whether the policies that select `subject` (a pod's labels) let traffic in from / out to `peer` on `port`."""
    kind, key = ("Ingress", "ingress") if direction == "in" else ("Egress", "egress")
    selecting = [p for p in policies if kind in p["spec"]["policyTypes"] and selects(p["spec"]["podSelector"], subject)]
    for policy in selecting:
        for rule in policy["spec"].get(key, []):
            peers = rule.get("from" if key == "ingress" else "to", [])
            if any(peer_matches(x, peer, peer_namespace) for x in peers) and any(
                    p["port"] == port for p in rule.get("ports", [])):
                return True
    return False


def test_network_policies_deny_by_default(rendered):
    _, objects = rendered
    policies = by_name(objects, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    egress = policies["egress-dns-kafka-redis"]["spec"]["egress"]
    assert {p["port"] for rule in egress for p in rule["ports"]} == {53, 9093, 6379}


def test_grpc_callers_reach_exactly_the_servers_their_role_may_call(rendered):
    """From services/contract/access.py: a caller labelled with its role (in this namespace, or a
    department's namespace labelled so) reaches the gRPC ports of the servers it may call, both ways
    through the policies; an unlabelled pod, and a role without a method there, do not."""
    from services.contract.access import PERMISSIONS

    _, objects = rendered
    policies = of_kind(objects, "NetworkPolicy")
    build = k8s_build()
    here = {"kubernetes.io/metadata.name": "gemeente-contact"}
    servers = {name: d["spec"]["template"]["metadata"]["labels"] for name, d in by_name(objects, "Deployment").items()
               if name in build.GRPC_SERVERS.values()}
    roles = sorted({role for allowed_roles in PERMISSIONS.values() for role in allowed_roles})
    for server, server_labels in servers.items():
        for role in roles:
            may = any(role in allowed_roles and build.grpc_server_of(method) == server
                      for method, allowed_roles in PERMISSIONS.items())
            caller = {build.API_ROLE_LABEL: role, "app.kubernetes.io/name": f"a-{role}-tool"}
            reaches = (allowed(policies, "out", caller, server_labels, here, "grpc")
                       and allowed(policies, "in", server_labels, caller, here, "grpc"))
            assert reaches == may, (server, role)
            # A department's system in its own namespace, labelled with the role.
            elsewhere = {"kubernetes.io/metadata.name": f"{role}-apps", build.API_ROLE_LABEL: role}
            assert allowed(policies, "in", server_labels, {"app": "x"}, elsewhere, "grpc") == may, (server, role)
        stranger = {"app.kubernetes.io/name": "something-else"}
        assert not allowed(policies, "in", server_labels, stranger, here, "grpc"), server
        assert not allowed(policies, "out", stranger, server_labels, here, "grpc"), server


def test_mail_comes_only_from_the_gemeentes_relay(rendered):
    """The load balancer and the pod's policy admit the same sources, and neither admits the world."""
    import ipaddress

    _, objects = rendered
    service = by_name(objects, "Service")["gemeente-smtp"]
    ranges = service["spec"]["loadBalancerSourceRanges"]
    assert service["spec"]["externalTrafficPolicy"] == "Local"  # the source address reaches the policy
    [smtp_rule] = [rule for rule in by_name(objects, "NetworkPolicy")["smtp-in"]["spec"]["ingress"]
                   if {"protocol": "TCP", "port": "smtp"} in rule["ports"]]
    assert sorted(source["ipBlock"]["cidr"] for source in smtp_rule["from"]) == sorted(ranges)
    assert all(ipaddress.ip_network(cidr).num_addresses <= 256 for cidr in ranges)


def test_prometheus_rule_is_the_rules_file_and_every_service_is_scraped(rendered):
    _, objects = rendered
    [rule] = of_kind(objects, "PrometheusRule")
    groups = [group for name in ("rules.yml", "services.rules.yml")
              for group in yaml.safe_load((REPO_ROOT / "deploy" / "prometheus" / name).read_text())["groups"]]
    assert rule["spec"]["groups"] == groups
    [monitor] = of_kind(objects, "ServiceMonitor")
    selector = monitor["spec"]["selector"]["matchLabels"]
    scraped = {s["metadata"]["labels"]["app.kubernetes.io/name"] for s in of_kind(objects, "Service")
               if selector.items() <= s["metadata"]["labels"].items()}
    assert scraped == set(by_name(objects, "Deployment"))
    # The job label is the service's name: the names the rules' `up{job=~"gemeente-.*"}` expects.
    prometheus_jobs = {j["job_name"] for j in yaml.safe_load(
        (REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())["scrape_configs"]}
    assert scraped == prometheus_jobs


def test_grafana_dashboards_are_shipped_for_the_sidecar(rendered):
    _, objects = rendered
    [dashboards] = [c for c in of_kind(objects, "ConfigMap") if c["metadata"]["name"] == "gemeente-grafana-dashboards"]
    assert dashboards["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert set(dashboards["data"]) == {p.name for p in (REPO_ROOT / "deploy" / "grafana" / "dashboards").glob("*.json")}


# --- the image ---------------------------------------------------------------------------------

def test_the_image_is_multi_stage_non_root_and_configured_by_settings(rendered):
    _, objects = rendered
    lines = [line.strip() for line in (REPO_ROOT / "Dockerfile").read_text().splitlines()]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) == 2 and " AS build" in stages[0]
    final = lines[lines.index(stages[1]):]
    assert not any("apt-get" in line or "gcc" in line for line in final), "no build tools in the final stage"
    [user] = [line.split()[1] for line in final if line.startswith("USER ")]
    uid = int(user.split(":")[0])
    assert uid != 0
    for deployment in of_kind(objects, "Deployment"):
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == uid
    env_block = " ".join(final[next(i for i, line in enumerate(final) if line.startswith("ENV ")):])
    names = {token.split("=")[0] for token in env_block.replace("\\", " ").split() if "=" in token}
    settings_names = {n.upper() for cls in SETTINGS_OF.values() for n in cls.model_fields}
    assert {"DEPARTMENTS_FILE", "KPI_CONFIG_FILE", "ROUTER_MODEL_FILE"} <= names
    assert names - {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"} <= settings_names


def test_every_statefulset_is_governed_by_a_headless_service(rendered):
    _, objects = rendered
    services = by_name(objects, "Service")
    for statefulset in of_kind(objects, "StatefulSet"):
        governing = services[statefulset["spec"]["serviceName"]]
        assert governing["spec"].get("clusterIP") == "None", statefulset["metadata"]["name"]


# --- Redis (Valkey) ----------------------------------------------------------------------------------

def redis_config(objects: list[dict]) -> dict[str, str]:
    text = by_name(objects, "ConfigMap")["gemeente-redis-config"]["data"]["valkey.conf"]
    pairs = (line.split(None, 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {key: value for key, value in pairs}


def memory_bytes(quantity: str) -> int:
    units = {"mb": 1024**2, "gb": 1024**3, "Mi": 1024**2, "Gi": 1024**3}
    unit = next(u for u in units if quantity.endswith(u))
    return int(quantity[: -len(unit)]) * units[unit]


def test_redis_requires_a_password_from_the_secret_and_clients_get_their_url_from_it(rendered):
    _, objects = rendered
    [redis] = of_kind(objects, "StatefulSet")
    pod = redis["spec"]["template"]["spec"]
    config = redis_config(objects)
    # The password is included from a file the init container writes from the Secret: not in the spec.
    assert config["include"] == "/run/valkey/auth.conf"
    [init] = pod["initContainers"]
    assert {e["name"]: e["valueFrom"]["secretKeyRef"] for e in init["env"]} == {
        "REDIS_PASSWORD": {"name": "gemeente-secrets", "key": "REDIS_PASSWORD"}}
    [server] = pod["containers"]
    assert not any("pass" in arg.lower() for arg in server["command"] + server.get("args", []))
    assert all("PONG" in " ".join(server[p]["exec"]["command"]) for p in ("readinessProbe", "livenessProbe"))
    # Memory: a bound below the container's limit, evicting only keys that expire.
    assert memory_bytes(config["maxmemory"]) < memory_bytes(server["resources"]["limits"]["memory"])
    assert config["maxmemory-policy"] == "volatile-ttl"
    # Clients: REDIS_URL (it carries the password) from the Secret, never from a ConfigMap.
    assert not any("REDIS_URL" in c.get("data", {}) for c in of_kind(objects, "ConfigMap"))
    for deployment, container in containers(objects):
        env = {e["name"]: e for e in container["env"]}
        assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"] == {"name": "gemeente-secrets", "key": "REDIS_URL"}, (
            deployment["metadata"]["name"])


def test_the_secret_example_names_every_secret_the_manifests_read(rendered):
    _, objects = rendered
    example = (K8S / "secrets.example.env").read_text()
    keys = {line.split("=", 1)[0] for line in example.splitlines() if line and not line.startswith("#")}
    read = set()
    for workload in of_kind(objects, "Deployment") + of_kind(objects, "StatefulSet"):
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["name"] == "gemeente-secrets":
                    read.add(ref["key"])
    assert read == keys


def test_third_party_images_are_pinned_to_a_release(rendered):
    """No floating tags (`7.4-alpine`, `latest`): an exact version, or a digest."""
    import re

    _, objects = rendered
    for workload in of_kind(objects, "Deployment") + of_kind(objects, "StatefulSet"):
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            image = container["image"]
            assert re.search(r":\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$|@sha256:[0-9a-f]{64}$", image), image


# --- the edge: Gateway API by default, Ingress as an option -----------------------------------------

def seconds(duration: str) -> float:
    assert duration.endswith("s") and not duration.endswith("ms"), duration
    return float(duration[:-1])


def test_the_route_gives_a_webhook_the_time_the_ingestor_may_take(rendered):
    """A gateway that cut a webhook off before Kafka answered would make the platform retry a message that
    was published: the route's timeout covers reading the body and waiting for Kafka's acknowledgement."""
    from services.ingest.settings import IngestorSettings

    _, objects = rendered
    fields = IngestorSettings.model_fields
    needed = fields["read_timeout_seconds"].default + fields["publish_timeout_seconds"].default
    route = by_name(objects, "HTTPRoute")["gemeente-webhooks"]
    for rule in route["spec"]["rules"]:
        assert seconds(rule["timeouts"]["request"]) > needed, rule["name"]
    [parent] = route["spec"]["parentRefs"]
    assert parent["kind"] == "Gateway" and parent["sectionName"] == "https"  # TLS ends at the gateway


def test_the_ingress_component_replaces_the_route_with_the_same_paths_and_limits(tmp_path):
    from services.ingest.settings import IngestorSettings

    objects = render_with_components("prod", ["ingress"], tmp_path)
    assert of_kind(objects, "HTTPRoute") == []
    ingress = by_name(objects, "Ingress")["gemeente-webhooks"]
    paths = {p["path"]: p["backend"]["service"]["name"] for p in ingress["spec"]["rules"][0]["http"]["paths"]}
    assert paths == {c.webhook_path: c.deployment for c in WEBHOOK_CHANNELS}
    annotations = ingress["metadata"]["annotations"]
    max_body = IngestorSettings.model_fields["max_body_bytes"].default
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == f"{max_body // 1024}k"
    for item in objects:
        validate(item, "prod+ingress")


def test_the_nginx_gateway_fabric_component_refuses_bodies_over_the_ingestors_limit(tmp_path):
    from services.ingest.settings import IngestorSettings

    objects = render_with_components("prod", ["nginx-gateway-fabric"], tmp_path)
    [policy] = of_kind(objects, "ClientSettingsPolicy")
    route = by_name(objects, "HTTPRoute")["gemeente-webhooks"]
    assert policy["spec"]["targetRef"]["name"] == route["metadata"]["name"]
    max_body = IngestorSettings.model_fields["max_body_bytes"].default
    assert policy["spec"]["body"]["maxSize"] == f"{max_body // 1024}k"
    for item in objects:
        validate(item, "prod+nginx-gateway-fabric")


# --- certificates ----------------------------------------------------------------------------------

def test_every_grpc_port_serves_tls_with_a_certificate_for_its_service_name(rendered):
    _, objects = rendered
    build = k8s_build()
    deployments = by_name(objects, "Deployment")
    certificates = {c["spec"]["secretName"]: c for c in of_kind(objects, "Certificate")}
    issuers = by_name(objects, "Issuer")
    for server in set(build.GRPC_SERVERS.values()):
        pod = deployments[server]["spec"]["template"]["spec"]
        [container] = pod["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        secret = volumes[mounts[str(Path(env["GRPC_TLS_CERT_FILE"]).parent)]]["secret"]["secretName"]
        assert Path(env["GRPC_TLS_KEY_FILE"]).parent == Path(env["GRPC_TLS_CERT_FILE"]).parent
        certificate = certificates[secret]["spec"]
        assert server in certificate["dnsNames"] and server in by_name(objects, "Service"), server
        assert certificate["issuerRef"]["name"] in issuers
        assert certificate["privateKey"]["rotationPolicy"] == "Always"  # renewed in place (CertificateFiles)


def test_the_kafka_ca_comes_from_trust_manager_and_nothing_is_copied_by_hand(rendered):
    """Every pod mounts Strimzi's cluster CA from the ConfigMap trust-manager keeps current here, and KEDA
    reads only what the manifests, Strimzi (KafkaUser Secrets) or trust-manager create."""
    _, objects = rendered
    [bundle] = of_kind(objects, "Bundle")
    assert "namespace" not in bundle["metadata"]  # cluster-scoped
    assert bundle["spec"]["target"]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "gemeente-contact"}
    target_configmap = bundle["metadata"]["name"]
    ca_file = env_config(objects)["KAFKA_SSL_CAFILE"]
    for deployment, container in containers(objects):
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        ca_volume = volumes[mounts[str(Path(ca_file).parent)]]
        assert ca_volume["configMap"]["name"] == target_configmap, deployment["metadata"]["name"]
    made_here = {c["metadata"]["name"] for c in of_kind(objects, "ConfigMap")} | {target_configmap}
    kafka_users = set(by_name(objects, "KafkaUser"))
    for auth in of_kind(objects, "TriggerAuthentication"):
        assert {r["name"] for r in auth["spec"].get("configMapTargetRef", [])} <= made_here
        assert {r["name"] for r in auth["spec"].get("secretTargetRef", [])} <= kafka_users


def test_the_routers_read_the_model_the_nightly_retrain_promotes(rendered):
    """One model volume: the retrain writes it, every router replica reads it read-only (seeded from the
    image once), and the retrain reads the staff's placements as its own Kafka user."""
    _, objects = rendered
    [router] = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "gemeente-router"]
    [cronjob] = [o for o in objects if o["kind"] == "CronJob"]
    [claim] = [o for o in objects if o["kind"] == "PersistentVolumeClaim" and o["metadata"]["name"] == "gemeente-models"]
    assert "ReadWriteMany" in claim["spec"]["accessModes"]
    pod = router["spec"]["template"]["spec"]
    model_volume = {v["name"] for v in pod["volumes"] if v.get("persistentVolumeClaim", {}).get("claimName") == "gemeente-models"}
    router_container = next(c for c in pod["containers"] if c["name"] == "router")
    env = {e["name"]: e.get("value") for e in router_container["env"]}
    mount = next(m for m in router_container["volumeMounts"] if m["name"] in model_volume)
    assert mount["readOnly"] and env["ROUTER_MODEL_FILE"].startswith(mount["mountPath"] + "/")
    assert any("seed" in c["args"] for c in pod["initContainers"])
    job = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [retrain] = job["containers"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    assert env["ROUTER_MODEL_FILE"] in " ".join(retrain["args"]) and "--corrections" in " ".join(retrain["args"])
    assert retrain["securityContext"]["readOnlyRootFilesystem"] and job["securityContext"]["runAsNonRoot"]
    user = {e["name"]: e for e in retrain["env"]}["KAFKA_SASL_USERNAME"]["value"]
    acls = by_name(objects, "KafkaUser")[user]["spec"]["authorization"]["acls"]
    assert [(a["resource"]["name"], a["operations"]) for a in acls] == [("contact.corrections", ["Read", "Describe"])]
