"""Website contact form submission → ContactMessage. Pure: no I/O, no clock.

The gemeente's website (its CMS, server-side) posts each submission as JSON or as
application/x-www-form-urlencoded, signed with X-Webform-Signature-256 like Meta's webhooks.

Fields: message (required), subject, name, email, phone, category (the topic the citizen picked),
submission_id (the CMS's id; makes retries idempotent), reference (an existing case or conversation).
Without a submission_id, identical posts within the same 10-minute window count as one (a retry).
client (optional): the CMS's pseudonymous id of the sender (e.g. a keyed hash of the IP address) for the
rate limit; it is never published.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from urllib.parse import parse_qsl

from services.contract import codec
from services.contract.vocabulary import MAX_TEXT_CHARS as MAX_MESSAGE_CHARS
from services.ingest.payload import Normalised, PayloadError, ReplyAddress, parse_json_object
from services.ingest.pseudonym import Pseudonymizer

CHANNEL = codec.Channel.CHANNEL_WEBFORM
FIELDS = ("message", "subject", "name", "email", "phone", "category", "submission_id", "reference", "client")
MAX_FIELD_CHARS = 500
# A post without submission_id is a retry of an identical one only within the same window this long.
RETRY_WINDOW_SECONDS = 600


def parse_webform_body(body: bytes, content_type: str) -> dict[str, str]:
    """The submitted fields as strings, from JSON or a url-encoded form."""
    if content_type == "application/json":
        document = parse_json_object(body)
    elif content_type == "application/x-www-form-urlencoded":
        try:
            document = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body)))
        except UnicodeDecodeError:
            raise PayloadError("body is not UTF-8") from None
        except ValueError as exc:
            raise PayloadError(f"malformed form encoding: {exc}") from None
    else:
        raise PayloadError("Content-Type must be application/json or application/x-www-form-urlencoded")
    fields: dict[str, str] = {}
    for name in FIELDS:
        value = document.get(name)
        if value is None:
            continue
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise PayloadError(f"field '{name}' must be a string")
        fields[name] = str(value).strip()
    return fields


def webform_submission_to_contact(
    fields: dict[str, str], received_at: datetime, pseudonymizer: Pseudonymizer
) -> Normalised:
    message = fields.get("message", "")
    if not message:
        raise PayloadError("field 'message' is required")
    if len(message) > MAX_MESSAGE_CHARS:
        raise PayloadError(f"field 'message' is longer than {MAX_MESSAGE_CHARS} characters")
    for name, value in fields.items():
        if name != "message" and len(value) > MAX_FIELD_CHARS:
            raise PayloadError(f"field '{name}' is longer than {MAX_FIELD_CHARS} characters")
    email = fields.get("email", "")
    if email and ("@" not in email or " " in email):
        raise PayloadError("field 'email' is not an e-mail address")
    # Without a CMS id, the content and a short window identify the submission: a retried post within
    # minutes dedups, while two citizens who send the same words later are two messages (for 8 days
    # before, the second was acknowledged and dropped). The CMS's submission_id is the reliable key.
    window = int(received_at.timestamp() // RETRY_WINDOW_SECONDS)
    submission_id = fields.get("submission_id") or hashlib.sha256(
        json.dumps({**fields, "retry_window": window}, sort_keys=True).encode()
    ).hexdigest()[:32]
    handle = email.lower() or fields.get("phone", "")
    author_id = pseudonymizer.pseudonym("email" if email else "phone", handle) if handle else ""
    reference = fields.get("reference", "")
    conversation = pseudonymizer.pseudonym("webform-conversation", reference or submission_id)
    metadata = {"category": fields["category"]} if fields.get("category") else {}
    contact = codec.ContactMessage(
        id=codec.message_id(CHANNEL, submission_id),
        channel=CHANNEL,
        channel_message_id=submission_id,
        conversation_id="wf-" + conversation,
        received_at=codec.timestamp(received_at),
        sent_at=codec.timestamp(received_at),
        author_id=author_id,
        display_name=fields.get("name", ""),
        subject=fields.get("subject", ""),
        text=message,
        metadata=metadata,
    )
    # Kept without an e-mail address too: the reply sender then says "no reply channel", not "unknown".
    address = ReplyAddress("webform", recipient=email, ref=submission_id, subject=fields.get("subject", ""),
                           at=received_at.timestamp())
    return Normalised(messages=[contact], reply_addresses={contact.id: address})
