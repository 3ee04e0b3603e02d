"""E-mail ingestor wiring: an SMTP server (aiosmtpd) for the gemeente's addresses beside the HTTP probes.

SMTP answers: 550 for a recipient that is not ours, 552 for mail over MAX_MAIL_BYTES (aiosmtpd),
554 for a message that cannot be read (also one nested too deeply to parse), 451 while Kafka does not
acknowledge, 421 when SMTP_MAX_SESSIONS connections are open and 452 when SMTP_MAX_BYTES_IN_FLIGHT of
mail is being received (the sending server retries all three), 250 only after Kafka has the message.
Memory is bounded by the in-flight budget: each DATA reserves MAX_MAIL_BYTES before a byte is read.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from aiosmtpd.smtp import SMTP, Envelope, Session

from services.ingest.delivery import REQUESTS, Deliverer
from services.ingest.email.normalise import email_to_contact, parse_email, thread_parents
from services.ingest.email.settings import EmailSettings
from services.ingest.http import build_ingestor, run_beside_probes
from services.ingest.payload import PayloadError
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.threads import ThreadIndex
from services.runtime.kafka import PublishFailed
from services.runtime.logs import configure_logging

log = logging.getLogger(__name__)
CHANNEL = "email"


class MailLoad:
    """What the SMTP server has open: connections, and bytes reserved for mail being received."""

    def __init__(self, max_sessions: int, max_bytes: int, bytes_per_mail: int) -> None:
        self.max_sessions = max_sessions
        self.max_bytes = max_bytes
        self.bytes_per_mail = bytes_per_mail
        self.sessions = 0
        self.reserved = 0


class BoundedSMTP(SMTP):
    """aiosmtpd's SMTP with the ingestor's bounds on connections and on mail received at once."""

    def __init__(self, handler: object, load: MailLoad, **kwargs: object) -> None:
        super().__init__(handler, **kwargs)
        self.load = load
        self.counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.load.sessions >= self.load.max_sessions:
            REQUESTS.labels(CHANNEL, "too_busy").inc()
            transport.write(b"421 4.3.2 Too many connections, try again later\r\n")  # type: ignore[attr-defined]
            transport.close()
            return
        self.load.sessions += 1
        self.counted = True
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.counted:
            self.load.sessions -= 1
            self.counted = False
            super().connection_lost(exc)

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's name
        if self.load.reserved + self.load.bytes_per_mail > self.load.max_bytes:
            REQUESTS.labels(CHANNEL, "too_busy").inc()
            await self.push("452 4.3.1 Too much mail being received, try again later")
            return
        self.load.reserved += self.load.bytes_per_mail
        try:
            await super().smtp_DATA(arg)
        finally:
            self.load.reserved -= self.load.bytes_per_mail


class GemeenteMailHandler:
    def __init__(
        self, deliverer: Deliverer, pseudonymizer: Pseudonymizer, threads: ThreadIndex, recipients: frozenset[str]
    ) -> None:
        self.deliverer = deliverer
        self.pseudonymizer = pseudonymizer
        self.threads = threads
        self.recipients = recipients

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list) -> str:  # noqa: N802, E501
        if address.lower() not in self.recipients:
            REQUESTS.labels(CHANNEL, "recipient_refused").inc()
            return "550 5.1.1 Mailbox unavailable: not an address of this gemeente"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or (envelope.content if isinstance(envelope.content, bytes) else b"")
        try:
            message = parse_email(raw)
            roots = await self.threads.roots(CHANNEL, thread_parents(message))
            normalised = email_to_contact(message, datetime.now(timezone.utc), self.pseudonymizer, roots,
                                          mailbox=envelope.rcpt_tos[0] if envelope.rcpt_tos else "")
        except PayloadError as exc:
            REQUESTS.labels(CHANNEL, "malformed").inc()
            return f"554 5.6.0 Message not accepted: {exc}"
        except RecursionError:
            # Thousands of nested MIME parts: Python's parser recurses. One line, no traceback.
            REQUESTS.labels(CHANNEL, "malformed").inc()
            log.warning("e-mail refused: its MIME structure is nested too deeply to read")
            return "554 5.6.0 Message not accepted: MIME parts nested too deeply"
        try:
            published, duplicates = await self.deliverer.deliver_normalised(normalised)
        except PublishFailed:
            REQUESTS.labels(CHANNEL, "unavailable").inc()
            return "451 4.3.0 Temporarily unable to accept the message; try again later"
        REQUESTS.labels(CHANNEL, "duplicate" if duplicates and not published else "accepted").inc()
        return "250 2.0.0 Message accepted"


def smtp_factory(settings: EmailSettings, handler: GemeenteMailHandler, load: MailLoad | None = None):  # noqa: ANN201
    load = load or MailLoad(settings.smtp_max_sessions, settings.smtp_max_bytes_in_flight, settings.max_mail_bytes)

    def create() -> SMTP:
        return BoundedSMTP(
            handler,
            load,
            data_size_limit=settings.max_mail_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=settings.smtp_hostname,
            ident="gemeente contact router",
        )

    return create


async def run(settings: EmailSettings) -> None:
    ingestor = build_ingestor(settings, CHANNEL)
    handler = GemeenteMailHandler(
        ingestor.deliverer, ingestor.pseudonymizer, ingestor.threads, settings.accepted_recipients
    )
    servers: list[asyncio.Server] = []

    async def start_smtp() -> None:
        servers.append(
            await asyncio.get_running_loop().create_server(
                smtp_factory(settings, handler), settings.http_host, settings.smtp_port
            )
        )
        log.info("e-mail ingestor: SMTP on %s, HTTP on %s", settings.smtp_port, settings.http_port)

    async def stop_smtp() -> None:
        for server in servers:
            server.close()
            await server.wait_closed()

    await run_beside_probes(ingestor.app, settings, start_smtp, stop_smtp)


def main() -> None:
    settings = EmailSettings()
    configure_logging(settings.log_level)
    asyncio.run(run(settings))
