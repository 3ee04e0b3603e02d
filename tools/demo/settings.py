"""Settings of the demo replay of `make run`: where the ingestors are and the secrets to sign with."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from services.deployables import METRICS, ROUTER
from services.ingest.channels import BY_NAME
from services.metrics.settings import DEFAULT_KPI_CONFIG_FILE
from services.runtime.settings import CommonSettings


class DemoSettings(CommonSettings):
    """The demo replay of `make run`: where the ingestors are and the secrets to sign with."""

    whatsapp_url: str = Field(f"http://127.0.0.1:{BY_NAME['whatsapp'].http_port}", description="Base URL of the WhatsApp ingestor.")
    webform_url: str = Field(f"http://127.0.0.1:{BY_NAME['webform'].http_port}", description="Base URL of the web form ingestor.")
    facebook_url: str = Field(f"http://127.0.0.1:{BY_NAME['facebook'].http_port}", description="Base URL of the Facebook ingestor.")
    instagram_url: str = Field(f"http://127.0.0.1:{BY_NAME['instagram'].http_port}", description="Base URL of the Instagram ingestor.")
    twitter_url: str = Field(f"http://127.0.0.1:{BY_NAME['twitter'].http_port}", description="Base URL of the X / Twitter ingestor.")
    email_url: str = Field(f"http://127.0.0.1:{BY_NAME['email'].http_port}", description="Base URL of the e-mail ingestor's probes.")
    kcc_url: str = Field(f"http://127.0.0.1:{BY_NAME['kcc'].http_port}", description="Base URL of the KCC ingestor's probes.")
    smtp_address: str = Field(f"127.0.0.1:{BY_NAME['email'].extra_ports[0].default}", description="host:port of the e-mail ingestor's SMTP server.")
    kcc_grpc_address: str = Field(f"127.0.0.1:{BY_NAME['kcc'].extra_ports[0].default}", description="host:port of the KCC ingestor's gRPC server.")
    demo_mailbox: str = Field("contact@gemeente.example", description="The gemeente address the demo mails to.")
    router_url: str = Field(f"http://127.0.0.1:{ROUTER.http_port}", description="Base URL of the router (its /readyz).")
    metrics_url: str = Field(f"http://127.0.0.1:{METRICS.http_port}", description="Base URL of the metrics service.")
    meta_app_secret: SecretStr = Field(description="As for the WhatsApp ingestor.")
    webform_secret: SecretStr = Field(description="As for the web form ingestor.")
    twitter_consumer_secret: SecretStr = Field(description="As for the X / Twitter ingestor.")
    kcc_api_token: SecretStr = Field(description="As for the KCC ingestor: the demo's KCC agent submits with it.")
    webcare_api_token: SecretStr = Field(description="As for the router: the demo's webcare team reroutes with it.")
    department_api_tokens: SecretStr = Field(
        description="As for the router: the demo's departments report handling with their own tokens."
    )
    kpi_config_file: Path = Field(
        DEFAULT_KPI_CONFIG_FILE, description="YAML file with office hours, holidays, SLA defaults and spike settings."
    )
    demo_exit_when_done: bool = Field(False, description="Exit after the replay instead of following the topics.")
    router_grpc_address: str = Field(f"127.0.0.1:{ROUTER.extra_ports[0].default}", description="host:port of the router's gRPC server.")
    demo_trickle_seconds: float = Field(
        6.0, ge=0, description="After the replay, send one more demo message this often (0: none)."
    )
    demo_console_share: float = Field(
        0.5, ge=0, le=1,
        description="Share of triaged messages the simulated webcare leaves for people in the console (http://localhost:8093).",
    )
    demo_answer_within_seconds: float = Field(
        60.0, gt=0, description="Simulated departments answer each routed message within this many seconds."
    )
