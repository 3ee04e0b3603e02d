"""The hand-written CRD schemas (tests/schemas/crds.py): each accepts a small valid object of its kind and
refuses it with an unknown field in spec; a few API facts hold; every pattern is valid Python."""

from __future__ import annotations

import copy
import re

import jsonschema
import pytest

from tests.schemas.crds import SCHEMAS


def resource(api_version: str, kind: str, spec: dict) -> dict:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "example"}, "spec": spec}


EXAMPLES = {
    "kafka.strimzi.io/v1/KafkaTopic": resource("kafka.strimzi.io/v1", "KafkaTopic", {
        "partitions": 6, "replicas": 3, "config": {"retention.ms": 604800000}}),
    "kafka.strimzi.io/v1/KafkaUser": resource("kafka.strimzi.io/v1", "KafkaUser", {
        "authentication": {"type": "scram-sha-512"},
        "authorization": {"type": "simple", "acls": [
            {"resource": {"type": "topic", "name": "contact.", "patternType": "prefix"},
             "operations": ["Read", "Describe"]}]}}),
    "monitoring.coreos.com/v1/PrometheusRule": resource("monitoring.coreos.com/v1", "PrometheusRule", {
        "groups": [{"name": "router", "partial_response_strategy": "Warn", "rules": [
            {"alert": "RouterDown", "expr": "absent(up)", "for": "5m", "labels": {"severity": "page"}}]}]}),
    "monitoring.coreos.com/v1/ServiceMonitor": resource("monitoring.coreos.com/v1", "ServiceMonitor", {
        "selector": {"matchLabels": {"app": "router"}}, "endpoints": [{"port": "http", "interval": "15s"}]}),
    "keda.sh/v1alpha1/ScaledObject": resource("keda.sh/v1alpha1", "ScaledObject", {
        "scaleTargetRef": {"name": "router"}, "minReplicaCount": 2, "maxReplicaCount": 6,
        "triggers": [{"type": "kafka", "metadata": {"lagThreshold": "500"}, "authenticationRef": {"name": "kafka"}}]}),
    "keda.sh/v1alpha1/TriggerAuthentication": resource("keda.sh/v1alpha1", "TriggerAuthentication", {
        "secretTargetRef": [{"parameter": "password", "name": "kafka-user", "key": "password"}],
        "configMapTargetRef": [{"parameter": "topic", "name": "kafka-settings", "key": "topic"}]}),
    "gateway.networking.k8s.io/v1/HTTPRoute": resource("gateway.networking.k8s.io/v1", "HTTPRoute", {
        "parentRefs": [{"name": "gateway", "namespace": "gateway-system", "sectionName": "https"}],
        "hostnames": ["contact.example.nl"],
        "rules": [{"name": "webform", "matches": [{"path": {"type": "Exact", "value": "/webhooks/webform"}}],
                   "filters": [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"remove": ["x"]}}],
                   "backendRefs": [{"name": "ingest", "port": 8082}], "timeouts": {"request": "20s"}}]}),
    "gateway.nginx.org/v1alpha1/ClientSettingsPolicy": resource("gateway.nginx.org/v1alpha1", "ClientSettingsPolicy", {
        "targetRef": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "webhooks"},
        "body": {"maxSize": "1024k", "timeout": "20s"}}),
    "cert-manager.io/v1/Certificate": resource("cert-manager.io/v1", "Certificate", {
        "secretName": "contact-tls", "dnsNames": ["contact.example.nl"], "usages": ["server auth"],
        "issuerRef": {"name": "ca", "kind": "Issuer", "group": "cert-manager.io"}}),
    "cert-manager.io/v1/Issuer": resource("cert-manager.io/v1", "Issuer", {"ca": {"secretName": "ca"}}),
    "trust.cert-manager.io/v1alpha1/Bundle": resource("trust.cert-manager.io/v1alpha1", "Bundle", {
        "sources": [{"useDefaultCAs": True}, {"secret": {"name": "kafka-cluster-ca-cert", "key": "ca.crt"}}],
        "target": {"configMap": {"key": "ca.crt"}, "namespaceSelector": {"matchLabels": {"trust": "yes"}}}}),
}


def refused(obj: dict, key: str) -> bool:
    try:
        jsonschema.validate(obj, SCHEMAS[key])
    except jsonschema.ValidationError:
        return True
    return False


def test_there_is_an_example_of_every_kind():
    assert set(EXAMPLES) == set(SCHEMAS)


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_a_valid_object_is_accepted_and_an_unknown_spec_field_refused(key):
    jsonschema.Draft202012Validator.check_schema(SCHEMAS[key])
    assert not refused(EXAMPLES[key], key)
    misspelt = copy.deepcopy(EXAMPLES[key])
    misspelt["spec"]["replica"] = 3
    assert refused(misspelt, key)


@pytest.mark.parametrize("kind", ["KafkaTopic", "KafkaUser"])
def test_strimzi_v1beta2_is_refused(kind):
    key = f"kafka.strimzi.io/v1/{kind}"
    assert refused({**EXAMPLES[key], "apiVersion": "kafka.strimzi.io/v1beta2"}, key)


def test_a_kafka_user_acl_with_the_singular_operation_is_refused():
    user = copy.deepcopy(EXAMPLES["kafka.strimzi.io/v1/KafkaUser"])
    acl = user["spec"]["authorization"]["acls"][0]
    acl["operation"] = acl.pop("operations")[0]
    assert refused(user, "kafka.strimzi.io/v1/KafkaUser")


def test_client_settings_max_size_is_nginx_syntax():
    policy = copy.deepcopy(EXAMPLES["gateway.nginx.org/v1alpha1/ClientSettingsPolicy"])
    policy["spec"]["body"]["maxSize"] = "1M"
    assert refused(policy, "gateway.nginx.org/v1alpha1/ClientSettingsPolicy")


def test_every_pattern_compiles_in_python():
    def patterns(node):
        if isinstance(node, dict):
            yield from (v for k, v in node.items() if k == "pattern" and isinstance(v, str))
            for value in node.values():
                yield from patterns(value)
        elif isinstance(node, list):
            for value in node:
                yield from patterns(value)

    found = list(patterns(SCHEMAS))
    assert found
    for pattern in found:
        re.compile(pattern)
