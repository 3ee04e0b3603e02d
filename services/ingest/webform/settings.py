"""Settings of the webform ingestor."""

from __future__ import annotations

from pydantic import Field, SecretStr

from services.ingest.channels import channel
from services.ingest.settings import IngestorSettings

CHANNEL = channel("webform")


class WebformSettings(IngestorSettings):
    webform_port: int = Field(CHANNEL.http_port, description="Web form ingestor HTTP port.")
    webform_secret: SecretStr = Field(
        description="Shared secret of the gemeente website: verifies X-Webform-Signature-256."
    )

    @property
    def http_port(self) -> int:
        return self.webform_port
