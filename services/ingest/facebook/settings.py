"""Settings of the facebook ingestor."""

from __future__ import annotations

from pydantic import Field

from services.ingest.channels import channel
from services.ingest.meta.settings import MetaSettings

CHANNEL = channel("facebook")


class FacebookSettings(MetaSettings):
    facebook_port: int = Field(CHANNEL.http_port, description="Facebook (Messenger and page feed) ingestor HTTP port.")

    @property
    def http_port(self) -> int:
        return self.facebook_port
