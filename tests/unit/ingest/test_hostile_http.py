"""Hostile input on the HTTP shell: every answer is a deliberate 4xx/2xx, never a crash, and counted."""

from __future__ import annotations

import asyncio
import gzip

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.contract import codec, topics
from services.ingest.delivery import Deliverer
from services.ingest.http import SERVER_OPTIONS, create_ingest_app, webhook_handler
from services.ingest.payload import parse_json_object
from services.ingest.signatures import SignatureCheck, hex_signature
from tests.unit.ingest.test_ingest_http import FakePublisher, signed

SECRET = b"meta-secret"


def sign(body: bytes) -> dict:
    return {"X-Hub-Signature-256": hex_signature(SECRET, body), "Content-Type": "application/json"}


def check(body: bytes, request) -> SignatureCheck:  # noqa: ANN001
    expected = sign(body)["X-Hub-Signature-256"]
    given = request.headers.get("X-Hub-Signature-256")
    return SignatureCheck.MISSING if given is None else (SignatureCheck.VALID if given == expected else SignatureCheck.INVALID)


def crashing_normaliser(body: bytes, request):  # noqa: ANN001, ANN201
    document = parse_json_object(body)
    return document["this normaliser has a bug"]  # KeyError on a body it did not expect


@pytest.fixture
async def shell():
    publisher = FakePublisher()
    app = create_ingest_app(publisher, 4096, read_timeout_seconds=0.5)
    deliverer = Deliverer("test", publisher, None, 1.0)
    app.router.add_post("/hook", webhook_handler(deliverer, check, lambda body, request: parse_json_object(body)))
    app.router.add_post("/buggy", webhook_handler(deliverer, check, crashing_normaliser))
    server = TestServer(app)
    await server.start_server(**SERVER_OPTIONS)  # as served in production (TestServer() drops options)
    async with TestClient(server) as client:
        yield client, publisher


async def outcome_count(client, outcome: str) -> float:
    text = await (await client.get("/metrics")).text()
    line = f'contact_ingest_requests_total{{channel="test",outcome="{outcome}"}} '
    return next((float(row.split()[-1]) for row in text.splitlines() if row.startswith(line)), 0.0)


async def test_deeply_nested_json_is_400(shell):
    client, publisher = shell
    body = b"[" * 2000 + b"]" * 2000  # deeper than the parser's recursion limit, under the size limit
    response = await client.post("/hook", data=body, headers=sign(body))
    assert response.status == 400 and "JSON" in (await response.json())["error"]
    assert await outcome_count(client, "malformed") == 1


async def test_invalid_utf8_is_400(shell):
    client, _ = shell
    body = b'{"text": "\xff\xfe kapotte bytes"}'
    response = await client.post("/hook", data=body, headers=sign(body))
    assert response.status == 400 and (await response.json())["error"] == "body is not UTF-8"


async def test_a_replayed_signature_on_another_body_is_403(shell):
    client, publisher = shell
    original = b'{"a": 1}'
    headers = sign(original)
    assert (await client.post("/hook", data=b'{"a": 2}', headers=headers)).status == 403
    assert await outcome_count(client, "bad_signature") == 1 and publisher.records == []


async def test_a_slow_client_gets_408_and_others_are_served_meanwhile(shell):
    client, _ = shell
    host, port = client.server.host, client.server.port
    reader, writer = await asyncio.open_connection(host, port)
    # Announce 1000 bytes, send 10, then stall: the body never completes.
    writer.write(b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"X-Hub-Signature-256: sha256=00\r\nContent-Length: 1000\r\n\r\n0123456789")
    await writer.drain()
    healthy = await client.get("/healthz")  # the stalled client blocks nobody
    assert healthy.status == 200
    status_line = await asyncio.wait_for(reader.readline(), timeout=5)
    assert b" 408 " in status_line
    writer.close()
    assert await outcome_count(client, "slow_client") == 1


async def test_a_normaliser_bug_keeps_the_signed_body_on_the_dead_letter_topic(shell):
    client, publisher = shell
    body = b'{"unexpected": "shape", "telefoon": "0612345678"}'
    headers = {**sign(body), "Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9", "Cookie": "s=1"}
    response = await client.post("/buggy?source=meta", data=body, headers=headers)
    assert response.status == 202 and await response.json() == {"dead_lettered": True}
    [(topic, key, value)] = publisher.records
    letter = codec.DeadLetter.FromString(value)
    assert topic == topics.DEADLETTER and letter.original == body
    # What a replay needs to post it again as received; nothing else of the request.
    assert letter.original_path == "/buggy?source=meta"
    assert dict(letter.original_headers) == {**sign(body), "Content-Type": "application/json"}
    assert (letter.stage, letter.source_topic) == ("test.normalise", "webhook:test")
    assert letter.error == "KeyError in the test normaliser"  # the type, never the body's content
    assert await outcome_count(client, "dead_letter") == 1


async def test_a_normaliser_bug_while_kafka_is_down_is_503(shell):
    client, publisher = shell
    publisher.down = True
    body = b'{"unexpected": 1}'
    assert (await client.post("/buggy", data=body, headers=sign(body))).status == 503


async def test_whatsapp_fixture_still_accepted_by_the_real_shell():
    # Guard that the fixture helper used above is the real signing scheme.
    body, headers = signed("text.json")
    assert headers["X-Hub-Signature-256"] == hex_signature(SECRET, body)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "GZIP", "identity, gzip"])
async def test_a_compressed_body_is_refused_415_before_it_is_read(shell, encoding):
    """A 64 MiB gzip bomb in 64 KiB: refused on its header, never inflated, whatever the signature says."""
    client, publisher = shell
    bomb = gzip.compress(b"0" * (64 << 20), compresslevel=9)
    headers = {**sign(bomb), "Content-Encoding": encoding}
    before = await outcome_count(client, "unsupported_encoding")
    response = await client.post("/hook", data=bomb, headers=headers)
    assert response.status == 415
    assert "Content-Encoding" in (await response.json())["error"]
    assert publisher.records == [] and await outcome_count(client, "unsupported_encoding") == before + 1


async def test_identity_encoding_passes_on_to_the_signature_check(shell):
    client, _ = shell
    response = await client.post("/hook", data=b'{"a": 1}', headers={"Content-Encoding": "identity"})
    assert response.status == 401
