"""Settings of the twitter ingestor."""

from __future__ import annotations

from pydantic import Field, SecretStr

from services.ingest.channels import channel
from services.ingest.settings import AnsweringIngestorSettings

CHANNEL = channel("twitter")


class TwitterSettings(AnsweringIngestorSettings):
    twitter_port: int = Field(CHANNEL.http_port, description="X / Twitter ingestor HTTP port.")
    twitter_consumer_secret: SecretStr = Field(
        description="X app consumer secret: answers the CRC check and verifies x-twitter-webhooks-signature."
    )

    @property
    def http_port(self) -> int:
        return self.twitter_port
