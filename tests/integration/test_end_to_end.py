"""The real path: signed webhook → ingestor → Tansu → faust router → department topic → metrics.

Every service runs as its own process, as in production, against the real broker and Redis.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request

import aiohttp
import pytest

from services.contract import codec, topics
from services.ingest.signatures import hex_signature
from services.runtime.grpc_client import authenticated_channel
from tests.conftest import SECRETS, service_env
from tests.helpers import read_topics, routed_with_id
from tools.demo.payloads import signed_json, whatsapp_message, whatsapp_webhook
from tools.devstack.servers import free_port, redis_url
from tools.devstack.stack import ServiceProcess

META_SECRET = SECRETS["META_APP_SECRET"].encode()


async def post_whatsapp(base: str, document: dict, secret: bytes = META_SECRET) -> int:
    body, signature = signed_json(document, secret)
    async with aiohttp.ClientSession() as session:
        async with session.post(
            base + "/webhooks/whatsapp", data=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        ) as response:
            return response.status


def metric_value(base: str, name: str, labels: dict[str, str]) -> float:
    text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}\{{(.*)\}} (\S+)$", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


async def test_signed_whatsapp_webhook_reaches_its_department_and_is_counted(stack, broker):
    urls, _, _ = stack
    sender = "31600001234"
    before = metric_value(urls["metrics"], "contact_messages_routed_total",
                          {"department": "afval", "channel": "whatsapp", "method": "rule"})
    forged = whatsapp_message(sender, text="Mijn kliko is niet geleegd (vervalst)")
    assert await post_whatsapp(urls["whatsapp"], whatsapp_webhook([forged]), secret=b"forged") == 403
    genuine = whatsapp_message(sender, text="Mijn kliko is vandaag niet geleegd, wanneer komt de vuilniswagen?")
    assert await post_whatsapp(urls["whatsapp"], whatsapp_webhook([genuine], names={sender: "Test"})) == 200

    genuine_id = codec.message_id(codec.Channel.CHANNEL_WHATSAPP, genuine["id"])
    [record] = routed_with_id(broker.address, [topics.routed_topic("afval")], genuine_id)
    routed = codec.decode_routed(record.value)
    assert routed.decision.department == "afval"
    assert routed.decision.method == codec.RoutingMethod.ROUTING_METHOD_RULE
    assert routed.message.text.startswith("Mijn kliko is vandaag")
    assert record.key == routed.message.conversation_id.encode()
    assert sender.encode() not in record.value

    # Same sender → same conversation → same partition: had the forged one been published, it would be
    # on inbound before the genuine one.
    forged_id = codec.message_id(codec.Channel.CHANNEL_WHATSAPP, forged["id"])
    inbound = read_topics(broker.address, [topics.INBOUND], until=lambda recs: any(
        codec.decode_contact(r.value).id == genuine_id for r in recs))
    inbound_ids = [codec.decode_contact(r.value).id for r in inbound]
    assert genuine_id in inbound_ids and forged_id not in inbound_ids

    for _ in range(50):
        after = metric_value(urls["metrics"], "contact_messages_routed_total",
                             {"department": "afval", "channel": "whatsapp", "method": "rule"})
        if after >= before + 1:
            break
        await asyncio.sleep(0.2)
    assert after == before + 1
    assert metric_value(urls["metrics"], "contact_routing_latency_seconds_count", {"department": "afval"}) >= 1
    assert metric_value(urls["whatsapp"], "contact_ingest_requests_total",
                        {"channel": "whatsapp", "outcome": "bad_signature"}) >= 1


async def test_webform_submission_reaches_burgerzaken(stack, broker):
    urls, _, _ = stack
    body = json.dumps({"message": "Mijn paspoort is verlopen, hoe maak ik een afspraak?",
                       "submission_id": "e2e-webform-1"}).encode()
    async with aiohttp.ClientSession() as session:
        async with session.post(
            urls["webform"] + "/webhooks/webform", data=body,
            headers={"Content-Type": "application/json",
                     "X-Webform-Signature-256": hex_signature(SECRETS["WEBFORM_SECRET"].encode(), body)},
        ) as response:
            assert response.status == 200
    message_id = codec.message_id(codec.Channel.CHANNEL_WEBFORM, "e2e-webform-1")
    [record] = routed_with_id(broker.address, [topics.routed_topic("burgerzaken")], message_id)
    assert codec.decode_routed(record.value).decision.department == "burgerzaken"


async def test_unplaceable_message_goes_to_triage_with_reasons(stack, broker):
    urls, _, _ = stack
    message = whatsapp_message("31600005678", text="Hallo, ik heb een vraag")
    assert await post_whatsapp(urls["whatsapp"], whatsapp_webhook([message])) == 200
    [record] = routed_with_id(broker.address, [topics.TRIAGE],
                              codec.message_id(codec.Channel.CHANNEL_WHATSAPP, message["id"]))
    decision = codec.decode_routed(record.value).decision
    assert decision.triage and decision.reasons


async def test_redelivery_to_two_instances_is_published_once(stack, broker):
    urls, _, _ = stack
    message = whatsapp_message("31600009999", text="Kapot verkeerslicht op de kruising")
    document = whatsapp_webhook([message])
    statuses = await asyncio.gather(*(
        post_whatsapp(urls["whatsapp" if i % 2 else "whatsapp2"], document) for i in range(5)
    ))
    # All five are acknowledged: either they published it, or it was already on Kafka.
    assert statuses == [200] * 5
    message_id = codec.message_id(codec.Channel.CHANNEL_WHATSAPP, message["id"])
    routed = routed_with_id(broker.address, [topics.routed_topic("verkeer")], message_id)
    await asyncio.sleep(1.0)
    inbound = read_topics(broker.address, [topics.INBOUND], until=lambda recs: False, timeout=2)
    assert [codec.decode_contact(r.value).id for r in inbound].count(message_id) == 1
    assert len(routed) == 1


async def test_poison_record_goes_to_dead_letter_and_the_stream_goes_on(stack, broker):
    from kafka import KafkaProducer

    urls, _, _ = stack
    producer = KafkaProducer(bootstrap_servers=broker.address, acks="all")
    producer.send(topics.INBOUND, key=b"poison", value=b"\x0a\xff\xff not protobuf").get(10)
    producer.close()
    letters = read_topics(broker.address, [topics.DEADLETTER], until=lambda recs: any(
        codec.DeadLetter.FromString(r.value).original_key == b"poison" for r in recs))
    letter = next(codec.DeadLetter.FromString(r.value) for r in letters
                  if codec.DeadLetter.FromString(r.value).original_key == b"poison")
    assert letter.stage == "router.decode" and letter.error
    assert letter.original == b"\x0a\xff\xff not protobuf"
    message = whatsapp_message("31600004321", text="Wanneer wordt het grofvuil opgehaald?")
    assert await post_whatsapp(urls["whatsapp"], whatsapp_webhook([message])) == 200
    assert routed_with_id(broker.address, [topics.routed_topic("afval")],
                          codec.message_id(codec.Channel.CHANNEL_WHATSAPP, message["id"]))


def test_every_transport_refuses_temporarily_while_the_broker_is_down(fresh_broker, redis_server, tmp_path):
    """HTTP answers 503, SMTP 451, gRPC UNAVAILABLE: each tells the sender to retry; nothing is lost."""
    import smtplib
    from email.message import EmailMessage

    import grpc
    from gemeente.contact.v1 import ingest_pb2, ingest_pb2_grpc

    ports = {name: free_port() for name in ("whatsapp", "email", "smtp", "kcc", "grpc")}
    env = service_env(
        KAFKA_BOOTSTRAP_SERVERS=fresh_broker.address, REDIS_URL=redis_url(redis_server, 2),
        PUBLISH_TIMEOUT_SECONDS="2", WHATSAPP_PORT=str(ports["whatsapp"]), EMAIL_PORT=str(ports["email"]),
        SMTP_PORT=str(ports["smtp"]), KCC_PORT=str(ports["kcc"]), KCC_GRPC_PORT=str(ports["grpc"]),
    )
    services = [
        ServiceProcess("services.ingest.whatsapp", env, tmp_path / "whatsapp.log"),
        ServiceProcess("services.ingest.email", env, tmp_path / "email.log"),
        ServiceProcess("services.ingest.kcc", env, tmp_path / "kcc.log"),
    ]
    base = f"http://127.0.0.1:{ports['whatsapp']}"
    try:
        for service, name in zip(services, ("whatsapp", "email", "kcc")):
            service.wait_ready(f"http://127.0.0.1:{ports[name]}/readyz")
        assert asyncio.run(post_whatsapp(base, whatsapp_webhook([whatsapp_message("31600000010", text="eerste")]))) == 200
        fresh_broker.kill()

        lost = whatsapp_message("31600000010", text="tijdens de storing")
        assert asyncio.run(post_whatsapp(base, whatsapp_webhook([lost]))) == 503
        with pytest.raises(urllib.error.HTTPError) as not_ready:
            urllib.request.urlopen(base + "/readyz", timeout=5)
        assert not_ready.value.code == 503

        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "a@example.org", "contact@gemeente.example", "storing"
        mail["Message-ID"] = "<storing@example.org>"
        mail.set_content("Kliko niet geleegd")
        with pytest.raises(smtplib.SMTPDataError) as temporary:
            with smtplib.SMTP("127.0.0.1", ports["smtp"], timeout=15) as client:
                client.send_message(mail)
        assert temporary.value.smtp_code == 451

        with authenticated_channel(f"127.0.0.1:{ports['grpc']}", SECRETS["KCC_API_TOKEN"]) as channel:
            with pytest.raises(grpc.RpcError) as unavailable:
                ingest_pb2_grpc.IngestServiceStub(channel).Submit(
                    ingest_pb2.SubmitRequest(request_id="storing-1", kind=1, agent_id="a", summary="x"), timeout=15
                )
        assert unavailable.value.code() == grpc.StatusCode.UNAVAILABLE

        # The claims were released: a retry after the outage is not mistaken for a duplicate.
        import redis

        client = redis.Redis.from_url(redis_url(redis_server, 2))
        assert client.get(f"delivered:whatsapp:{lost['id']}") is None
        assert client.get("delivered:kcc:storing-1") is None
        client.close()
    finally:
        for service in services:
            service.stop()
