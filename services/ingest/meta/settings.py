"""The Meta app's secrets, shared by the WhatsApp, Facebook and Instagram ingestors."""

from __future__ import annotations

from pydantic import Field, SecretStr

from services.ingest.settings import AnsweringIngestorSettings


class MetaSettings(AnsweringIngestorSettings):
    """The Meta app's secrets, shared by the WhatsApp, Facebook and Instagram ingestors."""

    meta_app_secret: SecretStr = Field(description="Meta app secret: verifies X-Hub-Signature-256.")
    meta_verify_token: SecretStr = Field(description="Token Meta echoes in the hub.verify_token check.")
