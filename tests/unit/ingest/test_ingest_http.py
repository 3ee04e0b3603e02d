"""The HTTP shell of the ingestors with a fake Kafka: every answer code a sender can get."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.contract import codec, topics
from services.ingest.delivery import Deliverer
from services.ingest.http import create_ingest_app
from services.ingest.meta.webhook import add_meta_routes
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.signatures import hex_signature
from services.ingest.webform.app import add_webform_routes
from services.ingest.webform.settings import WebformSettings
from services.ingest.whatsapp.normalise import whatsapp_webhook_to_contacts
from services.ingest.whatsapp.settings import WhatsAppSettings
from services.runtime.kafka import PublishFailed
from tests.paths import FIXTURES

FIXTURES = FIXTURES / "whatsapp"
PSEUDO = Pseudonymizer(b"unit-test-pseudonym-key")
SECRETS = dict(
    author_pseudonym_key="unit-test-pseudonym-key", meta_app_secret="meta-secret",
    meta_verify_token="verify-me", webform_secret="form-secret", reply_address_key="unit-test-reply-address-key-0123",
)


class FakePublisher:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes]] = []
        self.down = False

    async def publish(self, topic, records):
        if self.down:
            raise PublishFailed("broker down")
        self.records.extend((topic, k, v) for k, v in records)

    async def is_ready(self):
        return not self.down


@pytest.fixture
async def whatsapp():
    publisher = FakePublisher()
    settings = WhatsAppSettings(**SECRETS, max_body_bytes=4096)
    app = create_ingest_app(publisher, settings.max_body_bytes)
    add_meta_routes(
        app, "/webhooks/whatsapp", Deliverer("whatsapp", publisher, None, 1.0), PSEUDO,
        whatsapp_webhook_to_contacts, settings,
    )
    async with TestClient(TestServer(app)) as client:
        yield client, publisher


@pytest.fixture
async def webform():
    publisher = FakePublisher()
    settings = WebformSettings(**SECRETS)
    app = create_ingest_app(publisher, settings.max_body_bytes)
    add_webform_routes(app, Deliverer("webform", publisher, None, 1.0), PSEUDO, settings)
    async with TestClient(TestServer(app)) as client:
        yield client, publisher


def signed(name: str, secret: bytes = b"meta-secret") -> tuple[bytes, dict]:
    body = (FIXTURES / name).read_bytes()
    return body, {"X-Hub-Signature-256": hex_signature(secret, body), "Content-Type": "application/json"}


async def test_signed_webhook_is_published_keyed_by_conversation(whatsapp):
    client, publisher = whatsapp
    body, headers = signed("text.json")
    response = await client.post("/webhooks/whatsapp", data=body, headers=headers)
    assert response.status == 200
    assert await response.json() == {"published": 1, "duplicates": 0}
    [(topic, key, value)] = publisher.records
    message = codec.ContactMessage.FromString(value)
    assert topic == topics.INBOUND and key == message.conversation_id.encode()


async def test_missing_signature_is_401_and_wrong_one_403(whatsapp):
    client, publisher = whatsapp
    body, _ = signed("text.json")
    assert (await client.post("/webhooks/whatsapp", data=body)).status == 401
    _, wrong = signed("text.json", secret=b"not-our-secret")
    assert (await client.post("/webhooks/whatsapp", data=body, headers=wrong)).status == 403
    _, headers = signed("text.json")
    tampered = body.replace(b"kliko", b"KLIKO")
    assert (await client.post("/webhooks/whatsapp", data=tampered, headers=headers)).status == 403
    assert publisher.records == []


async def test_malformed_body_is_400_with_a_reason(whatsapp):
    client, publisher = whatsapp
    body = b'{"object": "whatsapp_business_account", "entry": "nope"}'
    response = await client.post(
        "/webhooks/whatsapp", data=body, headers={"X-Hub-Signature-256": hex_signature(b"meta-secret", body)}
    )
    assert response.status == 400
    assert (await response.json())["error"] == "entry must be a list"
    assert publisher.records == []


async def test_oversized_body_is_413(whatsapp):
    client, publisher = whatsapp
    body = json.dumps({"object": "whatsapp_business_account", "pad": "x" * 5000}).encode()
    response = await client.post(
        "/webhooks/whatsapp", data=body, headers={"X-Hub-Signature-256": hex_signature(b"meta-secret", body)}
    )
    assert response.status == 413
    assert publisher.records == []


async def test_kafka_down_is_503_and_not_ready(whatsapp):
    client, publisher = whatsapp
    publisher.down = True
    body, headers = signed("text.json")
    assert (await client.post("/webhooks/whatsapp", data=body, headers=headers)).status == 503
    assert (await client.get("/readyz")).status == 503
    assert (await client.get("/healthz")).status == 200


async def test_statuses_are_acknowledged_and_never_published_as_messages(whatsapp):
    """Receipts of our replies (applied to the send ledger where a ReceiptBook is wired, as in every answering
    ingestor: tests/integration/test_replies.py) are not citizen messages and not ignored events."""
    client, publisher = whatsapp
    body, headers = signed("statuses.json")
    response = await client.post("/webhooks/whatsapp", data=body, headers=headers)
    assert response.status == 200 and publisher.records == []
    metrics = await (await client.get("/metrics")).text()
    assert 'kind="status_read"' not in metrics


async def test_meta_verification_get(whatsapp):
    client, _ = whatsapp
    ok = await client.get(
        "/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "8841"}
    )
    assert ok.status == 200 and await ok.text() == "8841"
    bad = await client.get(
        "/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "8841"}
    )
    assert bad.status == 403


async def test_webform_accepts_form_encoding_and_json(webform):
    client, publisher = webform
    form = b"message=Kapot+verkeerslicht&submission_id=77"
    response = await client.post(
        "/webhooks/webform", data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "X-Webform-Signature-256": hex_signature(b"form-secret", form)},
    )
    assert response.status == 200
    body = json.dumps({"message": "Paspoort verlopen"}).encode()
    response = await client.post(
        "/webhooks/webform", data=body,
        headers={"Content-Type": "application/json", "X-Webform-Signature-256": hex_signature(b"form-secret", body)},
    )
    assert response.status == 200
    texts = [codec.ContactMessage.FromString(v).text for _, _, v in publisher.records]
    assert texts == ["Kapot verkeerslicht", "Paspoort verlopen"]


async def test_webform_without_message_is_400(webform):
    client, publisher = webform
    body = json.dumps({"name": "Jan"}).encode()
    response = await client.post(
        "/webhooks/webform", data=body,
        headers={"Content-Type": "application/json", "X-Webform-Signature-256": hex_signature(b"form-secret", body)},
    )
    assert response.status == 400 and "message" in (await response.json())["error"]
    assert publisher.records == []
