"""WhatsApp Cloud API webhook → ContactMessages. Pure: no I/O, no clock, no secrets in the clear.

Format: entry[].changes[] with field "messages"; value.messages[] carries citizen messages,
value.statuses[] delivery receipts of our own messages (acknowledged and counted, not published).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.common import codec
from services.common.ingest import Normalised, PayloadError
from services.common.pseudonym import Pseudonymizer

CHANNEL = codec.Channel.CHANNEL_WHATSAPP
# Media types whose object has id, mime_type and maybe caption / filename.
_MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
MAX_TEXT_CHARS = 20_000


def _obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{where} must be a list")
    return value


def _str(value: Any, where: str, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool) or (required and str(value) == ""):
        raise PayloadError(f"{where} must be a non-empty string")
    return str(value)


def _message_body(message: dict, where: str) -> tuple[str, list[codec.Attachment], codec.Location | None]:
    """Text, attachments and location of one message, by its type."""
    kind = message.get("type")
    attachments: list[codec.Attachment] = []
    location = None
    text = ""
    if kind == "text":
        text = _str(_obj(message.get("text"), f"{where}.text").get("body"), f"{where}.text.body")
    elif kind in _MEDIA_TYPES:
        media = _obj(message.get(kind), f"{where}.{kind}")
        text = _str(media.get("caption"), f"{where}.{kind}.caption", required=False)
        attachments.append(
            codec.Attachment(
                kind=kind,
                mime_type=_str(media.get("mime_type"), f"{where}.{kind}.mime_type", required=False),
                file_name=_str(media.get("filename"), f"{where}.{kind}.filename", required=False),
                reference=_str(media.get("id"), f"{where}.{kind}.id"),
                caption=text,
            )
        )
    elif kind == "location":
        loc = _obj(message.get("location"), f"{where}.location")
        try:
            latitude, longitude = float(loc["latitude"]), float(loc["longitude"])
        except (KeyError, TypeError, ValueError):
            raise PayloadError(f"{where}.location needs numeric latitude and longitude") from None
        location = codec.Location(
            latitude=latitude,
            longitude=longitude,
            name=_str(loc.get("name"), f"{where}.location.name", required=False),
            address=_str(loc.get("address"), f"{where}.location.address", required=False),
        )
        text = ", ".join(p for p in (location.name, location.address) if p)
    elif kind == "interactive":
        interactive = _obj(message.get("interactive"), f"{where}.interactive")
        reply = interactive.get("button_reply") or interactive.get("list_reply")
        reply = _obj(reply, f"{where}.interactive.button_reply/list_reply")
        text = _str(reply.get("title"), f"{where}.interactive reply title")
    elif kind == "button":
        button = _obj(message.get("button"), f"{where}.button")
        text = _str(button.get("text"), f"{where}.button.text")
    else:
        raise _Unsupported(str(kind))
    return text[:MAX_TEXT_CHARS], attachments, location


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
    for e_index, entry in enumerate(_list(payload.get("entry"), "entry")):
        entry = _obj(entry, f"entry[{e_index}]")
        for c_index, change in enumerate(_list(entry.get("changes"), f"entry[{e_index}].changes")):
            where = f"entry[{e_index}].changes[{c_index}]"
            change = _obj(change, where)
            if change.get("field") != "messages":
                result.ignore(f"field_{change.get('field')}"[:40])
                continue
            value = _obj(change.get("value"), f"{where}.value")
            metadata = _obj(value.get("metadata"), f"{where}.value.metadata")
            our_number_id = _str(metadata.get("phone_number_id"), f"{where}.value.metadata.phone_number_id")
            names = {}
            for contact in _list(value.get("contacts"), f"{where}.value.contacts"):
                contact = _obj(contact, f"{where}.value.contacts[]")
                profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
                if contact.get("wa_id") and isinstance(profile.get("name"), str):
                    names[str(contact["wa_id"])] = profile["name"]
            for status in _list(value.get("statuses"), f"{where}.value.statuses"):
                status = _obj(status, f"{where}.value.statuses[]")
                result.ignore(f"status_{status.get('status', 'unknown')}"[:40])
            for m_index, message in enumerate(_list(value.get("messages"), f"{where}.value.messages")):
                m_where = f"{where}.value.messages[{m_index}]"
                message = _obj(message, m_where)
                sender = _str(message.get("from"), f"{m_where}.from")
                wamid = _str(message.get("id"), f"{m_where}.id")
                try:
                    sent_at = codec.timestamp_from_epoch(int(_str(message.get("timestamp"), f"{m_where}.timestamp")))
                except ValueError:
                    raise PayloadError(f"{m_where}.timestamp must be epoch seconds") from None
                try:
                    text, attachments, location = _message_body(message, m_where)
                except _Unsupported as unsupported:
                    result.ignore(f"type_{unsupported}"[:40])
                    continue
                context = message.get("context") if isinstance(message.get("context"), dict) else {}
                contact = codec.ContactMessage(
                    id=codec.message_id(CHANNEL, wamid),
                    channel=CHANNEL,
                    channel_message_id=wamid,
                    conversation_id="wa-" + pseudonymizer.pseudonym("whatsapp-conversation", sender, our_number_id),
                    received_at=received,
                    sent_at=sent_at,
                    author_id=pseudonymizer.pseudonym("phone", sender),
                    display_name=names.get(sender, ""),
                    text=text,
                    attachments=attachments,
                    in_reply_to=str(context.get("id", "")),
                    metadata={"type": str(message.get("type"))},
                )
                if location is not None:
                    contact.location.CopyFrom(location)
                result.messages.append(contact)
    return result
