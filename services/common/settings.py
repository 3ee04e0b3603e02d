"""Typed settings, read once from environment variables at start-up.

Every service builds one settings object in its entry point and passes it down; nothing else reads
the environment. The README's configuration table is checked against these classes by a test.
"""

from __future__ import annotations

from pathlib import Path

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEPARTMENTS_FILE = REPO_ROOT / "deploy" / "config" / "departments.yaml"
DEFAULT_KPI_CONFIG_FILE = REPO_ROOT / "deploy" / "config" / "kpi.yaml"


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
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis for dedup and conversation state.")
    departments_file: Path = Field(
        DEFAULT_DEPARTMENTS_FILE, description="YAML file with the departments and their routing rules."
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


class IngestorSettings(CommonSettings):
    """A webhook ingestor: where it listens, how it protects itself, where it publishes."""

    http_host: str = Field("127.0.0.1", description="Address the ingestor's HTTP server binds to.")
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Larger request bodies are refused with 413."
    )
    read_timeout_seconds: float = Field(
        10.0, gt=0, description="A webhook body not received within this time is answered 408 (slow clients)."
    )
    publish_timeout_seconds: float = Field(
        5.0, gt=0, description="How long a webhook waits for Kafka's acknowledgement before answering 503."
    )
    dedup_ttl_seconds: int = Field(
        8 * 24 * 3600, ge=7 * 24 * 3600, description="How long a delivered message id is remembered (>= 7 days)."
    )
    thread_ttl_seconds: int = Field(
        90 * 24 * 3600, ge=3600, description="How long a reply chain's root is remembered (tweets, e-mail)."
    )
    author_pseudonym_key: SecretStr = Field(
        description="Secret key for the keyed hash that turns phone numbers and handles into author ids."
    )

    @property
    def http_port(self) -> int:
        raise NotImplementedError


class MetaSettings(IngestorSettings):
    """The Meta app's secrets, shared by the WhatsApp, Facebook and Instagram ingestors."""

    meta_app_secret: SecretStr = Field(description="Meta app secret: verifies X-Hub-Signature-256.")
    meta_verify_token: SecretStr = Field(description="Token Meta echoes in the hub.verify_token check.")


class WhatsAppSettings(MetaSettings):
    whatsapp_port: int = Field(8081, description="WhatsApp ingestor HTTP port.")

    @property
    def http_port(self) -> int:
        return self.whatsapp_port


class FacebookSettings(MetaSettings):
    facebook_port: int = Field(8083, description="Facebook (Messenger and page feed) ingestor HTTP port.")

    @property
    def http_port(self) -> int:
        return self.facebook_port


class InstagramSettings(MetaSettings):
    instagram_port: int = Field(8084, description="Instagram ingestor HTTP port.")

    @property
    def http_port(self) -> int:
        return self.instagram_port


class TwitterSettings(IngestorSettings):
    twitter_port: int = Field(8085, description="X / Twitter ingestor HTTP port.")
    twitter_consumer_secret: SecretStr = Field(
        description="X app consumer secret: answers the CRC check and verifies x-twitter-webhooks-signature."
    )

    @property
    def http_port(self) -> int:
        return self.twitter_port


class KccSettings(IngestorSettings):
    kcc_grpc_port: int = Field(50051, description="KCC ingestor gRPC port (IngestService, health, reflection).")
    kcc_port: int = Field(8087, description="KCC ingestor HTTP port (/healthz, /readyz, /metrics).")

    @property
    def http_port(self) -> int:
        return self.kcc_port


class EmailSettings(IngestorSettings):
    smtp_port: int = Field(2525, description="E-mail ingestor SMTP port.")
    email_port: int = Field(8086, description="E-mail ingestor HTTP port (/healthz, /readyz, /metrics).")
    smtp_hostname: str = Field("contact.gemeente.local", description="Name the SMTP server greets with.")
    email_addresses: str = Field(
        "contact@gemeente.example",
        description="Comma-separated addresses the gemeente receives mail on; other recipients are refused.",
    )
    max_mail_bytes: int = Field(
        26_214_400, ge=1024, description="Larger mail is refused with SMTP 552 (attachments included)."
    )

    @property
    def http_port(self) -> int:
        return self.email_port

    @property
    def accepted_recipients(self) -> frozenset[str]:
        return frozenset(a.strip().lower() for a in self.email_addresses.split(",") if a.strip())


class WebformSettings(IngestorSettings):
    webform_port: int = Field(8082, description="Web form ingestor HTTP port.")
    webform_secret: SecretStr = Field(
        description="Shared secret of the gemeente website: verifies X-Webform-Signature-256."
    )

    @property
    def http_port(self) -> int:
        return self.webform_port


class RouterSettings(CommonSettings):
    router_port: int = Field(8090, description="Router's HTTP port (/healthz, /readyz, /metrics).")
    router_host: str = Field("127.0.0.1", description="Address the router's HTTP server binds to.")
    router_decider: Literal["model", "rules"] = Field(
        "model", description="'model': the trained classifier with the rules; 'rules': the rules only."
    )
    router_model_file: Path = Field(
        REPO_ROOT / "build" / "model" / "classifier.joblib", description="The classifier `make model` builds."
    )
    triage_threshold: float | None = Field(
        None, ge=0, le=1,
        description="Model confidence below which a message goes to contact.triage (unset: the threshold chosen at training).",
    )
    rule_triage_threshold: float = Field(
        0.5, ge=0, le=1, description="With ROUTER_DECIDER=rules: rule confidence below which a message goes to triage."
    )
    sticky_switch_confidence: float = Field(
        0.9, ge=0, le=1, description="A follow-up leaves its conversation's department only when this sure of another."
    )
    router_grpc_port: int = Field(50052, description="Router's gRPC port (RoutingService: Classify, Reroute).")
    routed_retention_seconds: int = Field(
        30 * 24 * 3600, ge=3600, description="How long a routed message can still be rerouted by staff."
    )
    sticky_ttl_seconds: int = Field(
        14 * 24 * 3600, ge=60, description="How long a conversation's department is remembered."
    )
    output_ledger_ttl_seconds: int = Field(
        8 * 24 * 3600, ge=3600, description="How long the router remembers what it published (no second copy after a crash)."
    )
    router_batch_size: int = Field(500, ge=1, description="Records the router takes from the stream at once.")
    router_batch_seconds: float = Field(0.01, gt=0, description="Longest wait to fill a batch.")
    router_data_dir: Path = Field(Path("/tmp/gemeente-router"), description="The router's local faust state.")


class MetricsSettings(CommonSettings):
    metrics_port: int = Field(8091, description="Metrics service HTTP port (/metrics for Prometheus).")
    metrics_host: str = Field("127.0.0.1", description="Address the metrics service binds to.")
    metrics_data_dir: Path = Field(Path("/tmp/gemeente-metrics"), description="The metrics service's faust state.")
    kpi_config_file: Path = Field(
        DEFAULT_KPI_CONFIG_FILE, description="YAML file with office hours, holidays, SLA defaults and spike settings."
    )
    metrics_refresh_seconds: float = Field(
        5.0, gt=0, description="How often backlog gauges, spike expiry and consumer lag are refreshed."
    )
    answered_memory_days: int = Field(
        14, ge=1, description="How long a conversation's last reply is remembered (against re-read records)."
    )


class DemoSettings(CommonSettings):
    """The demo replay of `make run`: where the ingestors are and the secrets to sign with."""

    whatsapp_url: str = Field("http://127.0.0.1:8081", description="Base URL of the WhatsApp ingestor.")
    webform_url: str = Field("http://127.0.0.1:8082", description="Base URL of the web form ingestor.")
    facebook_url: str = Field("http://127.0.0.1:8083", description="Base URL of the Facebook ingestor.")
    instagram_url: str = Field("http://127.0.0.1:8084", description="Base URL of the Instagram ingestor.")
    twitter_url: str = Field("http://127.0.0.1:8085", description="Base URL of the X / Twitter ingestor.")
    email_url: str = Field("http://127.0.0.1:8086", description="Base URL of the e-mail ingestor's probes.")
    kcc_url: str = Field("http://127.0.0.1:8087", description="Base URL of the KCC ingestor's probes.")
    smtp_address: str = Field("127.0.0.1:2525", description="host:port of the e-mail ingestor's SMTP server.")
    kcc_grpc_address: str = Field("127.0.0.1:50051", description="host:port of the KCC ingestor's gRPC server.")
    demo_mailbox: str = Field("contact@gemeente.example", description="The gemeente address the demo mails to.")
    router_url: str = Field("http://127.0.0.1:8090", description="Base URL of the router (its /readyz).")
    metrics_url: str = Field("http://127.0.0.1:8091", description="Base URL of the metrics service.")
    meta_app_secret: SecretStr = Field(description="As for the WhatsApp ingestor.")
    webform_secret: SecretStr = Field(description="As for the web form ingestor.")
    twitter_consumer_secret: SecretStr = Field(description="As for the X / Twitter ingestor.")
    demo_exit_when_done: bool = Field(False, description="Exit after the replay instead of following the topics.")
    router_grpc_address: str = Field("127.0.0.1:50052", description="host:port of the router's gRPC server.")
    demo_trickle_seconds: float = Field(
        6.0, ge=0, description="After the replay, send one more demo message this often (0: none)."
    )
    demo_answer_within_seconds: float = Field(
        60.0, gt=0, description="Simulated departments answer each routed message within this many seconds."
    )


SERVICE_SETTINGS: dict[str, type[CommonSettings]] = {
    "all services": CommonSettings,
    "ingestors": IngestorSettings,
    "Meta ingestors (WhatsApp, Facebook, Instagram)": MetaSettings,
    "WhatsApp ingestor": WhatsAppSettings,
    "Facebook ingestor": FacebookSettings,
    "Instagram ingestor": InstagramSettings,
    "X / Twitter ingestor": TwitterSettings,
    "web form ingestor": WebformSettings,
    "KCC ingestor": KccSettings,
    "e-mail ingestor": EmailSettings,
    "router": RouterSettings,
    "metrics service": MetricsSettings,
    "demo replay": DemoSettings,
}


def configuration_table() -> str:
    """The README's configuration table, generated from the settings classes (a test compares)."""
    rows = ["| variable | default | used by | meaning |", "| --- | --- | --- | --- |"]
    seen: set[str] = set()
    for used_by, cls in SERVICE_SETTINGS.items():
        for name, field in cls.model_fields.items():
            if name in seen:
                continue
            seen.add(name)
            if field.is_required():
                default = "*(required, secret)*" if "Secret" in str(field.annotation) else "*(required)*"
            else:
                value = field.default
                if isinstance(value, Path):
                    value = value.relative_to(REPO_ROOT) if value.is_relative_to(REPO_ROOT) else value
                default = f"`{value}`"
            rows.append(f"| `{name.upper()}` | {default} | {used_by} | {field.description or ''} |")
    return "\n".join(rows)


def write_readme_table(readme: Path = REPO_ROOT / "README.md") -> None:
    start, end = "<!-- config-table:start -->\n", "\n<!-- config-table:end -->"
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    readme.write_text(head + start + configuration_table() + end + tail, encoding="utf-8")


if __name__ == "__main__":
    import sys

    if "--write-readme" in sys.argv:
        write_readme_table()
    else:
        print(configuration_table())
