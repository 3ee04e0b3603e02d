"""WhatsApp Cloud API webhook → ContactMessages. Pure: no I/O, no clock, no secrets in the clear.

Format: entry[].changes[] with field "messages"; value.messages[] carries citizen messages,
value.statuses[] delivery receipts of our own messages (acknowledged and counted, not published).
Errors (value.errors[], or a message with errors[] instead of its content, e.g. code 131000 or 131051)
are acknowledged and counted, never published: Meta retries what it is refused, for days.
"""

from __future__ import annotations

from datetime import datetime

from services.contract import codec
from services.contract.vocabulary import MAX_TEXT_CHARS
from services.ingest.meta.messaging import entry_changes
from services.ingest.payload import (
    RECEIPT_STATES,
    Normalised,
    PayloadError,
    Receipt,
    ReplyAddress,
    epoch,
    lst,
    obj,
    opt_obj,
    text,
)
from services.ingest.pseudonym import Pseudonymizer

CHANNEL = codec.Channel.CHANNEL_WHATSAPP
# Media types whose object has id, mime_type and maybe caption / filename.
_MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")


def _message_body(message: dict, where: str) -> tuple[str, list[codec.Attachment], codec.Location | None]:
    """Text, attachments and location of one message, by its type."""
    kind = message.get("type")
    attachments: list[codec.Attachment] = []
    location = None
    body = ""
    if kind == "text":
        body = text(obj(message.get("text"), f"{where}.text").get("body"), f"{where}.text.body")
    elif kind in _MEDIA_TYPES:
        media = obj(message.get(kind), f"{where}.{kind}")
        body = text(media.get("caption"), f"{where}.{kind}.caption", required=False)
        attachments.append(
            codec.Attachment(
                kind=kind,
                mime_type=text(media.get("mime_type"), f"{where}.{kind}.mime_type", required=False),
                file_name=text(media.get("filename"), f"{where}.{kind}.filename", required=False),
                reference=text(media.get("id"), f"{where}.{kind}.id"),
                caption=body,
            )
        )
    elif kind == "location":
        loc = obj(message.get("location"), f"{where}.location")
        try:
            latitude, longitude = float(loc["latitude"]), float(loc["longitude"])
        except (KeyError, TypeError, ValueError):
            raise PayloadError(f"{where}.location needs numeric latitude and longitude") from None
        location = codec.Location(
            latitude=latitude,
            longitude=longitude,
            name=text(loc.get("name"), f"{where}.location.name", required=False),
            address=text(loc.get("address"), f"{where}.location.address", required=False),
        )
        body = ", ".join(p for p in (location.name, location.address) if p)
    elif kind == "interactive":
        interactive = obj(message.get("interactive"), f"{where}.interactive")
        reply = interactive.get("button_reply") or interactive.get("list_reply")
        reply = obj(reply, f"{where}.interactive.button_reply/list_reply")
        body = text(reply.get("title"), f"{where}.interactive reply title")
    elif kind == "button":
        button = obj(message.get("button"), f"{where}.button")
        body = text(button.get("text"), f"{where}.button.text")
    else:
        raise _Unsupported(str(kind))
    return body[:MAX_TEXT_CHARS], attachments, location


class _Unsupported(Exception):
    pass


def whatsapp_webhook_to_contacts(
    payload: dict, received_at: datetime, pseudonymizer: Pseudonymizer
) -> Normalised:
    """All citizen messages in one WhatsApp Cloud API webhook; statuses and unsupported types are counted."""
    if payload.get("object") != "whatsapp_business_account":
        raise PayloadError("object must be 'whatsapp_business_account'")
    result = Normalised()
    received = codec.timestamp(received_at)
    for where, _, value in entry_changes(lst(payload.get("entry"), "entry"), "messages", result):
        metadata = obj(value.get("metadata"), f"{where}.metadata")
        our_number_id = text(metadata.get("phone_number_id"), f"{where}.metadata.phone_number_id")
        names = {}
        for contact in lst(value.get("contacts"), f"{where}.contacts"):
            contact = obj(contact, f"{where}.contacts[]")
            profile = opt_obj(contact.get("profile"))
            if contact.get("wa_id") and isinstance(profile.get("name"), str):
                names[str(contact["wa_id"])] = profile["name"]
        for error in lst(value.get("errors"), f"{where}.errors"):
            result.platform_error(error)
        for s_index, status in enumerate(lst(value.get("statuses"), f"{where}.statuses")):
            s_where = f"{where}.statuses[{s_index}]"
            status = obj(status, s_where)
            state = status.get("status")
            if state not in RECEIPT_STATES:  # deleted, warning, played: nothing a reply's state follows
                result.ignore(f"status_{state}")
                continue
            errors = [e for e in lst(status.get("errors"), f"{s_where}.errors") if isinstance(e, dict)]
            code = errors[0].get("code") if errors else None
            result.receipts.append(Receipt(
                state=state, at=epoch(status.get("timestamp"), f"{s_where}.timestamp"),
                platform_ids=(text(status.get("id"), f"{s_where}.id"),),
                reply_id=str(status.get("biz_opaque_callback_data") or ""),
                error_code=code if isinstance(code, int) and not isinstance(code, bool) else None))
        for m_index, message in enumerate(lst(value.get("messages"), f"{where}.messages")):
            m_where = f"{where}.messages[{m_index}]"
            message = obj(message, m_where)
            if message.get("errors"):
                for error in lst(message.get("errors"), f"{m_where}.errors"):
                    result.platform_error(error)
                continue
            sender = text(message.get("from"), f"{m_where}.from")
            wamid = text(message.get("id"), f"{m_where}.id")
            sent_at = codec.timestamp_from_epoch(epoch(message.get("timestamp"), f"{m_where}.timestamp"))
            try:
                body, attachments, location = _message_body(message, m_where)
            except _Unsupported as unsupported:
                result.ignore(f"type_{unsupported}")
                continue
            context = opt_obj(message.get("context"))
            contact = codec.ContactMessage(
                id=codec.message_id(CHANNEL, wamid),
                channel=CHANNEL,
                channel_message_id=wamid,
                conversation_id="wa-" + pseudonymizer.pseudonym("whatsapp-conversation", sender, our_number_id),
                received_at=received,
                sent_at=sent_at,
                author_id=pseudonymizer.pseudonym("phone", sender),
                display_name=names.get(sender, ""),
                text=body,
                attachments=attachments,
                in_reply_to=str(context.get("id", "")),
                metadata={"type": str(message.get("type"))},
            )
            if location is not None:
                contact.location.CopyFrom(location)
            result.messages.append(contact)
            result.reply_addresses[contact.id] = ReplyAddress(
                "whatsapp", recipient=sender, via=our_number_id, ref=wamid, at=codec.epoch_seconds(sent_at))
    return result
