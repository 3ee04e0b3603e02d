"""Strict JSON Schemas of the custom resources our manifests use, for tests/unit/deploy/test_k8s.py.

`SCHEMAS["<apiVersion>/<kind>"]` (e.g. "kafka.strimzi.io/v1/KafkaTopic"). Hand-written from each
operator's API at these releases:

* Strimzi 1.2.0: kafka.strimzi.io/v1 KafkaTopic, KafkaUser (v1beta2 is no longer served)
* Prometheus Operator v0.93.0: monitoring.coreos.com/v1 PrometheusRule, ServiceMonitor
* KEDA v2.20.2: keda.sh/v1alpha1 ScaledObject, TriggerAuthentication
* Gateway API v1.6.1, standard channel: gateway.networking.k8s.io/v1 HTTPRoute
* NGINX Gateway Fabric v2.6.7: gateway.nginx.org/v1alpha1 ClientSettingsPolicy
* cert-manager v1.21.1: cert-manager.io/v1 Certificate, Issuer
* trust-manager v0.24.0: trust.cert-manager.io/v1alpha1 Bundle

Strict, like `kubectl apply --validate=strict`: every object we describe refuses unknown fields
(`additionalProperties: False`); a node typed only as "object"/"array" (a part we do not use, or an
open map such as KafkaTopic's `config`) is not checked inside. The top level is apiVersion (this
version only), kind, metadata (an object, not checked inside) and spec; `status` and anything else is
refused. Enums, patterns, bounds and `required` are the API's.

Checked against the operators' own CRDs with tests/schemas/check_upstream.py, run by a developer who
has those CRDs locally (they are not in this repository): it reports any field, type, enum value,
pattern or bound here that the CRD does not have and any field the CRD requires that is not required
here. Update a kind by reading the new release's API, editing it here, and running that check.

Not checked here: CEL rules (`x-kubernetes-validations`) and admission-webhook rules, except the few
listed in BEYOND_THE_CRD; uniqueness of list items (`x-kubernetes-list-type: set|map`); `format`s;
defaults. Patterns are the CRDs' (Go RE2) patterns run by Python `re`: the same language, except that
Python's `$` also matches before a final newline and `\\d` also matches non-ASCII digits. Where Go
syntax is not valid Python the pattern is rewritten; GO_PATTERNS maps it to the CRD's.
"""

from __future__ import annotations


def obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    """An object with these fields and no others."""
    schema = {"type": "object", "properties": properties, "additionalProperties": False, **extra}
    if required:
        schema["required"] = required
    return schema


def loose(required: list[str] | None = None) -> dict:
    """An object not checked inside (beyond the fields the API requires)."""
    return {"type": "object", **({"required": required} if required else {})}


def arr(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


def string(pattern: str | None = None, **extra) -> dict:
    return {"type": "string", **({"pattern": pattern} if pattern else {}), **extra}


def enum(*values: str) -> dict:
    return {"type": "string", "enum": list(values)}


def integer(minimum: int | None = None, maximum: int | None = None) -> dict:
    bounds = {"minimum": minimum} if minimum is not None else {}
    return {"type": "integer", **bounds, **({"maximum": maximum} if maximum is not None else {})}


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
ARRAY = {"type": "array"}
STRMAP = {"type": "object", "additionalProperties": STR}
STRLIST = arr(STR)
INT_OR_STR = {"anyOf": [{"type": "integer"}, {"type": "string"}]}
LABEL_SELECTOR = obj({
    "matchExpressions": arr(obj({"key": STR, "operator": enum("In", "NotIn", "Exists", "DoesNotExist"),
                                 "values": STRLIST}, ["key", "operator"])),
    "matchLabels": STRMAP,
})


def crd(api_version: str, kind: str, spec: dict, spec_required: bool = True) -> dict:
    return {
        "type": "object",
        "properties": {"apiVersion": {"type": "string", "const": api_version},
                       "kind": {"type": "string", "const": kind},
                       "metadata": {"type": "object"}, "spec": spec},
        "required": ["apiVersion", "kind", "metadata", *(["spec"] if spec_required else [])],
        "additionalProperties": False,
    }


# --- Strimzi 1.2.0 (kafka.strimzi.io/v1) ----------------------------------------------------------
KAFKA_TOPIC = crd("kafka.strimzi.io/v1", "KafkaTopic", obj({
    "config": {"type": "object"},  # any Kafka topic setting
    "partitions": integer(1),
    "replicas": integer(1, 32767),
    "topicName": STR,
}))

OPERATIONS = enum("Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction", "AlterConfigs",
                  "DescribeConfigs", "IdempotentWrite", "All")
KAFKA_USER = crd("kafka.strimzi.io/v1", "KafkaUser", obj({
    "authentication": obj({
        "password": obj({"valueFrom": obj({"secretKeyRef": obj({"key": STR, "name": STR, "optional": BOOL})})},
                        ["valueFrom"]),
        "renewalDays": integer(1),
        "type": enum("tls", "tls-external", "scram-sha-512"),
        "validityDays": integer(1),
    }, ["type"]),
    "authorization": obj({
        "acls": arr(obj({
            "host": STR,
            "operations": arr(OPERATIONS),  # v1: a list only; the singular `operation` is gone
            "resource": obj({
                "name": STR,
                "patternType": enum("literal", "prefix"),
                "type": enum("topic", "group", "cluster", "transactionalId"),
            }, ["type"]),
            "type": enum("allow", "deny"),
        }, ["resource", "operations"])),
        "type": enum("simple"),
    }, ["acls", "type"]),
    "quotas": obj({
        "consumerByteRate": integer(0),
        "controllerMutationRate": {"type": "number", "minimum": 0},
        "producerByteRate": integer(0),
        "requestPercentage": integer(0),
    }),
    "template": obj({"secret": obj({"metadata": obj({"annotations": STRMAP, "labels": STRMAP})})}),
}))

# --- Prometheus Operator v0.93.0 (monitoring.coreos.com/v1) ---------------------------------------
DURATION = "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
# Go allows a flag group after `^`; Python wants global flags first. The same language.
PARTIAL_RESPONSE = "(?i)^(abort|warn)?$"
PROMETHEUS_RULE = crd("monitoring.coreos.com/v1", "PrometheusRule", obj({
    "groups": arr(obj({
        "interval": string(DURATION),
        "labels": STRMAP,
        "limit": INT,
        "name": string(minLength=1),
        "partial_response_strategy": string(PARTIAL_RESPONSE),
        "query_offset": string(DURATION),
        "rules": arr(obj({
            "alert": STR,
            "annotations": STRMAP,
            "expr": INT_OR_STR,
            "for": string(DURATION),
            "keep_firing_for": string(DURATION, minLength=1),
            "labels": STRMAP,
            "record": STR,
        }, ["expr"])),
    }, ["name"])),
}))

KEY_REF = obj({"key": STR, "name": STR, "optional": BOOL}, ["key"])  # a key of a Secret or ConfigMap
CONFIGMAP_OR_SECRET = obj({"configMap": KEY_REF, "secret": KEY_REF})
PROXY_URL = "^(http|https|socks5)://.+$"
TLS_VERSION = enum("TLS10", "TLS11", "TLS12", "TLS13")
SAFE_TLS = {"ca": CONFIGMAP_OR_SECRET, "cert": CONFIGMAP_OR_SECRET, "insecureSkipVerify": BOOL,
            "keySecret": KEY_REF, "maxVersion": TLS_VERSION, "minVersion": TLS_VERSION, "serverName": STR}
PROXY = {"noProxy": STR, "proxyConnectHeader": {"type": "object", "additionalProperties": arr(KEY_REF)},
         "proxyFromEnvironment": BOOL, "proxyUrl": string(PROXY_URL)}
RELABELING = arr(obj({
    "action": enum("replace", "Replace", "keep", "Keep", "drop", "Drop", "hashmod", "HashMod", "labelmap",
                   "LabelMap", "labeldrop", "LabelDrop", "labelkeep", "LabelKeep", "lowercase", "Lowercase",
                   "uppercase", "Uppercase", "keepequal", "KeepEqual", "dropequal", "DropEqual"),
    "modulus": integer(0),
    "regex": STR,
    "replacement": STR,
    "separator": STR,
    "sourceLabels": STRLIST,
    "targetLabel": STR,
}))
SCRAPE_PROTOCOL = enum("PrometheusProto", "OpenMetricsText0.0.1", "OpenMetricsText1.0.0", "PrometheusText0.0.4",
                       "PrometheusText1.0.0")
QUANTITY = ("^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)"
            "|(\\.[0-9]+))))?$")
SERVICE_MONITOR = crd("monitoring.coreos.com/v1", "ServiceMonitor", obj({
    "attachMetadata": obj({"node": BOOL}),
    "bodySizeLimit": string("(^0|([0-9]*[.])?[0-9]+((K|M|G|T|E|P)i?)?B)$"),
    "convertClassicHistogramsToNHCB": BOOL,
    "endpoints": arr(obj({
        "authorization": obj({"credentials": KEY_REF, "type": STR}),
        "basicAuth": obj({"password": KEY_REF, "username": KEY_REF}),
        "bearerTokenFile": STR,
        "bearerTokenSecret": KEY_REF,
        "enableHttp2": BOOL,
        "filterRunning": BOOL,
        "followRedirects": BOOL,
        "honorLabels": BOOL,
        "honorTimestamps": BOOL,
        "interval": string(DURATION),
        "metricRelabelings": RELABELING,
        "oauth2": obj({
            "clientId": CONFIGMAP_OR_SECRET,
            "clientSecret": KEY_REF,
            "endpointParams": STRMAP,
            "scopes": STRLIST,
            "tlsConfig": obj(SAFE_TLS),
            "tokenUrl": string("^(http|https)://.+$"),
            **PROXY,
        }, ["clientId", "clientSecret", "tokenUrl"]),
        "params": {"type": "object", "additionalProperties": STRLIST},
        "path": STR,
        "port": STR,
        "relabelings": RELABELING,
        "scheme": enum("http", "https", "HTTP", "HTTPS"),
        "scrapeTimeout": string(DURATION),
        "targetPort": INT_OR_STR,
        "tlsConfig": obj({**SAFE_TLS, "caFile": STR, "certFile": STR, "keyFile": STR}),
        "trackTimestampsStaleness": BOOL,
        **PROXY,
    })),
    "fallbackScrapeProtocol": SCRAPE_PROTOCOL,
    "jobLabel": STR,
    "keepDroppedTargets": integer(0),
    "labelLimit": integer(0),
    "labelNameLengthLimit": integer(0),
    "labelValueLengthLimit": integer(0),
    "namespaceSelector": obj({"any": BOOL, "matchNames": STRLIST}),
    "nativeHistogramBucketLimit": integer(0),
    "nativeHistogramMinBucketFactor": {**INT_OR_STR, "pattern": QUANTITY},
    "podTargetLabels": STRLIST,
    "sampleLimit": integer(0),
    "scrapeClass": string(minLength=1),
    "scrapeClassicHistograms": BOOL,
    "scrapeNativeHistograms": BOOL,
    "scrapeProtocols": arr(SCRAPE_PROTOCOL),
    "selector": LABEL_SELECTOR,
    "selectorMechanism": enum("RelabelConfig", "RoleSelector"),
    "serviceDiscoveryRole": enum("Endpoints", "EndpointSlice"),
    "targetLabels": STRLIST,
    "targetLimit": integer(0),
}, ["endpoints", "selector"]))

# --- KEDA v2.20.2 (keda.sh/v1alpha1) ---------------------------------------------------------------
SCALING_RULES = obj({
    "policies": arr(obj({"periodSeconds": INT, "type": STR, "value": INT}, ["periodSeconds", "type", "value"])),
    "selectPolicy": STR,
    "stabilizationWindowSeconds": INT,
    "tolerance": {**INT_OR_STR, "pattern": QUANTITY},
})
SCALED_OBJECT = crd("keda.sh/v1alpha1", "ScaledObject", obj({
    "advanced": obj({
        "horizontalPodAutoscalerConfig": obj({
            "behavior": obj({"scaleDown": SCALING_RULES, "scaleUp": SCALING_RULES}),
            "name": STR,
        }),
        "restoreToOriginalReplicaCount": BOOL,
        "scalingModifiers": obj({
            "activationTarget": STR, "formula": STR, "metricType": enum("AverageValue", "Value"), "target": STR,
        }),
    }),
    "cooldownPeriod": integer(0),
    "fallback": obj({
        "behavior": enum("static", "currentReplicas", "currentReplicasIfHigher", "currentReplicasIfLower",
                         "scalingModifiers"),
        "failureThreshold": integer(0),
        "replicas": integer(0),
    }, ["failureThreshold", "replicas"]),
    "idleReplicaCount": integer(0),
    "initialCooldownPeriod": integer(0),
    "maxReplicaCount": integer(1),
    "minReplicaCount": integer(0),
    "pollingInterval": integer(1),
    "scaleTargetRef": obj({"apiVersion": STR, "envSourceContainerName": STR, "kind": STR,
                           "name": string(minLength=1)}, ["name"]),
    "triggers": arr(obj({
        "authenticationRef": obj({"kind": enum("TriggerAuthentication", "ClusterTriggerAuthentication"),
                                  "name": STR}, ["name"]),
        "metadata": STRMAP,
        "metricType": STR,
        "name": STR,
        "type": string(minLength=1),
        "useCachedMetrics": BOOL,
    }, ["metadata", "type"]), minItems=1),
}, ["scaleTargetRef", "triggers"]))

# The secret providers this project does not use (cloud secret stores, Vault, OAuth2) are checked as
# objects with their required fields only; the Kubernetes ones field by field.
TRIGGER_AUTHENTICATION = crd("keda.sh/v1alpha1", "TriggerAuthentication", obj({
    "awsSecretManager": loose(["secrets"]),
    "azureKeyVault": loose(["secrets", "vaultUri"]),
    "boundServiceAccountToken": arr(obj({"parameter": STR, "serviceAccountName": STR},
                                        ["parameter", "serviceAccountName"])),
    "configMapTargetRef": arr(obj({"key": STR, "name": STR, "parameter": STR}, ["key", "name", "parameter"])),
    "env": arr(obj({"containerName": STR, "name": STR, "parameter": STR}, ["name", "parameter"])),
    "filePath": STR,
    "gcpSecretManager": loose(["secrets"]),
    "hashiCorpVault": loose(["address", "authentication", "secrets"]),
    "oauth2": loose(["clientId", "tokenUrl"]),  # `type` is required too, but defaulted
    "podIdentity": obj({
        "externalID": STR, "identityAuthorityHost": STR, "identityId": STR,
        "identityOwner": enum("keda", "workload"), "identityTenantId": STR,
        "provider": enum("azure-workload", "gcp", "aws", "aws-eks", "none"),
        "roleArn": STR,
    }, ["provider"]),
    "secretTargetRef": arr(obj({"key": STR, "name": STR, "parameter": STR}, ["key", "name", "parameter"])),
}))

# --- Gateway API v1.6.1, standard channel (gateway.networking.k8s.io/v1) ---------------------------
DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
GROUP = string("^$|" + DNS_SUBDOMAIN, maxLength=253)
KIND = string("^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$", minLength=1, maxLength=63)
NAME = string(minLength=1, maxLength=253)
NAMESPACE = string("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", minLength=1, maxLength=63)
PORT = integer(1, 65535)
HEADER_NAME = string("^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$", minLength=1, maxLength=256)
MATCH_TYPE = enum("Exact", "RegularExpression")
GATEWAY_DURATION = string("^([0-9]{1,5}(h|m|s|ms)){1,4}$")
FILTERS = arr({"type": "object", "required": ["type"], "properties": {"type": enum(
    "RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite",
    "ExtensionRef", "CORS")}}, maxItems=16)  # only `type` checked
HTTP_ROUTE = crd("gateway.networking.k8s.io/v1", "HTTPRoute", obj({
    "hostnames": arr(string("^(\\*\\.)?" + DNS_SUBDOMAIN[1:], minLength=1, maxLength=253), maxItems=16),
    "parentRefs": arr(obj({"group": GROUP, "kind": KIND, "name": NAME, "namespace": NAMESPACE, "port": PORT,
                           "sectionName": string(DNS_SUBDOMAIN, minLength=1, maxLength=253)}, ["name"]),
                      maxItems=32),
    "rules": arr(obj({
        "backendRefs": arr(obj({"filters": FILTERS, "group": GROUP, "kind": KIND, "name": NAME,
                                "namespace": NAMESPACE, "port": PORT, "weight": integer(0, 1000000)}, ["name"]),
                           maxItems=16),
        "filters": FILTERS,
        "matches": arr(obj({
            "headers": arr(obj({"name": HEADER_NAME, "type": MATCH_TYPE,
                                "value": string(minLength=1, maxLength=4096)}, ["name", "value"]), maxItems=16),
            "method": enum("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"),
            "path": obj({"type": enum("Exact", "PathPrefix", "RegularExpression"), "value": string(maxLength=1024)}),
            "queryParams": arr(obj({"name": HEADER_NAME, "type": MATCH_TYPE,
                                    "value": string(minLength=1, maxLength=1024)}, ["name", "value"]), maxItems=16),
        }), maxItems=64),
        "name": string(DNS_SUBDOMAIN, minLength=1, maxLength=253),
        "timeouts": obj({"backendRequest": GATEWAY_DURATION, "request": GATEWAY_DURATION}),
    }), minItems=1, maxItems=16),
}))

# --- NGINX Gateway Fabric v2.6.7 (gateway.nginx.org/v1alpha1) --------------------------------------
NGINX_DURATION = string("^[0-9]{1,4}(ms|s|m|h)?$")
CLIENT_SETTINGS_POLICY = crd("gateway.nginx.org/v1alpha1", "ClientSettingsPolicy", obj({
    "body": obj({"maxSize": string("^\\d{1,4}(k|m|g)?$"), "timeout": NGINX_DURATION}),
    "keepAlive": obj({
        "minTimeout": NGINX_DURATION,
        "requests": integer(0),
        "time": NGINX_DURATION,
        "timeout": obj({"header": NGINX_DURATION, "server": NGINX_DURATION}),
    }),
    # The CRD's CEL rules: the group is Gateway API's and the kind one of these three.
    "targetRef": obj({"group": enum("gateway.networking.k8s.io"), "kind": enum("Gateway", "HTTPRoute", "GRPCRoute"),
                      "name": NAME}, ["group", "kind", "name"]),
}, ["targetRef"]))

# --- cert-manager v1.21.1 (cert-manager.io/v1) -------------------------------------------------------
# What a Certificate of ours may say is checked field by field; the other fields are named (so that a
# misspelt one is refused) and typed only.
CERTIFICATE = crd("cert-manager.io/v1", "Certificate", obj({
    "additionalOutputFormats": ARRAY,
    "commonName": STR,
    "dnsNames": STRLIST,
    "duration": STR,
    "emailAddresses": STRLIST,
    "encodeUsagesInRequest": BOOL,
    "ipAddresses": STRLIST,
    "isCA": BOOL,
    "issuerRef": obj({"group": STR, "kind": STR, "name": STR}, ["name"]),
    "keystores": loose(),
    "literalSubject": STR,
    "nameConstraints": loose(),
    "otherNames": ARRAY,
    "privateKey": obj({
        "algorithm": enum("RSA", "ECDSA", "Ed25519"),
        "encoding": enum("PKCS1", "PKCS8"),
        "rotationPolicy": enum("Never", "Always"),
        "size": INT,
    }),
    "renewBefore": STR,
    "renewBeforePercentage": INT,
    "renewal": loose(),
    "revisionHistoryLimit": INT,
    "secretName": STR,
    "secretTemplate": obj({"annotations": STRMAP, "labels": STRMAP}),
    "signatureAlgorithm": enum("SHA256WithRSA", "SHA384WithRSA", "SHA512WithRSA", "ECDSAWithSHA256",
                               "ECDSAWithSHA384", "ECDSAWithSHA512", "PureEd25519"),
    "subject": obj({**{field: STRLIST for field in ("countries", "localities", "organizationalUnits",
                                                    "organizations", "postalCodes", "provinces",
                                                    "streetAddresses")}, "serialNumber": STR}),
    "uris": STRLIST,
    "usages": arr(enum(
        "signing", "digital signature", "content commitment", "key encipherment", "key agreement",
        "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth",
        "client auth", "code signing", "email protection", "s/mime", "ipsec end system", "ipsec tunnel",
        "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc")),
}, ["issuerRef", "secretName"]), spec_required=False)

# Exactly one issuer type (cert-manager's webhook refuses none or several); ACME, Vault and Venafi only
# as objects with their required fields.
ISSUER = crd("cert-manager.io/v1", "Issuer", obj({
    "acme": loose(["privateKeySecretRef", "server"]),
    "ca": obj({"crlDistributionPoints": STRLIST, "issuingCertificateURLs": STRLIST, "ocspServers": STRLIST,
               "secretName": STR}, ["secretName"]),
    "selfSigned": obj({"crlDistributionPoints": STRLIST}),
    "vault": loose(["auth", "path", "server"]),
    "venafi": loose(["zone"]),
}, minProperties=1, maxProperties=1))

# --- trust-manager v0.24.0 (trust.cert-manager.io/v1alpha1) ------------------------------------------
KEY = string(minLength=1, maxLength=253)
SOURCE_OBJECT = obj({"includeAllKeys": BOOL, "key": KEY, "name": KEY, "selector": LABEL_SELECTOR})
TARGET_OBJECT = obj({"key": KEY, "metadata": obj({"annotations": STRMAP, "labels": STRMAP})}, ["key"])
BUNDLE = crd("trust.cert-manager.io/v1alpha1", "Bundle", obj({
    # The CRD's CEL rule: exactly one source per item.
    "sources": arr(obj({
        "configMap": SOURCE_OBJECT,
        "inLine": string(minLength=1, maxLength=1048576),
        "secret": SOURCE_OBJECT,
        "useDefaultCAs": BOOL,
    }, minProperties=1, maxProperties=1), minItems=1, maxItems=100),
    "target": obj({
        "additionalFormats": obj({
            "jks": obj({"key": KEY, "password": string(minLength=1, maxLength=128)}, ["key"]),
            "pkcs12": obj({"key": KEY, "password": string(minLength=0, maxLength=128),
                           "profile": enum("LegacyRC2", "LegacyDES", "Modern2023")}, ["key"]),
        }),
        "configMap": TARGET_OBJECT,
        "namespaceSelector": LABEL_SELECTOR,
        "secret": TARGET_OBJECT,
    }),
}, ["sources"]))

SCHEMAS: dict[str, dict] = {
    "kafka.strimzi.io/v1/KafkaTopic": KAFKA_TOPIC,
    "kafka.strimzi.io/v1/KafkaUser": KAFKA_USER,
    "monitoring.coreos.com/v1/PrometheusRule": PROMETHEUS_RULE,
    "monitoring.coreos.com/v1/ServiceMonitor": SERVICE_MONITOR,
    "keda.sh/v1alpha1/ScaledObject": SCALED_OBJECT,
    "keda.sh/v1alpha1/TriggerAuthentication": TRIGGER_AUTHENTICATION,
    "gateway.networking.k8s.io/v1/HTTPRoute": HTTP_ROUTE,
    "gateway.nginx.org/v1alpha1/ClientSettingsPolicy": CLIENT_SETTINGS_POLICY,
    "cert-manager.io/v1/Certificate": CERTIFICATE,
    "cert-manager.io/v1/Issuer": ISSUER,
    "trust.cert-manager.io/v1alpha1/Bundle": BUNDLE,
}

# Our pattern → the CRD's Go pattern, where Go syntax had to be rewritten for Python.
GO_PATTERNS = {PARTIAL_RESPONSE: "^(?i)(abort|warn)?$"}

# (schema key, path, keyword): rules kept here that the CRD's structural schema does not state (its
# CEL rules or the operator's webhook do); tests/schemas/check_upstream.py does not compare them.
BEYOND_THE_CRD = [
    ("cert-manager.io/v1/Issuer", "spec", "minProperties"),
    ("cert-manager.io/v1/Issuer", "spec", "maxProperties"),
    ("trust.cert-manager.io/v1alpha1/Bundle", "spec.sources[]", "minProperties"),
    ("trust.cert-manager.io/v1alpha1/Bundle", "spec.sources[]", "maxProperties"),
]
