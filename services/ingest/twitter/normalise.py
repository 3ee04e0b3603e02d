"""X / Twitter Account Activity API webhook → ContactMessages. Pure.

A body carries `for_user_id` (our account) and one event array. `tweet_create_events[]` are v1.1
tweets that mention or answer us; `direct_message_events[]` are DMs. Our own account's events are
not published, but our tweets are remembered as links in their reply chain, so a citizen's answer to
our answer stays in the conversation the citizen started. Screen names are handles: not carried.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from services.contract import codec
from services.contract.vocabulary import MAX_TEXT_CHARS
from services.ingest.payload import Normalised, PayloadError, ReplyAddress, epoch, lst, obj, opt_obj, text
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.threads import thread_root

CHANNEL = codec.Channel.CHANNEL_TWITTER


def tweet_parents(payload: dict) -> list[str]:
    """The tweet ids that tweets in this body answer: their roots are looked up before normalising."""
    events = payload.get("tweet_create_events")
    if not isinstance(events, list):
        return []
    return [
        str(t["in_reply_to_status_id_str"])
        for t in events
        if isinstance(t, dict) and isinstance(t.get("in_reply_to_status_id_str"), str)
    ]


def _tweet_text(tweet: dict, where: str) -> str:
    extended = opt_obj(tweet.get("extended_tweet"))
    if isinstance(extended.get("full_text"), str):
        return extended["full_text"]
    return text(tweet.get("text"), f"{where}.text", required=False)


def twitter_webhook_to_contacts(
    payload: dict, received_at: datetime, pseudonymizer: Pseudonymizer, known_roots: Mapping[str, str]
) -> Normalised:
    our_id = text(payload.get("for_user_id"), "for_user_id")
    if not any(key.endswith("_events") for key in payload):
        raise PayloadError("no event array (…_events) in the body")
    result = Normalised()
    received = codec.timestamp(received_at)
    # Tweets of one body are in order: a later one may answer an earlier one.
    roots = dict(known_roots)
    for index, raw in enumerate(lst(payload.get("tweet_create_events"), "tweet_create_events")):
        where = f"tweet_create_events[{index}]"
        tweet = obj(raw, where)
        tweet_id = text(tweet.get("id_str"), f"{where}.id_str")
        author = obj(tweet.get("user"), f"{where}.user")
        author_id = text(author.get("id_str"), f"{where}.user.id_str")
        parent = tweet.get("in_reply_to_status_id_str")
        root = thread_root(str(parent), roots) if isinstance(parent, str) and parent else tweet_id
        result.thread_links[tweet_id] = roots[tweet_id] = root
        if author_id == our_id:
            result.ignore("own_tweet")
            continue
        if "retweeted_status" in tweet:
            result.ignore("retweet")
            continue
        message = codec.ContactMessage(
            id=codec.message_id(CHANNEL, tweet_id),
            channel=CHANNEL,
            channel_message_id=tweet_id,
            conversation_id="tw-" + pseudonymizer.pseudonym("twitter-thread", root),
            received_at=received,
            author_id=pseudonymizer.pseudonym("twitter-user", author_id),
            display_name=str(author.get("name") or ""),
            text=_tweet_text(tweet, where)[:MAX_TEXT_CHARS],
            in_reply_to=str(parent or ""),
            metadata={"type": "reply" if parent else "mention"},
        )
        if tweet.get("timestamp_ms"):
            message.sent_at.CopyFrom(
                codec.timestamp_from_epoch(epoch(tweet["timestamp_ms"], f"{where}.timestamp_ms", millis=True))
            )
        result.messages.append(message)
        sent = codec.epoch_seconds(message.sent_at) if message.HasField("sent_at") else received_at.timestamp()
        result.reply_addresses[message.id] = ReplyAddress("x_mention", via=our_id, ref=tweet_id, at=sent)

    users = opt_obj(payload.get("users"))
    for index, raw in enumerate(lst(payload.get("direct_message_events"), "direct_message_events")):
        where = f"direct_message_events[{index}]"
        event = obj(raw, where)
        if event.get("type") != "message_create":
            result.ignore(f"dm_{event.get('type')}")
            continue
        dm_id = text(event.get("id"), f"{where}.id")
        create = obj(event.get("message_create"), f"{where}.message_create")
        sender = text(create.get("sender_id"), f"{where}.message_create.sender_id")
        recipient = text(
            obj(create.get("target"), f"{where}.message_create.target").get("recipient_id"),
            f"{where}.message_create.target.recipient_id",
        )
        if sender == our_id:
            result.ignore("own_dm")
            continue
        data = obj(create.get("message_data"), f"{where}.message_create.message_data")
        attachment = opt_obj(data.get("attachment"))
        media = opt_obj(attachment.get("media"))
        attachments = (
            [codec.Attachment(kind=str(media.get("type") or "media"), reference=str(media.get("media_url_https") or ""))]
            if media
            else []
        )
        body = text(data.get("text"), f"{where}.message_create.message_data.text", required=False)
        if not body.strip() and not attachments:
            result.ignore("empty")  # nothing to read: acknowledged, counted, not a contact
            continue
        message = codec.ContactMessage(
            id=codec.message_id(CHANNEL, dm_id),
            channel=CHANNEL,
            channel_message_id=dm_id,
            conversation_id="tw-" + pseudonymizer.pseudonym("twitter-dm", *sorted((sender, recipient))),
            received_at=received,
            sent_at=codec.timestamp_from_epoch(
                epoch(event.get("created_timestamp"), f"{where}.created_timestamp", millis=True)
            ),
            author_id=pseudonymizer.pseudonym("twitter-user", sender),
            display_name=str(opt_obj(users.get(sender)).get("name") or ""),
            text=body[:MAX_TEXT_CHARS],
            attachments=attachments,
            metadata={"type": "direct_message"},
        )
        result.messages.append(message)
        result.reply_addresses[message.id] = ReplyAddress(
            "x_dm", recipient=sender, via=our_id, ref=dm_id, at=codec.epoch_seconds(message.sent_at))

    for key in payload:
        if key.endswith("_events") and key not in ("tweet_create_events", "direct_message_events"):
            result.ignore(key.removesuffix("_events"))
    return result
