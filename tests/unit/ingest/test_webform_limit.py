"""The web form's per-client limit: the CMS names the client (a keyed hash it makes), the ingestor answers
429 with Retry-After past the limit and publishes nothing; other clients and posts without one go on."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient, TestServer

from services.ingest.delivery import Deliverer
from services.ingest.http import create_ingest_app
from services.ingest.signatures import hex_signature
from services.ingest.webform.app import add_webform_routes
from services.ingest.webform.settings import WebformSettings
from tests.unit.ingest.test_ingest_http import PSEUDO, SECRETS, FakePublisher


class FakeRedis:
    """The count_in_window script's effect (INCR, EXPIRE on the first, TTL); the real script runs against
    a real Redis in tests/integration/test_redis_store.py."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.expiry: dict[str, int] = {}

    def register_script(self, source: str):  # noqa: ANN201
        assert "INCR" in source and "EXPIRE" in source

        async def run(keys: list[str], args: list[int]) -> list[int]:
            [key], [window] = keys, args
            self.counts[key] = self.counts.get(key, 0) + 1
            self.expiry.setdefault(key, window)
            return [self.counts[key], self.expiry[key]]

        return run


async def test_a_client_past_its_limit_gets_429_and_others_are_served():
    publisher, redis = FakePublisher(), FakeRedis()
    settings = WebformSettings(**SECRETS, webform_client_limit=2, webform_client_window_seconds=900)
    app = create_ingest_app(publisher, settings.max_body_bytes)
    add_webform_routes(app, Deliverer("webform", publisher, None, 1.0), PSEUDO, settings, redis)
    secret = settings.webform_secret.get_secret_value().encode()

    async def submit(client: TestClient, text: str, sender: str | None) -> tuple[int, dict]:
        fields = {"message": text, **({"client": sender} if sender else {})}
        body = json.dumps(fields).encode()
        response = await client.post("/webhooks/webform", data=body, headers={
            "Content-Type": "application/json", "X-Webform-Signature-256": hex_signature(secret, body)})
        return response.status, dict(response.headers)

    async with TestClient(TestServer(app)) as client:
        assert [(await submit(client, f"melding {i}", "client-a"))[0] for i in range(2)] == [200, 200]
        status, headers = await submit(client, "melding 3", "client-a")
        assert status == 429 and headers["Retry-After"] == "900"
        assert (await submit(client, "melding 4", "client-b"))[0] == 200
        assert (await submit(client, "melding 5", None))[0] == 200
    assert len(publisher.records) == 4
    assert all(b"client-a" not in value for _, _, value in publisher.records)  # never published
    assert all(len(key) == len("ratelimit:webform:") + 32 for key in redis.counts)  # hashed, bounded by TTL
