"""An e-mail (RFC 5322 bytes as received over SMTP) → ContactMessage. Pure.

Prefers text/plain, falls back to HTML converted to text; charsets and encoded headers are decoded by
the standard library's modern policy. Quoted earlier replies and signatures are stripped with
mail-parser-reply (Dutch and English patterns). Attachments keep name, type and size, never bytes.
Threading: the conversation is the root of References, else the known root of In-Reply-To.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage

from bs4 import BeautifulSoup
from mailparser_reply import EmailReplyParser

from services.contract import codec
from services.contract.vocabulary import MAX_TEXT_CHARS
from services.ingest.payload import Normalised, PayloadError, ReplyAddress
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.threads import thread_root

CHANNEL = codec.Channel.CHANNEL_EMAIL
_REPLY_PARSER = EmailReplyParser(languages=["nl", "en", "de", "fr"])
# mail-parser-reply's Dutch pattern expects "Op <datum> schreef:"; Gmail and Apple Mail write the name
# after "schreef" ("Op ma 24 nov. 2025 om 09:00 schreef Gemeente <contact@...>:"). Cut there first.
# Apple Mail writes "Op 28 nov. 2026 om 10:12 heeft Gemeente <...> het volgende geschreven:".
_QUOTE_HEADER = re.compile(
    r"^[ \t>]*(?:Op\s.{4,100}?\s(?:schreef\s.{0,200}?|heeft\s.{0,200}?\shet volgende geschreven)"
    r"|On\s.{4,100}?\swrote|Am\s.{4,100}?\sschrieb\s.{0,200}?|Le\s.{4,100}?\sa\s[ée]crit\s?)\s?:[ \t]*$",
    re.M | re.S,
)
_QUOTED_LINE = re.compile(r"^[ \t]*>")
_SIGNATURE_DELIMITER = re.compile(r"^-- ?$", re.M)
# What phones and mail apps add below every message.
_DEVICE_SIGN_OFF = re.compile(
    r"^[ \t]*(?:(?:Verstuurd|Verzonden) (?:vanaf|met|via) |Sent from |Get Outlook for |Download Outlook voor ).{0,60}$",
    re.M | re.I,
)


def parse_email(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise PayloadError("not an RFC 5322 message")
    return message


def _message_ids(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").replace("\r", " ").replace("\n", " ").split() if part.strip()]


def thread_parents(message: EmailMessage) -> list[str]:
    """The Message-IDs whose known roots the normaliser may need."""
    try:
        return _message_ids(message.get("In-Reply-To"))[:1]
    except Exception:  # noqa: BLE001 - a malformed header is the normaliser's error to report
        return []


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        # An unknown or lying charset: keep what can be read.
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = BeautifulSoup(content, "html.parser").get_text("\n")
    return content.replace("\r\n", "\n")


def strip_quotes_and_signature(text: str) -> str:
    """What the citizen wrote: earlier quoted mail and the signature removed (the whole text if unsure).

    With "> " quoting every unquoted line is the citizen's, wherever it stands: above the quote
    (top-posting), below it (bottom-posting, as Thunderbird and mailing lists do) or between its parts
    (inline answers). Without it (Outlook, some webmail) the reply is what stands above the quote
    header, and mail-parser-reply finds the rest."""
    if any(_QUOTED_LINE.match(line) for line in text.splitlines()):
        own = "\n".join(line for line in text.splitlines() if not _QUOTED_LINE.match(line))
        own = _DEVICE_SIGN_OFF.sub("", _QUOTE_HEADER.sub("", own))
        delimiter = _SIGNATURE_DELIMITER.search(own)
        if delimiter:
            own = own[: delimiter.start()]
        own = re.sub(r"\n{3,}", "\n\n", own).strip()
        return own or text.strip()
    header = _QUOTE_HEADER.search(text)
    if header and text[: header.start()].strip():
        text = text[: header.start()]
    try:
        replies = _REPLY_PARSER.read(text=text).replies
    except Exception:  # noqa: BLE001 - a parser failure must not lose the message
        return text.strip()
    latest = replies[0].body.strip() if replies else ""
    return latest or text.strip()


_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def single_line(value: str) -> str:
    """A header value on one line: an encoded CR/LF ("=?utf-8?q?hi=0D=0ABcc:...?=") must not become a
    line break in what departments display, log or put in a reply's headers."""
    return " ".join(_LINE_BREAKS.sub(" ", value).split())


def email_to_contact(
    message: EmailMessage, received_at: datetime, pseudonymizer: Pseudonymizer, known_roots: Mapping[str, str],
    mailbox: str = "",
) -> Normalised:
    """The citizen's mail as a ContactMessage; `mailbox` is the gemeente address it was delivered to (the
    SMTP envelope's recipient), which an answer is sent from. The answer goes to From, the address the
    relay checked (SPF/DKIM), never to a Reply-To anyone can write."""
    result = Normalised()
    try:
        auto = str(message.get("Auto-Submitted", "no")).lower()
        senders = message["From"].addresses if message["From"] is not None else ()
    except (ValueError, IndexError, AttributeError) as exc:
        raise PayloadError(f"unreadable header: {type(exc).__name__}") from None
    if auto not in ("", "no"):
        result.ignore("auto_submitted")
        return result
    if not senders or not senders[0].addr_spec or "@" not in senders[0].addr_spec:
        raise PayloadError("From has no address")
    sender = senders[0]
    raw_id = _message_ids(message.get("Message-ID"))
    own_id = raw_id[0] if raw_id else "<" + hashlib.sha256(message.as_bytes()).hexdigest()[:32] + "@no-message-id>"
    references = _message_ids(message.get("References"))
    parents = thread_parents(message)
    if references:
        root = thread_root(references[0], known_roots)
    elif parents:
        root = thread_root(parents[0], known_roots)
    else:
        root = own_id
    result.thread_links[own_id] = root

    text = strip_quotes_and_signature(_body_text(message))
    attachments = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        attachments.append(
            codec.Attachment(
                kind="file",
                mime_type=part.get_content_type(),
                file_name=str(part.get_filename() or "")[:255],
                size_bytes=len(payload),
            )
        )
    subject = single_line(str(message.get("Subject", "")))[:500]
    # Nothing to read: no text, no attachment, and no subject of its own (a reply's subject is ours).
    if not text.strip() and not attachments and (not subject.strip() or parents or references):
        result.ignore("empty")
        return result
    contact = codec.ContactMessage(
        id=codec.message_id(CHANNEL, own_id),
        channel=CHANNEL,
        channel_message_id=own_id,
        conversation_id="em-" + pseudonymizer.pseudonym("email-thread", root),
        received_at=codec.timestamp(received_at),
        author_id=pseudonymizer.pseudonym("email", sender.addr_spec.lower()),
        display_name=single_line(str(sender.display_name or ""))[:200],
        subject=subject,
        text=text[:MAX_TEXT_CHARS],
        attachments=attachments,
        in_reply_to=parents[0] if parents else "",
        metadata={"type": "email"},
    )
    try:
        sent = message["Date"].datetime if message["Date"] is not None else None
    except (ValueError, AttributeError, TypeError):
        sent = None
    if sent is not None and sent.tzinfo is not None:
        contact.sent_at.CopyFrom(codec.timestamp(sent))
    result.messages.append(contact)
    result.reply_addresses[contact.id] = ReplyAddress(
        "email", recipient=sender.addr_spec, via=mailbox, ref=own_id, references=" ".join(references[-20:]),
        subject=subject, at=received_at.timestamp())
    return result
