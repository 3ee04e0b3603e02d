"""Instagram webhook → ContactMessages. Pure.

`object: "instagram"`: direct messages in `entry[].messaging[]` (see services/ingest/meta/messaging.py) and comments in
`entry[].changes[]` with `field: "comments"` ({"id", "from": {"id", "username"}, "text", "media": {"id"},
"parent_id"}). The username is a handle, so it is not carried; our own account's comments are counted only.
"""

from __future__ import annotations

from datetime import datetime

from services.contract import codec
from services.ingest.meta.messaging import MAX_TEXT_CHARS, entry_changes, messaging_to_contacts
from services.ingest.payload import Normalised, PayloadError, ReplyAddress, lst, obj, opt_obj, text
from services.ingest.pseudonym import Pseudonymizer

CHANNEL = codec.Channel.CHANNEL_INSTAGRAM


def instagram_webhook_to_contacts(payload: dict, received_at: datetime, pseudonymizer: Pseudonymizer) -> Normalised:
    if payload.get("object") != "instagram":
        raise PayloadError("object must be 'instagram'")
    entries = lst(payload.get("entry"), "entry")
    result = Normalised()
    messaging_to_contacts(entries, CHANNEL, received_at, pseudonymizer, result)
    received = codec.timestamp(received_at)
    for where, entry, value in entry_changes(entries, "comments", result):
        account_id = str(entry.get("id", ""))
        author_id = text(obj(value.get("from"), f"{where}.from").get("id"), f"{where}.from.id")
        if author_id == account_id:
            result.ignore("own_comment")
            continue
        comment_id = text(value.get("id"), f"{where}.id")
        media_id = text(opt_obj(value.get("media")).get("id"), f"{where}.media.id")
        body = text(value.get("text"), f"{where}.text", required=False)
        if not body:
            result.ignore("comment_without_text")
            continue
        result.messages.append(
            codec.ContactMessage(
                id=codec.message_id(CHANNEL, comment_id),
                channel=CHANNEL,
                channel_message_id=comment_id,
                conversation_id="ig-" + pseudonymizer.pseudonym("instagram-thread", media_id, author_id),
                received_at=received,
                author_id=pseudonymizer.pseudonym("instagram-user", author_id),
                text=body[:MAX_TEXT_CHARS],
                in_reply_to=str(value.get("parent_id") or ""),
                metadata={"type": "comment"},
            )
        )
        result.reply_addresses[result.messages[-1].id] = ReplyAddress(
            "instagram_comment", via=account_id, ref=comment_id, at=received_at.timestamp())
    return result
