"""An answer by e-mail through the gemeente's SMTP relay. Pure.

In reply to the citizen's mail: `In-Reply-To` its Message-ID, `References` its References and its
Message-ID, `Subject: Re: ...`, From the mailbox the citizen wrote to. Our Message-ID is derived from the
reply id, so every retry (also after a crash) carries the same one and the receiver can drop a duplicate.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import timezone
from email.message import EmailMessage
from email.utils import format_datetime

from services.contract import codec
from services.replies.senders import ChannelSender, Context, Outgoing, Refused, Target, reply_text

Failure = codec.ReplyFailure
MAX_TEXT_CHARS = 100_000
_ALREADY_A_REPLY = re.compile(r"^\s*(re|antw|aw|sv)\s*:", re.I)
# The subject of an answer to a message that had none (a web form without a subject).
DEFAULT_SUBJECT = "Uw bericht aan de gemeente"


def reply_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if not subject:
        return DEFAULT_SUBJECT
    return subject if _ALREADY_A_REPLY.match(subject) else f"Re: {subject}"


def reply_message_id(reply_id: str, sender: str) -> str:
    """<reply-…@domain>: the same for every attempt of one reply."""
    domain = sender.rpartition("@")[2] or "gemeente.invalid"
    return f"<reply-{hashlib.sha256(reply_id.encode()).hexdigest()[:32]}@{domain}>"


def reply_mail(reply: codec.Reply, to: str, sender: str, subject: str, in_reply_to: str = "",
               references: str = "") -> Outgoing:
    """The answer as an e-mail (text/plain, UTF-8), or Refused when there is no address to send to."""
    if not to:
        raise Refused(Failure.REPLY_FAILURE_NO_REPLY_CHANNEL, "no e-mail address to answer")
    if not sender:
        raise Refused(Failure.REPLY_FAILURE_NO_REPLY_CHANNEL, "no mailbox to answer from (REPLY_FROM_ADDRESS)")
    text = reply_text(reply, MAX_TEXT_CHARS)
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = reply_subject(subject)
    mail["Date"] = format_datetime(reply.created_at.ToDatetime(tzinfo=timezone.utc))
    own_id = reply_message_id(reply.reply_id, sender)
    mail["Message-ID"] = own_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = " ".join(filter(None, (references, in_reply_to)))
    mail.set_content(text)
    return Outgoing(api="smtp", mail=mail, text=text, own_id=own_id)


def plan_email(reply: codec.Reply, target: Target, context: Context) -> Outgoing:
    answered = target.answered
    return reply_mail(reply, answered.recipient, answered.via, answered.subject, answered.ref, answered.references)


SENDER = ChannelSender(plan=plan_email, transport="services.ingest.email.relay:SmtpTransport",
                       kinds=frozenset({"email"}))
