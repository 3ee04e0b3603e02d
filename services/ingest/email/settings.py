"""Settings of the email ingestor."""

from __future__ import annotations

from pydantic import Field

from services.ingest.channels import channel
from services.ingest.settings import AnsweringIngestorSettings

CHANNEL = channel("email")


class EmailSettings(AnsweringIngestorSettings):
    smtp_port: int = Field(CHANNEL.extra_ports[0].default, description="E-mail ingestor SMTP port.")
    email_port: int = Field(CHANNEL.http_port, description="E-mail ingestor HTTP port (/healthz, /readyz, /metrics).")
    smtp_hostname: str = Field("contact.gemeente.local", description="Name the SMTP server greets with.")
    email_addresses: str = Field(
        "contact@gemeente.example",
        description="Comma-separated addresses the gemeente receives mail on; other recipients are refused.",
    )
    max_mail_bytes: int = Field(
        26_214_400, ge=1024, description="Larger mail is refused with SMTP 552 (attachments included)."
    )
    smtp_max_sessions: int = Field(
        20, ge=1, description="Open SMTP connections at most; more are answered 421 (the sending server retries)."
    )
    smtp_max_bytes_in_flight: int = Field(
        2 * 26_214_400, ge=1024,
        description="Bytes of mail being received at once, counting each DATA as MAX_MAIL_BYTES; beyond it DATA is answered 452 (retried). Bounds the ingestor's memory.",
    )

    @property
    def http_port(self) -> int:
        return self.email_port

    @property
    def accepted_recipients(self) -> frozenset[str]:
        return frozenset(a.strip().lower() for a in self.email_addresses.split(",") if a.strip())
