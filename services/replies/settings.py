"""Settings of the reply sender: the platforms' base URLs (a proxy or a test double can stand in), the
tokens from the Secret, and how long and how hard it tries."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from services.deployables import REPLIES
from services.replies.ledger import DEFAULT_TTL_SECONDS
from services.runtime.settings import REPO_ROOT, CommonSettings


class ReplySettings(CommonSettings):
    replies_port: int = Field(REPLIES.http_port, description="Reply sender's HTTP port (/healthz, /readyz, /metrics).")
    replies_host: str = Field("127.0.0.1", description="Address the reply sender's HTTP server binds to.")
    reply_channels: str = Field(
        "", description="Comma-separated channels this process sends for (empty: every channel that can answer).")
    reply_address_key: SecretStr = Field(
        description="Key of the citizens' reply addresses in Redis (the ingestors' REPLY_ADDRESS_KEY; 'new,old' while rotating).")
    meta_graph_api_url: str = Field("https://graph.facebook.com", description="Base URL of Meta's Graph API.")
    meta_graph_api_version: str = Field("v26.0", description="Graph API version in the path.")
    whatsapp_access_token: SecretStr = Field(SecretStr(""), description="WhatsApp Cloud API system user token.")
    meta_page_access_token: SecretStr = Field(SecretStr(""), description="Facebook page access token (Messenger, comments).")
    instagram_access_token: SecretStr = Field(SecretStr(""), description="Instagram account's access token (messages, comments).")
    x_api_url: str = Field("https://api.x.com", description="Base URL of the X API (v2).")
    x_user_access_token: SecretStr = Field(SecretStr(""), description="OAuth 2.0 user token of the gemeente's X account.")
    smtp_relay_host: str = Field("127.0.0.1", description="The gemeente's SMTP relay for e-mail answers.")
    smtp_relay_port: int = Field(587, description="Its port (587 submission with STARTTLS, 25 inside the network).")
    smtp_relay_starttls: bool = Field(False, description="Upgrade to TLS with STARTTLS before sending.")
    smtp_relay_username: str = Field("", description="Login at the relay, where it asks for one.")
    smtp_relay_password: SecretStr = Field(SecretStr(""), description="Password of that login.")
    reply_from_address: str = Field(
        "", description="From of answers to messages written to no mailbox (web form), e.g. contact@gemeente.nl.")
    templates_file: Path = Field(
        REPO_ROOT / "deploy" / "config" / "templates.yaml", description="The gemeente's approved WhatsApp templates.")
    reply_request_timeout_seconds: float = Field(10.0, gt=0, description="Longest wait for one platform request.")
    reply_retry_seconds: int = Field(
        24 * 3600, ge=60, description="Retryable errors are retried this long after the first attempt, then failed.")
    reply_backoff_max_seconds: float = Field(60.0, gt=0, description="Longest pause between two attempts.")
    reply_status_wait_seconds: float = Field(
        60.0, ge=0, description="After a crash mid-request (WhatsApp): wait this long for the platform's status before resending.")
    reply_ledger_ttl_seconds: int = Field(DEFAULT_TTL_SECONDS, ge=24 * 3600, description="How long a reply id is remembered.")
    reply_max_in_flight: int = Field(1000, ge=1, description="Replies being worked on at once; fetching pauses above it.")
