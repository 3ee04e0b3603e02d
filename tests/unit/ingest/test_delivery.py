"""Replays past the dedup window: a validly signed webhook whose messages the platform sent longer ago
than dedup remembers is acknowledged and kept on contact.deadletter with the reason, never published."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from services.contract import codec, topics
from services.ingest.delivery import Deliverer
from services.ingest.http import create_ingest_app
from services.ingest.meta.webhook import add_meta_routes
from services.ingest.whatsapp.normalise import whatsapp_webhook_to_contacts
from services.ingest.whatsapp.settings import WhatsAppSettings
from tests.unit.ingest.test_ingest_http import PSEUDO, SECRETS, FakePublisher, signed

WINDOW = 8 * 86400
SENT_AT = 1749416383  # text.json's message.timestamp


async def post_text_fixture(now: float) -> tuple[int, dict, FakePublisher]:
    publisher = FakePublisher()
    settings = WhatsAppSettings(**SECRETS, max_body_bytes=4096)
    app = create_ingest_app(publisher, settings.max_body_bytes)
    deliverer = Deliverer("whatsapp", publisher, None, 1.0, max_age_seconds=WINDOW, clock=lambda: now)
    add_meta_routes(app, "/webhooks/whatsapp", deliverer, PSEUDO, whatsapp_webhook_to_contacts, settings)
    body, headers = signed("text.json")
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/webhooks/whatsapp", data=body, headers=headers)
        return response.status, await response.json(), publisher


async def test_a_replay_older_than_the_dedup_window_is_kept_not_published():
    status, answer, publisher = await post_text_fixture(now=SENT_AT + WINDOW + 3600)
    assert status == 200 and answer == {"published": 0, "duplicates": 0}
    assert [topic for topic, _, _ in publisher.records] == [topics.DEADLETTER]
    letter = codec.DeadLetter.FromString(publisher.records[0][2])
    assert letter.stage == "whatsapp.too_old" and "dedup window" in letter.error
    kept = codec.ContactMessage.FromString(letter.original)
    assert kept.channel == codec.Channel.CHANNEL_WHATSAPP and kept.text.startswith("Mijn kliko")


async def test_a_message_within_the_window_is_published():
    status, answer, publisher = await post_text_fixture(now=SENT_AT + WINDOW - 3600)
    assert status == 200 and answer == {"published": 1, "duplicates": 0}
    assert [topic for topic, _, _ in publisher.records] == [topics.INBOUND]
