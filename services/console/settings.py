"""Settings of the webcare console."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from services.deployables import CONSOLE
from services.metrics.settings import DEFAULT_KPI_CONFIG_FILE
from services.runtime.settings import CommonSettings


class ConsoleSettings(CommonSettings):
    console_port: int = Field(CONSOLE.http_port, description="Console's management port (/healthz, /readyz, /metrics; not for browsers).")
    console_web_port: int = Field(CONSOLE.extra_ports[0].default, description="Console's web port: the pages staff open.")
    console_host: str = Field("127.0.0.1", description="Address the console's servers bind to.")
    console_public_url: str = Field(
        "http://localhost:8093", description="The console's address as browsers reach it (the OpenID Connect redirect and the CSRF origin check)."
    )
    router_grpc_address: str = Field("127.0.0.1:50052", description="The router's gRPC address (Reroute, ReportHandled).")
    router_grpc_ca_file: str = Field("", description="CA of the router's gRPC certificate; empty: plaintext (loopback only).")
    webcare_api_token: SecretStr = Field(
        SecretStr(""), description="The webcare role's bearer token for the router's gRPC API (the console acts for signed-in staff)."
    )
    console_staff_pseudonym_key: SecretStr = Field(
        SecretStr(""),
        description="Key of the staff pseudonyms (HMAC of the identity provider's subject) that logs, claims and corrections carry; at least 24 characters.",
    )
    console_dev_login: bool = Field(
        False, description="Sign in as a demo user without an identity provider (`make run` only; never in production)."
    )
    console_oidc_issuer: str = Field(
        "", description="The identity provider's issuer URL (OpenID Connect), e.g. https://login.gemeente.nl/realms/gemeente (Keycloak) or https://login.microsoftonline.com/<tenant>/v2.0 (Entra ID); empty: no sign-in except the dev login."
    )
    console_oidc_client_id: str = Field("", description="The console's client id at the identity provider.")
    console_oidc_client_secret: SecretStr = Field(SecretStr(""), description="The console's client secret at the identity provider.")
    console_oidc_scopes: str = Field("openid profile", description="Scopes asked for at sign-in (add what makes your provider send the groups claim).")
    console_oidc_groups_claim: str = Field("groups", description="The ID token claim with the person's group names (Entra ID: 'groups' or 'roles').")
    console_oidc_group_roles: str = Field(
        "", description="Group → role, 'group=webcare,group=ops,group=afdeling:<id>'; empty: contact-webcare, contact-beheer and contact-afdeling-<id>."
    )
    console_secure_cookies: bool = Field(
        True, description="Session cookie only over HTTPS (browsers accept it on http://localhost too)."
    )
    console_session_seconds: int = Field(8 * 3600, ge=300, description="How long a sign-in lasts (a working day).")
    console_claim_seconds: int = Field(300, ge=30, le=3600, description="How long opening a conversation claims it.")
    console_queue_limit: int = Field(
        20_000, ge=10,
        description="Most triage rows held in memory (the topic keeps the rest); at start-up rows placed later in the replay count too, so keep it well above the queue's usual length.",
    )
    console_max_viewers: int = Field(500, ge=1, description="Most browsers connected to one replica's live feed.")
    console_prometheus_url: str = Field(
        "http://127.0.0.1:9090", description="Prometheus that scrapes the metrics service: the overview's figures come from it."
    )
    kpi_config_file: Path = Field(
        DEFAULT_KPI_CONFIG_FILE, description="Office hours for waiting times (the metrics service's file)."
    )
