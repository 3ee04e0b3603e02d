"""Settings of the whatsapp ingestor."""

from __future__ import annotations

from pydantic import Field

from services.ingest.channels import channel
from services.ingest.meta.settings import MetaSettings

CHANNEL = channel("whatsapp")


class WhatsAppSettings(MetaSettings):
    whatsapp_port: int = Field(CHANNEL.http_port, description="WhatsApp ingestor HTTP port.")

    @property
    def http_port(self) -> int:
        return self.whatsapp_port
