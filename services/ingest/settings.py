"""What every ingestor is configured with: where it listens, how it protects itself, its pseudonym key."""

from __future__ import annotations

from pydantic import Field, SecretStr

from services.runtime.settings import CommonSettings


class IngestorSettings(CommonSettings):
    """A webhook ingestor: where it listens, how it protects itself, where it publishes."""

    http_host: str = Field("127.0.0.1", description="Address the ingestor's HTTP server binds to.")
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Larger request bodies are refused with 413."
    )
    read_timeout_seconds: float = Field(
        10.0, gt=0, description="A webhook body not received within this time is answered 408 (slow clients)."
    )
    publish_timeout_seconds: float = Field(
        5.0, gt=0, description="How long a webhook waits for Kafka's acknowledgement before answering 503."
    )
    dedup_ttl_seconds: int = Field(
        8 * 24 * 3600, ge=7 * 24 * 3600, description="How long a delivered message id is remembered (>= 7 days)."
    )
    thread_ttl_seconds: int = Field(
        90 * 24 * 3600, ge=3600, description="How long a reply chain's root is remembered (tweets, e-mail)."
    )
    author_pseudonym_key: SecretStr = Field(
        description="Secret key for the keyed hash that turns phone numbers and handles into author ids."
    )

    @property
    def http_port(self) -> int:
        raise NotImplementedError


class AnsweringIngestorSettings(IngestorSettings):
    """An ingestor of a channel that can answer: it keeps the citizens' reply addresses, encrypted."""

    reply_address_key: SecretStr = Field(
        description="Key the citizens' reply addresses are encrypted with in Redis (at least 24 characters; "
                    "'new,old' while rotating): only the answering channels' ingestors and the reply sender have it.",
    )
