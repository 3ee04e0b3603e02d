"""Facebook page webhook → ContactMessages. Pure.

`object: "page"`: Messenger conversations in `entry[].messaging[]` (see services/ingest/meta/messaging.py) and page feed
changes in `entry[].changes[]` with `field: "feed"`: a citizen's comment on or post to the page is a
message; likes, reactions, edits, removals and the page's own posts are counted only.
"""

from __future__ import annotations

from datetime import datetime

from services.contract import codec
from services.ingest.meta.messaging import MAX_TEXT_CHARS, entry_changes, messaging_to_contacts
from services.ingest.payload import Normalised, PayloadError, ReplyAddress, epoch, lst, opt_obj, text
from services.ingest.pseudonym import Pseudonymizer

CHANNEL = codec.Channel.CHANNEL_FACEBOOK
_PUBLISHED_ITEMS = ("comment", "post", "status", "photo", "video")


def facebook_webhook_to_contacts(payload: dict, received_at: datetime, pseudonymizer: Pseudonymizer) -> Normalised:
    if payload.get("object") != "page":
        raise PayloadError("object must be 'page'")
    entries = lst(payload.get("entry"), "entry")
    result = Normalised()
    messaging_to_contacts(entries, CHANNEL, received_at, pseudonymizer, result)
    received = codec.timestamp(received_at)
    for where, entry, value in entry_changes(entries, "feed", result):
        page_id = str(entry.get("id", ""))
        item, verb = value.get("item"), value.get("verb")
        author = opt_obj(value.get("from"))
        if item not in _PUBLISHED_ITEMS or verb != "add":
            result.ignore(f"feed_{item}_{verb}")
            continue
        author_id = text(author.get("id"), f"{where}.from.id")
        if author_id == page_id:
            result.ignore("feed_own_post")
            continue
        body = text(value.get("message"), f"{where}.message", required=False)
        if not body:
            result.ignore(f"feed_{item}_without_text")
            continue
        post_id = text(value.get("post_id"), f"{where}.post_id")
        item_id = text(value.get("comment_id") or value.get("post_id"), f"{where}.comment_id")
        created = value.get("created_time")
        sent_at = codec.timestamp_from_epoch(epoch(created, f"{where}.created_time")) if created else None
        message = codec.ContactMessage(
            id=codec.message_id(CHANNEL, item_id),
            channel=CHANNEL,
            channel_message_id=item_id,
            # One citizen under one post is one conversation, whatever comment they answer.
            conversation_id="fb-" + pseudonymizer.pseudonym("facebook-thread", post_id, author_id),
            received_at=received,
            author_id=pseudonymizer.pseudonym("facebook-user", author_id),
            display_name=str(author.get("name") or ""),
            text=body[:MAX_TEXT_CHARS],
            in_reply_to=str(value.get("parent_id") or ""),
            metadata={"type": f"feed_{item}"},
        )
        if sent_at is not None:
            message.sent_at.CopyFrom(sent_at)
        result.messages.append(message)
        # A reply to a comment or a post is a comment on it (/{object-id}/comments), or one private reply.
        result.reply_addresses[message.id] = ReplyAddress(
            "facebook_comment", via=page_id, ref=item_id,
            at=codec.epoch_seconds(sent_at) if sent_at is not None else received_at.timestamp())
    return result
