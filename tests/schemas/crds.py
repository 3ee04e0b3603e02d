"""Vendored CRD schemas for tests/unit/test_k8s.py: the JSON Schema of each custom resource's
openAPIV3Schema, strict (unknown fields refused), for Strimzi 0.4x (KafkaTopic, KafkaUser v1beta2),
Prometheus Operator (PrometheusRule, ServiceMonitor v1) and KEDA 2.1x (ScaledObject,
TriggerAuthentication v1alpha1). Transcribed from datreeio/CRDs-catalog, which extracts them from the
operators' own CRDs; descriptions and `status` are left out. Update them with the operators' versions.
"""
DURATION = "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"


def obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": False, **extra}
    if required:
        schema["required"] = required
    return schema


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
STRMAP = {"type": "object", "additionalProperties": {"type": "string"}}
STRLIST = {"type": "array", "items": {"type": "string"}}
INT_OR_STR = {"anyOf": [{"type": "integer"}, {"type": "string"}]}


def crd(spec: dict, spec_required: bool = True) -> dict:
    return {
        "type": "object",
        "properties": {"apiVersion": STR, "kind": STR, "metadata": {"type": "object"}, "spec": spec},
        **({"required": ["spec"]} if spec_required else {}),
    }


# --- Strimzi (kafka.strimzi.io/v1beta2) ---------------------------------------------------------
KAFKA_TOPIC = crd(obj({
    "config": {"type": "object"},
    "partitions": {"type": "integer", "minimum": 1},
    "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
    "topicName": STR,
}), spec_required=False)

OPERATIONS = ["Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction", "AlterConfigs",
              "DescribeConfigs", "IdempotentWrite", "All"]
SECRET_KEY_REF = obj({"key": STR, "name": STR, "optional": BOOL})
KAFKA_USER = crd(obj({
    "authentication": obj({
        "password": obj({"valueFrom": obj({"secretKeyRef": SECRET_KEY_REF})}, ["valueFrom"]),
        "type": {"type": "string", "enum": ["tls", "tls-external", "scram-sha-512"]},
    }, ["type"]),
    "authorization": obj({
        "acls": {"type": "array", "items": obj({
            "host": STR,
            "operation": {"type": "string", "enum": OPERATIONS},
            "operations": {"type": "array", "items": {"type": "string", "enum": OPERATIONS}},
            "resource": obj({
                "name": STR,
                "patternType": {"type": "string", "enum": ["literal", "prefix"]},
                "type": {"type": "string", "enum": ["topic", "group", "cluster", "transactionalId"]},
            }, ["type"]),
            "type": {"type": "string", "enum": ["allow", "deny"]},
        }, ["resource"])},
        "type": {"type": "string", "enum": ["simple"]},
    }, ["acls", "type"]),
    "quotas": obj({
        "consumerByteRate": {"type": "integer", "minimum": 0},
        "controllerMutationRate": {"type": "number", "minimum": 0},
        "producerByteRate": {"type": "integer", "minimum": 0},
        "requestPercentage": {"type": "integer", "minimum": 0},
    }),
    "template": obj({"secret": obj({"metadata": obj({"annotations": STRMAP, "labels": STRMAP})})}),
}), spec_required=False)

# --- Prometheus Operator (monitoring.coreos.com/v1) ---------------------------------------------
PROMETHEUS_RULE = crd(obj({
    "groups": {"type": "array", "items": obj({
        "interval": {"type": "string", "pattern": DURATION},
        "labels": STRMAP,
        "limit": INT,
        "name": {"type": "string", "minLength": 1},
        # The CRD says "^(?i)(abort|warn)?$" (Go syntax); Python wants the flag first: same language.
        "partial_response_strategy": {"type": "string", "pattern": "(?i)^(abort|warn)?$"},
        "query_offset": {"type": "string", "pattern": DURATION},
        "rules": {"type": "array", "items": obj({
            "alert": STR,
            "annotations": STRMAP,
            "expr": INT_OR_STR,
            "for": {"type": "string", "pattern": DURATION},
            "keep_firing_for": {"type": "string", "minLength": 1, "pattern": DURATION},
            "labels": STRMAP,
            "record": STR,
        }, ["expr"])},
    }, ["name"])},
}))

SELECTOR_KEY = obj({"key": STR, "name": STR, "optional": BOOL}, ["key"])
CONFIGMAP_OR_SECRET = obj({"configMap": SELECTOR_KEY, "secret": SELECTOR_KEY})
RELABEL_ACTIONS = ["replace", "Replace", "keep", "Keep", "drop", "Drop", "hashmod", "HashMod", "labelmap",
                   "LabelMap", "labeldrop", "LabelDrop", "labelkeep", "LabelKeep", "lowercase", "Lowercase",
                   "uppercase", "Uppercase", "keepequal", "KeepEqual", "dropequal", "DropEqual"]
RELABELING = {"type": "array", "items": obj({
    "action": {"type": "string", "enum": RELABEL_ACTIONS},
    "modulus": INT,
    "regex": STR,
    "replacement": STR,
    "separator": STR,
    "sourceLabels": {"type": "array", "items": {"type": "string", "pattern": "^[a-zA-Z_][a-zA-Z0-9_]*$"}},
    "targetLabel": STR,
})}
LABEL_SELECTOR = obj({
    "matchExpressions": {"type": "array", "items": obj({"key": STR, "operator": STR, "values": STRLIST},
                                                       ["key", "operator"])},
    "matchLabels": STRMAP,
})
SERVICE_MONITOR = crd(obj({
    "attachMetadata": obj({"node": BOOL}),
    "endpoints": {"type": "array", "items": obj({
        "authorization": obj({"credentials": SELECTOR_KEY, "type": STR}),
        "basicAuth": obj({"password": SELECTOR_KEY, "username": SELECTOR_KEY}),
        "bearerTokenFile": STR,
        "bearerTokenSecret": SELECTOR_KEY,
        "enableHttp2": BOOL,
        "filterRunning": BOOL,
        "followRedirects": BOOL,
        "honorLabels": BOOL,
        "honorTimestamps": BOOL,
        "interval": {"type": "string", "pattern": DURATION},
        "metricRelabelings": RELABELING,
        "oauth2": obj({
            "clientId": CONFIGMAP_OR_SECRET,
            "clientSecret": SELECTOR_KEY,
            "endpointParams": STRMAP,
            "scopes": STRLIST,
            "tokenUrl": {"type": "string", "minLength": 1},
        }, ["clientId", "clientSecret", "tokenUrl"]),
        "params": {"type": "object", "additionalProperties": STRLIST},
        "path": STR,
        "port": STR,
        "proxyUrl": STR,
        "relabelings": RELABELING,
        "scheme": {"type": "string", "enum": ["http", "https"]},
        "scrapeTimeout": {"type": "string", "pattern": DURATION},
        "targetPort": INT_OR_STR,
        "tlsConfig": obj({
            "ca": CONFIGMAP_OR_SECRET,
            "caFile": STR,
            "cert": CONFIGMAP_OR_SECRET,
            "certFile": STR,
            "insecureSkipVerify": BOOL,
            "keyFile": STR,
            "keySecret": SELECTOR_KEY,
            "serverName": STR,
        }),
    })},
    "jobLabel": STR,
    "labelLimit": INT,
    "labelNameLengthLimit": INT,
    "labelValueLengthLimit": INT,
    "namespaceSelector": obj({"any": BOOL, "matchNames": STRLIST}),
    "podTargetLabels": STRLIST,
    "sampleLimit": INT,
    "selector": LABEL_SELECTOR,
    "targetLabels": STRLIST,
    "targetLimit": INT,
}, ["endpoints", "selector"]))

# --- KEDA (keda.sh/v1alpha1) ---------------------------------------------------------------------
QUANTITY = "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$"
SCALING_RULES = obj({
    "policies": {"type": "array", "items": obj({"periodSeconds": INT, "type": STR, "value": INT},
                                               ["periodSeconds", "type", "value"])},
    "selectPolicy": STR,
    "stabilizationWindowSeconds": INT,
    "tolerance": {**INT_OR_STR, "pattern": QUANTITY},
})
SCALED_OBJECT = crd(obj({
    "advanced": obj({
        "horizontalPodAutoscalerConfig": obj({
            "behavior": obj({"scaleDown": SCALING_RULES, "scaleUp": SCALING_RULES}),
            "name": STR,
        }),
        "restoreToOriginalReplicaCount": BOOL,
        "scalingModifiers": obj({
            "activationTarget": STR, "formula": STR,
            "metricType": {"type": "string", "enum": ["AverageValue", "Value"]}, "target": STR,
        }),
    }),
    "cooldownPeriod": {"type": "integer", "minimum": 0},
    "fallback": obj({
        "behavior": {"type": "string", "enum": ["static", "currentReplicas", "currentReplicasIfHigher",
                                                "currentReplicasIfLower", "scalingModifiers"]},
        "failureThreshold": {"type": "integer", "minimum": 0},
        "replicas": {"type": "integer", "minimum": 0},
    }, ["failureThreshold", "replicas"]),
    "idleReplicaCount": {"type": "integer", "minimum": 0},
    "initialCooldownPeriod": {"type": "integer", "minimum": 0},
    "maxReplicaCount": {"type": "integer", "minimum": 1},
    "minReplicaCount": {"type": "integer", "minimum": 0},
    "pollingInterval": {"type": "integer", "minimum": 1},
    "scaleTargetRef": obj({
        "apiVersion": STR, "envSourceContainerName": STR, "kind": STR, "name": {"type": "string", "minLength": 1},
    }, ["name"]),
    "triggers": {"type": "array", "minItems": 1, "items": obj({
        "authenticationRef": obj({
            "kind": {"type": "string", "enum": ["TriggerAuthentication", "ClusterTriggerAuthentication"]},
            "name": STR,
        }, ["name"]),
        "metadata": STRMAP,
        "metricType": STR,
        "name": STR,
        "type": {"type": "string", "minLength": 1},
        "useCachedMetrics": BOOL,
    }, ["metadata", "type"])},
}, ["scaleTargetRef", "triggers"]))

# The secret providers this project does not use (cloud vaults, env, config maps, bound tokens) are
# checked as objects/arrays only; what it uses (secretTargetRef) is checked field by field.
TRIGGER_AUTHENTICATION = crd(obj({
    "awsSecretManager": {"type": "object"},
    "azureKeyVault": {"type": "object"},
    "boundServiceAccountToken": {"type": "array"},
    "configMapTargetRef": {"type": "array"},
    "env": {"type": "array"},
    "gcpSecretManager": {"type": "object"},
    "hashiCorpVault": {"type": "object"},
    "oauth2": {"type": "object"},
    "podIdentity": obj({
        "externalID": STR, "identityAuthorityHost": STR, "identityId": STR,
        "identityOwner": {"type": "string", "enum": ["keda", "workload"]}, "identityTenantId": STR,
        "provider": {"type": "string", "enum": ["azure-workload", "gcp", "aws", "aws-eks", "none"]},
        "roleArn": STR,
    }, ["provider"]),
    "secretTargetRef": {"type": "array", "items": obj({"key": STR, "name": STR, "parameter": STR},
                                                      ["key", "name", "parameter"])},
}))

SCHEMAS = {
    "kafka.strimzi.io/v1beta2/KafkaTopic": KAFKA_TOPIC,
    "kafka.strimzi.io/v1beta2/KafkaUser": KAFKA_USER,
    "monitoring.coreos.com/v1/PrometheusRule": PROMETHEUS_RULE,
    "monitoring.coreos.com/v1/ServiceMonitor": SERVICE_MONITOR,
    "keda.sh/v1alpha1/ScaledObject": SCALED_OBJECT,
    "keda.sh/v1alpha1/TriggerAuthentication": TRIGGER_AUTHENTICATION,
}
