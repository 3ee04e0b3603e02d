"""Every channel end to end: its real wire protocol → ingestor → Kafka → router → a routed topic."""

from __future__ import annotations

import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from email.message import EmailMessage
from pathlib import Path

import grpc
import pytest
from gemeente.contact.v1 import ingest_pb2, ingest_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from services.contract import codec
from services.ingest.signatures import base64_signature, hex_signature
from services.runtime.grpc_client import authenticated_channel
from tests.conftest import SECRETS
from tests.helpers import all_decided_topics, routed_with_id

FIXTURES = Path(__file__).parents[1] / "fixtures"


def post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def meta_post(url: str, document: dict) -> int:
    body = json.dumps(document).encode()
    return post(url, body, {"Content-Type": "application/json",
                            "X-Hub-Signature-256": hex_signature(SECRETS["META_APP_SECRET"].encode(), body)})


def twitter_post(url: str, document: dict) -> int:
    body = json.dumps(document).encode()
    return post(url, body, {"Content-Type": "application/json",
                            "x-twitter-webhooks-signature": base64_signature(SECRETS["TWITTER_CONSUMER_SECRET"].encode(), body)})


def unique(document: dict, replacements: dict[str, str]) -> dict:
    """A platform fixture as sent just now: its ids replaced, its send times moved to the present (a message
    sent longer ago than the dedup window is kept on contact.deadletter, not published)."""
    text = json.dumps(document)
    for old, new in replacements.items():
        text = text.replace(old, new)
    return recent(json.loads(text))


def recent(node, offset: list | None = None):  # noqa: ANN001, ANN201 - any JSON value
    """Shift every platform timestamp (seconds or milliseconds, as numbers or strings) by one offset, so
    their order is kept and the newest is now."""
    if offset is None:
        stamps = [float(v) / (1000 if float(v) > 1e11 else 1) for v in _stamps(node)]
        offset = [time.time() - max(stamps) if stamps else 0.0]
    if isinstance(node, dict):
        return {k: (_shifted(v, offset[0]) if k in _STAMP_KEYS else recent(v, offset)) for k, v in node.items()}
    if isinstance(node, list):
        return [recent(v, offset) for v in node]
    return node


_STAMP_KEYS = {"timestamp", "timestamp_ms", "created_timestamp", "time"}


def _stamps(node):  # noqa: ANN001, ANN202
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _STAMP_KEYS and str(value).isdigit():
                yield value
            else:
                yield from _stamps(value)
    elif isinstance(node, list):
        for value in node:
            yield from _stamps(value)


def _shifted(value, offset: float):  # noqa: ANN001, ANN202
    if not str(value).isdigit():
        return value
    millis = float(value) > 1e11
    shifted = int(float(value) + offset * (1000 if millis else 1))
    return str(shifted) if isinstance(value, str) else shifted


def routed(broker, channel: int, channel_message_id: str) -> codec.RoutedMessage:
    [record] = routed_with_id(broker.address, all_decided_topics(), codec.message_id(channel, channel_message_id))
    return codec.decode_routed(record.value)


def test_messenger_message_is_routed(stack, broker):
    urls, _, _ = stack
    mid = "m_" + uuid.uuid4().hex
    document = unique(json.loads((FIXTURES / "facebook" / "messenger_text.json").read_text()),
                      {"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P": mid})
    assert meta_post(urls["facebook"] + "/webhooks/facebook", document) == 200
    message = routed(broker, codec.Channel.CHANNEL_FACEBOOK, mid)
    # The citizen names a street light and a traffic light: either department, or triage offering both.
    decision = message.decision
    if decision.triage:
        assert {c.department for c in decision.candidates[:2]} == {"verkeer", "openbare_ruimte"}
    else:
        assert decision.department in ("verkeer", "openbare_ruimte")
    assert post(urls["facebook"] + "/webhooks/facebook", b"{}", {"X-Hub-Signature-256": "sha256=00"}) == 403


def test_instagram_comment_is_routed(stack, broker):
    urls, _, _ = stack
    comment_id = str(uuid.uuid4().int)[:17]
    document = unique(json.loads((FIXTURES / "instagram" / "comments.json").read_text()), {"17865799348089039": comment_id})
    assert meta_post(urls["instagram"] + "/webhooks/instagram", document) == 200
    decision = routed(broker, codec.Channel.CHANNEL_INSTAGRAM, comment_id).decision
    # "het fietspad ligt vol glas": litter on the path, which the taxonomy puts under veeg- en zwerfvuil.
    assert (decision.department, decision.category) == ("openbare_ruimte", "veegzwerfvuil")


def test_the_twitter_crc_endpoint_refuses_to_sign_a_body(stack):
    urls, _, _ = stack
    body = json.dumps(json.loads((FIXTURES / "twitter" / "tweet_mention.json").read_text()), separators=(",", ":"))
    url = urls["twitter"] + "/webhooks/twitter?" + urllib.parse.urlencode({"crc_token": body})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=5)
    assert refused.value.code == 400
    assert "response_token" not in refused.value.read().decode()


def test_twitter_crc_and_a_reply_chain_across_deliveries(stack, broker):
    urls, _, _ = stack
    with urllib.request.urlopen(urls["twitter"] + "/webhooks/twitter?crc_token=token123", timeout=5) as response:
        assert json.load(response) == {
            "response_token": base64_signature(SECRETS["TWITTER_CONSUMER_SECRET"].encode(), b"token123")
        }
    suffix = str(uuid.uuid4().int)[:6]
    first, ours, answer = (f"19921{n}{suffix}" for n in (1, 2, 3))
    mention = unique(json.loads((FIXTURES / "twitter" / "tweet_mention.json").read_text()),
                     {"1992177777777777777": first})
    replies = unique(json.loads((FIXTURES / "twitter" / "tweet_replies.json").read_text()),
                     {"1992177777777777777": first, "1992178888888888888": ours, "1992179999999999999": answer})
    our_reply, citizen_answer = replies["tweet_create_events"][:2]
    # Three separate deliveries: the chain is followed through Redis, not within one body.
    for events in ([mention["tweet_create_events"][0]], [our_reply], [citizen_answer]):
        assert twitter_post(urls["twitter"] + "/webhooks/twitter",
                            {"for_user_id": "1016041050", "tweet_create_events": events}) == 200
    start = routed(broker, codec.Channel.CHANNEL_TWITTER, first)
    follow_up = routed(broker, codec.Channel.CHANNEL_TWITTER, answer)
    # Litter and bags beside a container: afval, or triage where zwerfvuil (openbare ruimte) competes.
    assert start.decision.candidates[0].department == "afval"
    assert start.decision.department in ("afval", "")
    assert follow_up.message.conversation_id == start.message.conversation_id
    assert twitter_post(urls["twitter"] + "/webhooks/twitter", {"for_user_id": "1"}) == 400


def send_mail(smtp_port: int, message: EmailMessage, recipients: list[str] | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.send_message(message, to_addrs=recipients)


def mail(subject: str, body: str, message_id: str, in_reply_to: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ria Jansen <ria@example.org>"
    message["To"] = "contact@gemeente.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(body)
    return message


def test_email_over_smtp_is_routed_and_threaded(stack, broker):
    _, extra, _ = stack
    first_id, reply_id = f"<{uuid.uuid4().hex}@example.org>", f"<{uuid.uuid4().hex}@example.org>"
    send_mail(extra["email_smtp"], mail("Paspoort", "Mijn paspoort is verlopen, kan ik een afspraak maken?", first_id))
    send_mail(extra["email_smtp"], mail("Re: Paspoort", "En mijn ID-kaart ook.\n\nOp ma 24 nov. 2025 om 09:00 schreef "
                                  "Gemeente <contact@gemeente.example>:\n> eerder", reply_id, first_id))
    first = routed(broker, codec.Channel.CHANNEL_EMAIL, first_id)
    reply = routed(broker, codec.Channel.CHANNEL_EMAIL, reply_id)
    assert first.decision.department == "burgerzaken"
    assert reply.message.conversation_id == first.message.conversation_id
    assert reply.message.text == "En mijn ID-kaart ook."


def test_smtp_refuses_strangers_and_oversized_mail(stack):
    _, extra, _ = stack
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_mail(extra["email_smtp"], mail("x", "y", "<a@b>"), ["iemand@elders.example"])
    assert refused.value.recipients["iemand@elders.example"][0] == 550
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as too_big:
        send_mail(extra["email_smtp"], mail("groot", "x" * 70_000, "<big@b>"))
    assert too_big.value.smtp_code == 552


def test_kcc_submit_over_grpc(stack, broker):
    _, extra, _ = stack
    request_id = f"kcc-{uuid.uuid4()}"
    with authenticated_channel(f"127.0.0.1:{extra['kcc_grpc']}", SECRETS["KCC_API_TOKEN"]) as channel:
        ingest = ingest_pb2_grpc.IngestServiceStub(channel)
        request = ingest_pb2.SubmitRequest(
            request_id=request_id, kind=ingest_pb2.KCC_CONTACT_KIND_PHONE_CALL, agent_id="agent-7",
            summary="Burger meldt kapot verkeerslicht kruising Biltstraat", citizen_phone="0612345678",
        )
        response = ingest.Submit(request, timeout=10)
        assert not response.duplicate
        assert response.message_id == codec.message_id(codec.Channel.CHANNEL_KCC, request_id)
        assert ingest.Submit(request, timeout=10).duplicate
        with pytest.raises(grpc.RpcError) as invalid:
            ingest.Submit(ingest_pb2.SubmitRequest(request_id="x", agent_id="a"), timeout=10)
        assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "summary is required" in invalid.value.details()

        health = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="gemeente.contact.v1.IngestService"), timeout=5)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        [answer] = list(reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
        assert "gemeente.contact.v1.IngestService" in {s.name for s in answer.list_services_response.service}
    message = routed(broker, codec.Channel.CHANNEL_KCC, request_id)
    assert message.decision.department == "verkeer"
    assert b"612345678" not in message.SerializeToString()


def test_every_ingestor_serves_its_probes_and_metrics(stack):
    urls, _, _ = stack
    for name, base in urls.items():
        for path in ("/healthz", "/readyz", "/metrics"):
            with urllib.request.urlopen(base + path, timeout=5) as response:
                assert response.status == 200, (name, path)
