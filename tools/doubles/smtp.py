"""A local SMTP sink standing in for the gemeente's mail relay, with the same faults as the HTTP doubles.

Every message that reaches the end of DATA is recorded (api "smtp", its headers parsed, `body` the raw
RFC 5322 text, the envelope's mail_from and rcpt_tos). Faults match on `rcpt` (the first recipient) and
`message_id` (the Message-ID header as written, angle brackets included) and act at the end of DATA:
an error fault answers its code there (451 temporary, 550 permanent, smtp_error), `down` answers 421 and
closes the connection as a relay going down does, `crash_after_accept` records the message as accepted and
drops the connection before the 250, so the sender cannot know the relay has it.

The sink runs aiosmtpd's Controller in its own thread, on 127.0.0.1; create_smtp_control(sink) serves the
/_double/ control API over HTTP for a test in another process.
"""

from __future__ import annotations

import asyncio
import time
from email.parser import HeaderParser
from email.policy import default as default_policy

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tools.devstack.servers import free_port
from tools.doubles.faults import Faults, Recorded, control_app

ACCEPTED = "250 2.0.0 OK: queued"
DOWN = "421 4.3.2 Service not available, closing transmission channel"


class SmtpSink:
    """The sink: start() and stop() it; `port` is where it listens, `records` and `faults` as on the HTTP doubles."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.records: list[Recorded] = []
        self.faults = Faults()
        # aiosmtpd's Controller checks its port by connecting to it, so port 0 is resolved here.
        self._controller = Controller(_Handler(self), hostname=host, port=port or free_port(), enable_SMTPUTF8=True)

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd hook
        raw = envelope.original_content or b""
        text = raw.decode("utf-8", "replace")
        headers = {name: str(value) for name, value in HeaderParser(policy=default_policy).parsestr(text).items()}
        rcpt_tos = list(envelope.rcpt_tos)
        fault = self._sink.faults.take({"api": "smtp", "rcpt": rcpt_tos[0] if rcpt_tos else None,
                                        "message_id": headers.get("Message-ID")})
        kind = fault["kind"] if fault else None
        if kind == "delay":
            await asyncio.sleep(fault["seconds"])
        if kind == "down":
            reply = DOWN
        elif kind == "error":
            reply = f"{fault['status']} {fault.get('body', '')}".rstrip()
        else:
            reply = ACCEPTED
        code = int(reply[:3])
        self._sink.records.append(Recorded("smtp", "", headers, text, time.time(),
                                           "accepted" if code < 400 else "refused", code, reply, kind,
                                           envelope.mail_from, rcpt_tos))
        if kind == "crash_after_accept":
            server.transport.abort()  # nothing more is written: the 250 never leaves
        elif kind == "down":
            # aiosmtpd writes the reply as soon as this returns; closing on the next loop turn sends it first.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return reply


def create_smtp_control(sink: SmtpSink) -> web.Application:
    """The /_double/ control API (and probes) over the sink's records and faults."""
    return control_app(sink.records, sink.faults)
