"""Build channel payloads exactly as the platforms send them (used by the demo, tests and bench)."""

from __future__ import annotations

import json
import time
import uuid

from services.common.signatures import hex_signature

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
