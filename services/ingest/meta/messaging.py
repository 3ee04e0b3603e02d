"""Messenger and Instagram direct messages share Meta's `entry[].messaging[]` shape. Pure.

    {"sender": {"id": PSID/IGSID}, "recipient": {"id": PAGE/IG_ID}, "timestamp": <epoch ms>,
     "message": {"mid": .., "text": .., "attachments": [{"type": .., "payload": {"url": ..}}],
                 "reply_to": {"mid": ..}, "is_echo": true (our own reply), "is_deleted": true}}

Other events in the same list (delivery, read, reaction, ...) are acknowledged and counted; a postback
(a button the citizen tapped) is a message with the button's title as its text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from services.contract import codec
from services.contract.vocabulary import MAX_TEXT_CHARS
from services.ingest.payload import Normalised, Receipt, ReplyAddress, epoch, lst, obj, opt_obj, text
from services.ingest.pseudonym import Pseudonymizer

_CONVERSATION_PREFIX = {codec.Channel.CHANNEL_FACEBOOK: "fb-", codec.Channel.CHANNEL_INSTAGRAM: "ig-"}
# The reply address kind of a private conversation, by channel (services/ingest/payload.py ReplyAddress).
DM_KIND = {codec.Channel.CHANNEL_FACEBOOK: "messenger", codec.Channel.CHANNEL_INSTAGRAM: "instagram_dm"}
_OTHER_EVENTS = ("reaction", "optin", "referral", "account_linking", "policy_enforcement")
# Receipts of our replies: Messenger's message_deliveries and message_reads, Instagram's messaging_seen.
_RECEIPT_EVENTS = {"delivery": "delivered", "read": "read"}


def entry_changes(entries: list, wanted_field: str, result: Normalised) -> Iterator[tuple[str, dict, dict]]:
    """(where, entry, value) of every `entry[].changes[]` with this field; other fields are counted."""
    for e_index, raw_entry in enumerate(entries):
        entry = obj(raw_entry, f"entry[{e_index}]")
        for c_index, raw_change in enumerate(lst(entry.get("changes"), f"entry[{e_index}].changes")):
            where = f"entry[{e_index}].changes[{c_index}]"
            change = obj(raw_change, where)
            if change.get("field") != wanted_field:
                result.ignore(f"field_{change.get('field')}")
                continue
            yield f"{where}.value", entry, obj(change.get("value"), f"{where}.value")


def _attachments(message: dict, where: str) -> list[codec.Attachment]:
    found = []
    for index, raw in enumerate(lst(message.get("attachments"), f"{where}.attachments")):
        attachment = obj(raw, f"{where}.attachments[{index}]")
        payload = opt_obj(attachment.get("payload"))
        found.append(
            codec.Attachment(
                kind=text(attachment.get("type"), f"{where}.attachments[{index}].type", required=False) or "file",
                reference=str(payload.get("url") or payload.get("attachment_id") or ""),
                caption=str(payload.get("title") or "")[:500],
            )
        )
    return found


def receipt(body: dict, state: str, conversation_id: str, event: dict, where: str) -> Receipt:
    """A delivery or read event: by its message ids where given, else everything before its watermark."""
    mids = tuple(str(m) for m in lst(body.get("mids"), f"{where}.mids") if m) or (
        (str(body["mid"]),) if body.get("mid") else ())
    watermark = body.get("watermark")
    at = epoch(event.get("timestamp"), f"{where}.timestamp", millis=True) if event.get("timestamp") else 0.0
    return Receipt(state=state, at=at, platform_ids=mids, conversation_id=conversation_id,
                   watermark=epoch(watermark, f"{where}.watermark", millis=True) if watermark else 0.0)


def messaging_to_contacts(
    entries: list,
    channel: int,
    received_at: datetime,
    pseudonymizer: Pseudonymizer,
    result: Normalised,
) -> None:
    """Add the citizen messages in every entry's `messaging[]` to `result`."""
    label = codec.channel_label(channel)
    received = codec.timestamp(received_at)
    for e_index, raw_entry in enumerate(entries):
        entry = obj(raw_entry, f"entry[{e_index}]")
        for m_index, raw_event in enumerate(lst(entry.get("messaging"), f"entry[{e_index}].messaging")):
            where = f"entry[{e_index}].messaging[{m_index}]"
            event = obj(raw_event, where)
            sender = text(obj(event.get("sender"), f"{where}.sender").get("id"), f"{where}.sender.id")
            recipient = text(obj(event.get("recipient"), f"{where}.recipient").get("id"), f"{where}.recipient.id")
            conversation_id = (_CONVERSATION_PREFIX.get(channel, label + "-")
                               + pseudonymizer.pseudonym(f"{label}-conversation", sender, recipient))
            receipt_kind = next((name for name in _RECEIPT_EVENTS if name in event), None)
            if receipt_kind is not None:
                result.receipts.append(receipt(obj(event[receipt_kind], f"{where}.{receipt_kind}"),
                                               _RECEIPT_EVENTS[receipt_kind], conversation_id, event, where))
                continue
            if "message" in event:
                message = obj(event["message"], f"{where}.message")
                if message.get("is_echo"):
                    result.ignore("echo")
                    continue
                if message.get("is_deleted") or message.get("is_unsupported"):
                    result.ignore("deleted" if message.get("is_deleted") else "unsupported")
                    continue
                mid = text(message.get("mid"), f"{where}.message.mid")
                body = text(message.get("text"), f"{where}.message.text", required=False)
                attachments = _attachments(message, f"{where}.message")
                in_reply_to = str(opt_obj(message.get("reply_to")).get("mid", ""))
                kind = "text" if body and not attachments else ("attachment" if attachments else "empty")
                if kind == "empty":
                    result.ignore("empty")
                    continue
            elif "postback" in event:
                postback = obj(event["postback"], f"{where}.postback")
                mid = text(postback.get("mid"), f"{where}.postback.mid")
                body = text(postback.get("title"), f"{where}.postback.title")
                attachments, in_reply_to, kind = [], "", "postback"
            else:
                known = next((name for name in _OTHER_EVENTS if name in event), "unknown")
                result.ignore(f"event_{known}")
                continue
            sent_seconds = epoch(event.get("timestamp"), f"{where}.timestamp", millis=True)
            sent_at = codec.timestamp_from_epoch(sent_seconds)
            result.messages.append(
                codec.ContactMessage(
                    id=codec.message_id(channel, mid),
                    channel=channel,
                    channel_message_id=mid,
                    conversation_id=conversation_id,
                    received_at=received,
                    sent_at=sent_at,
                    author_id=pseudonymizer.pseudonym(f"{label}-user", sender),
                    text=body[:MAX_TEXT_CHARS],
                    attachments=attachments,
                    in_reply_to=in_reply_to,
                    metadata={"type": kind},
                )
            )
            result.reply_addresses[result.messages[-1].id] = ReplyAddress(
                DM_KIND[channel], recipient=sender, via=recipient, ref=mid, at=sent_seconds)
