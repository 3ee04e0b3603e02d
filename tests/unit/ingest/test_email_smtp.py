"""The SMTP server's bounds, against aiosmtpd on a real socket: connections over the limit get 421, DATA
beyond the bytes budget 452 (both retried by the sending server), and a mail of thousands of nested MIME
parts a 554 with one log line instead of a 500 with a traceback."""

from __future__ import annotations

import asyncio
import smtplib
from datetime import datetime, timezone

import pytest

from services.ingest.delivery import Deliverer
from services.ingest.email.app import GemeenteMailHandler, MailLoad, smtp_factory
from services.ingest.email.settings import EmailSettings
from tests.unit.ingest.test_ingest_http import PSEUDO, SECRETS, FakePublisher


class NoThreads:
    async def roots(self, channel, ids):  # noqa: ANN001, ANN201
        return {}

    async def remember(self, channel, links):  # noqa: ANN001, ANN201
        return None


@pytest.fixture
async def smtp_server():
    settings = EmailSettings(**SECRETS)
    publisher = FakePublisher()
    handler = GemeenteMailHandler(Deliverer("email", publisher, None, 1.0), PSEUDO, NoThreads(),
                                  settings.accepted_recipients)
    load = MailLoad(max_sessions=2, max_bytes=settings.max_mail_bytes, bytes_per_mail=settings.max_mail_bytes)
    server = await asyncio.get_running_loop().create_server(smtp_factory(settings, handler, load), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield port, load, publisher
    server.close()
    await server.wait_closed()


def mail(body: str) -> str:
    return (f"From: Jan <jan@example.org>\r\nTo: contact@gemeente.example\r\nSubject: Test\r\n"
            f"Message-ID: <{datetime.now(timezone.utc).timestamp()}@example.org>\r\n\r\n{body}\r\n")


async def test_connections_over_the_limit_are_answered_421(smtp_server):
    port, load, _ = smtp_server
    open_ones = [await asyncio.to_thread(smtplib.SMTP, "127.0.0.1", port, timeout=5) for _ in range(2)]
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        await asyncio.to_thread(smtplib.SMTP, "127.0.0.1", port, timeout=5)
    assert refused.value.smtp_code == 421
    for client in open_ones:
        await asyncio.to_thread(client.quit)
    await asyncio.sleep(0.1)
    assert load.sessions == 0
    again = await asyncio.to_thread(smtplib.SMTP, "127.0.0.1", port, timeout=5)
    await asyncio.to_thread(again.quit)


async def test_data_beyond_the_bytes_budget_is_answered_452(smtp_server):
    port, load, publisher = smtp_server
    load.reserved = load.max_bytes  # another mail is being received
    client = await asyncio.to_thread(smtplib.SMTP, "127.0.0.1", port, timeout=5)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await asyncio.to_thread(client.sendmail, "jan@example.org", ["contact@gemeente.example"],
                                mail("Mijn kliko is niet geleegd"))
    assert refused.value.smtp_code == 452
    load.reserved = 0
    await asyncio.to_thread(client.rset)
    await asyncio.to_thread(client.sendmail, "jan@example.org", ["contact@gemeente.example"],
                            mail("Mijn kliko is niet geleegd"))
    await asyncio.to_thread(client.quit)
    assert len(publisher.records) == 1 and load.reserved == 0


async def test_thousands_of_nested_mime_parts_are_554_with_one_log_line(smtp_server, caplog):
    port, _, publisher = smtp_server
    depth = 5000
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth))
    nested = ("From: Jan <jan@example.org>\r\nTo: contact@gemeente.example\r\nSubject: diep\r\n"
              "MIME-Version: 1.0\r\n" + opening + "Content-Type: text/plain\r\n\r\nhallo\r\n")
    client = await asyncio.to_thread(smtplib.SMTP, "127.0.0.1", port, timeout=30)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await asyncio.to_thread(client.sendmail, "jan@example.org", ["contact@gemeente.example"], nested)
    await asyncio.to_thread(client.quit)
    assert refused.value.smtp_code == 554
    assert publisher.records == []
    assert not any(record.exc_info for record in caplog.records)
