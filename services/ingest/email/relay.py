"""The SMTP relay transport of e-mail (and web form) answers: one message to the gemeente's relay.

4xx is temporary (retried with back-off), 5xx permanent (the mailbox does not exist, the relay refuses):
the relay's acceptance (250) is the "sent" of an e-mail, and our Message-ID its platform id.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiosmtplib

from services.contract import codec
from services.replies.senders import Accepted, Failed, Outgoing, Retry

Failure = codec.ReplyFailure


def smtp_error(code: int, detail: str) -> Retry | Failed:
    if 400 <= code < 500:
        return Retry("temporary", None, detail)
    if code in (550, 551, 553):  # no such mailbox, not local, address not allowed
        return Failed(Failure.REPLY_FAILURE_UNDELIVERABLE, detail)
    return Failed(Failure.REPLY_FAILURE_REFUSED, detail)


class SmtpTransport:
    """Submit to SMTP_RELAY_HOST:SMTP_RELAY_PORT (STARTTLS and login where configured)."""

    def __init__(self, settings: Any, session: object, token: str) -> None:
        self.settings = settings

    async def send(self, outgoing: Outgoing, reply_id: str) -> Accepted:
        s = self.settings
        mail = outgoing.mail
        assert mail is not None, "an SMTP outgoing carries its message"
        try:
            await aiosmtplib.send(
                mail, hostname=s.smtp_relay_host, port=s.smtp_relay_port, start_tls=s.smtp_relay_starttls or None,
                username=s.smtp_relay_username or None, password=s.smtp_relay_password.get_secret_value() or None,
                timeout=s.reply_request_timeout_seconds)
        except aiosmtplib.SMTPResponseException as exc:
            raise smtp_error(exc.code, f"SMTP {exc.code}") from None
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients] or [550]
            raise smtp_error(min(codes), f"SMTP {min(codes)} for the recipient") from None
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            raise Retry("unreachable", None, type(exc).__name__) from None
        return Accepted(outgoing.own_id)
