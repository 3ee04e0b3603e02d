"""Typed settings, read once from environment variables at start-up.

Every service builds one settings object in its entry point and passes it down; nothing else reads
the environment. Each service's settings class lives with the service and extends CommonSettings;
docs/configuration.md is generated from all of them (`make generate`, a test keeps it in step).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEPARTMENTS_FILE = REPO_ROOT / "deploy" / "config" / "departments.yaml"


class CommonSettings(BaseSettings):
    """What every service needs: where Kafka and Redis are, and the topic layout."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated host:port."
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="How clients talk to Kafka (SASL_SSL with a Strimzi SCRAM listener)."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism, when the protocol is SASL_*."
    )
    kafka_sasl_username: str = Field("", description="SASL user (the service's KafkaUser).")
    kafka_sasl_password: SecretStr = Field(SecretStr(""), description="SASL password (from the KafkaUser's Secret).")
    kafka_ssl_cafile: Path | None = Field(None, description="CA certificate file for SSL / SASL_SSL (the cluster CA).")
    redis_url: SecretStr = Field(
        SecretStr("redis://127.0.0.1:6379/0"),
        description="Redis (or Valkey) for dedup and conversation state: redis://:<password>@host:6379/0, rediss:// for TLS. A secret: it carries the password.",
    )
    departments_file: Path = Field(
        DEFAULT_DEPARTMENTS_FILE, description="YAML file with the departments and the categories each handles; categories.yaml is read from beside it."
    )
    topic_partitions: int = Field(6, ge=1, description="Partitions per topic when creating topics.")
    topic_replication_factor: int = Field(1, ge=1, description="Replication factor when creating topics.")
    log_level: str = Field("INFO", description="Python log level.")
    kafka_rebalance_timeout_seconds: float = Field(
        3.0, gt=0, description="Consumer group rebalance timeout (low: a group joins fast on a small cluster)."
    )
    kafka_fetch_max_wait_ms: int = Field(
        20, ge=1, le=1500, description="Longest a stream consumer's fetch waits on the broker (latency bound)."
    )


class GrpcServerSettings(BaseSettings):
    """What a gRPC server of ours needs: TLS material and the KCC role's token (services/contract/access.py)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    grpc_tls_cert_file: str = Field(
        "", description="TLS certificate (PEM) for the gRPC port; empty: plaintext (only on loopback, as in `make run`)."
    )
    grpc_tls_key_file: str = Field("", description="TLS private key (PEM) for the gRPC port.")
    kcc_api_token: SecretStr = Field(
        SecretStr(""),
        description="Bearer token of the KCC application: Classify and Submit (at least 24 characters; the gRPC server does not start without it).",
    )


class RoutingApiSettings(GrpcServerSettings):
    """The router's APIs also serve webcare and the departments."""

    webcare_api_token: SecretStr = Field(
        SecretStr(""),
        description="Bearer token of webcare's tools: Classify, Reroute, ReportHandled for any department (the router's gRPC server does not start without it).",
    )
    department_api_tokens: SecretStr = Field(
        SecretStr(""),
        description="Bearer tokens of departments' systems, 'afval=<token>,verkeer=<token>': ReportHandled for their own department.",
    )
