"""Settings of the webform ingestor."""

from __future__ import annotations

from pydantic import Field, SecretStr

from services.ingest.channels import channel
from services.ingest.settings import AnsweringIngestorSettings

CHANNEL = channel("webform")


class WebformSettings(AnsweringIngestorSettings):
    webform_port: int = Field(CHANNEL.http_port, description="Web form ingestor HTTP port.")
    webform_secret: SecretStr = Field(
        description="Shared secret of the gemeente website: verifies X-Webform-Signature-256."
    )
    webform_client_limit: int = Field(
        10, ge=1, description="Submissions per client (the CMS's 'client' field) per WEBFORM_CLIENT_WINDOW_SECONDS; more get 429."
    )
    webform_client_window_seconds: int = Field(3600, ge=60, description="The window of the per-client limit.")

    @property
    def http_port(self) -> int:
        return self.webform_port
