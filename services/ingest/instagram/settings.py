"""Settings of the instagram ingestor."""

from __future__ import annotations

from pydantic import Field

from services.ingest.channels import channel
from services.ingest.meta.settings import MetaSettings

CHANNEL = channel("instagram")


class InstagramSettings(MetaSettings):
    instagram_port: int = Field(CHANNEL.http_port, description="Instagram ingestor HTTP port.")

    @property
    def http_port(self) -> int:
        return self.instagram_port
