"""Build channel payloads exactly as the platforms send them (used by the demo, tests and bench)."""

from __future__ import annotations

import json
import time
import uuid

from services.ingest.signatures import hex_signature

DEMO_PHONE_NUMBER_ID = "106540352242922"
DEMO_DISPLAY_NUMBER = "15550783881"
DEMO_WABA_ID = "102290129340398"


def whatsapp_message(sender: str, kind: str = "text", text: str = "", **extra: object) -> dict:
    """One entry of value.messages[] in the WhatsApp Cloud API format."""
    message: dict = {
        "from": sender,
        "id": "wamid." + uuid.uuid4().hex.upper(),
        "timestamp": str(int(time.time())),
        "type": kind,
    }
    if kind == "text":
        message["text"] = {"body": text}
    elif kind == "image":
        message["image"] = {
            "caption": text,
            "mime_type": "image/jpeg",
            "sha256": "dGVzdA==",
            "id": str(extra.get("media_id", "1479537139650973")),
        }
    elif kind == "location":
        message["location"] = {
            "latitude": extra["latitude"],
            "longitude": extra["longitude"],
            "name": extra.get("place", ""),
            "address": extra.get("address", ""),
        }
    elif kind == "button":
        message["button"] = {"text": text, "payload": "demo-payload"}
    elif kind == "interactive":
        message["interactive"] = {"type": "button_reply", "button_reply": {"id": "btn-1", "title": text}}
    else:
        message[kind] = dict(extra)
    return message


def whatsapp_webhook(
    messages: list[dict] | None = None,
    statuses: list[dict] | None = None,
    names: dict[str, str] | None = None,
) -> dict:
    """A complete WhatsApp Cloud API webhook body for our demo business number."""
    value: dict = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DEMO_DISPLAY_NUMBER, "phone_number_id": DEMO_PHONE_NUMBER_ID},
    }
    if messages:
        value["contacts"] = [
            {"profile": {"name": (names or {}).get(m["from"], "")}, "wa_id": m["from"]} for m in messages
        ]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": DEMO_WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


def whatsapp_status(wamid: str, status: str, recipient: str) -> dict:
    return {
        "id": wamid,
        "status": status,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
        "conversation": {"id": uuid.uuid4().hex, "origin": {"type": "service"}},
        "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
    }


def signed_json(document: dict, secret: bytes) -> tuple[bytes, str]:
    """Compact JSON as the platforms send it, and the matching sha256= signature header value."""
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return body, hex_signature(secret, body)


DEMO_PAGE_ID = "112233445566778"
DEMO_IG_ACCOUNT_ID = "17841400000000000"
DEMO_X_ACCOUNT_ID = "1016041050"


def _now_ms() -> int:
    return int(time.time() * 1000)


def messenger_webhook(sender: str, text: str) -> dict:
    """A Messenger message to our page (object "page", entry[].messaging[])."""
    return {
        "object": "page",
        "entry": [{
            "id": DEMO_PAGE_ID,
            "time": _now_ms(),
            "messaging": [{
                "sender": {"id": sender},
                "recipient": {"id": DEMO_PAGE_ID},
                "timestamp": _now_ms(),
                "message": {"mid": "m_" + uuid.uuid4().hex, "text": text},
            }],
        }],
    }


def facebook_comment_webhook(author_id: str, name: str, text: str) -> dict:
    """A citizen's comment under one of our page's posts (changes[] with field "feed")."""
    post_id = f"{DEMO_PAGE_ID}_998877665544332"
    return {
        "object": "page",
        "entry": [{
            "id": DEMO_PAGE_ID,
            "time": int(time.time()),
            "changes": [{"field": "feed", "value": {
                "from": {"id": author_id, "name": name}, "item": "comment", "verb": "add",
                "post_id": post_id, "parent_id": post_id,
                "comment_id": f"998877665544332_{uuid.uuid4().int % 10**16}",
                "message": text, "created_time": int(time.time()),
            }}],
        }],
    }


def instagram_comment_webhook(author_id: str, username: str, text: str) -> dict:
    return {
        "object": "instagram",
        "entry": [{
            "id": DEMO_IG_ACCOUNT_ID,
            "time": int(time.time()),
            "changes": [{"field": "comments", "value": {
                "from": {"id": author_id, "username": username},
                "media": {"id": "17900000000000001", "media_product_type": "FEED"},
                "id": str(uuid.uuid4().int % 10**17),
                "text": text,
            }}],
        }],
    }


def instagram_message_webhook(sender: str, text: str) -> dict:
    document = messenger_webhook(sender, text)
    document["object"] = "instagram"
    document["entry"][0]["id"] = DEMO_IG_ACCOUNT_ID
    document["entry"][0]["messaging"][0]["recipient"]["id"] = DEMO_IG_ACCOUNT_ID
    return document


def tweet_webhook(user_id: str, name: str, text: str, in_reply_to: str | None = None) -> dict:
    """A v1.1 tweet that mentions or answers our account (Account Activity API)."""
    return {
        "for_user_id": DEMO_X_ACCOUNT_ID,
        "tweet_create_events": [{
            "id_str": str(uuid.uuid4().int % 10**19),
            "text": text[:140],
            "extended_tweet": {"full_text": text},
            "in_reply_to_status_id_str": in_reply_to,
            "user": {"id_str": user_id, "name": name, "screen_name": f"user{user_id}"},
            "timestamp_ms": str(_now_ms()),
        }],
    }


def twitter_dm_webhook(sender: str, name: str, text: str) -> dict:
    return {
        "for_user_id": DEMO_X_ACCOUNT_ID,
        "direct_message_events": [{
            "type": "message_create",
            "id": str(uuid.uuid4().int % 10**19),
            "created_timestamp": str(_now_ms()),
            "message_create": {
                "target": {"recipient_id": DEMO_X_ACCOUNT_ID},
                "sender_id": sender,
                "message_data": {"text": text},
            },
        }],
        "users": {sender: {"id": sender, "name": name, "screen_name": f"user{sender}"}},
    }
