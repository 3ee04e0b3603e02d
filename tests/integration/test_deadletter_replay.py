"""A dead letter goes back to its source topic once its cause is fixed: routed once, never twice."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

from kafka import KafkaProducer

from services.contract import codec, topics
from services.runtime.settings import REPO_ROOT
from tests.conftest import SECRETS, service_env
from tests.helpers import all_decided_topics, routed_with_id
from tools.demo.payloads import signed_json, whatsapp_message, whatsapp_webhook
from tools.devstack.servers import redis_url


def run_cli(broker, redis_server, *args: str, status: int = 0) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tools.deadletters", *args], cwd=REPO_ROOT,
        env=service_env(KAFKA_BOOTSTRAP_SERVERS=broker.address, REDIS_URL=redis_url(redis_server, 3)),
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == status, done.stdout + done.stderr
    return done.stdout


def publish_dead_letter(broker, letter: codec.DeadLetter) -> None:
    producer = KafkaProducer(bootstrap_servers=broker.address, acks="all")
    producer.send(topics.DEADLETTER, key=letter.original_key or None, value=letter.SerializeToString()).get(10)
    producer.close()


def test_replay_routes_a_dead_letter_once(stack, broker, redis_server):
    message = codec.ContactMessage(
        id=str(uuid.uuid4()), channel=codec.Channel.CHANNEL_WEBFORM, channel_message_id=f"wf-{uuid.uuid4()}",
        conversation_id=f"wf-{uuid.uuid4()}", received_at=codec.timestamp_from_epoch(time.time()),
        text="Mijn paspoort is verlopen, hoe maak ik een afspraak?",
    )
    stage = f"router.decide.test-{uuid.uuid4().hex[:6]}"  # as if classification had raised on it
    letter = codec.DeadLetter(
        original=message.SerializeToString(), original_key=message.conversation_id.encode(),
        source_topic=topics.INBOUND, source_partition=0, source_offset=0, stage=stage,
        error="RuntimeError in the classifier", failed_at=codec.timestamp_from_epoch(time.time()),
    )
    publish_dead_letter(broker, letter)

    listing = run_cli(broker, redis_server, "list")
    assert stage in listing and "paspoort" not in listing  # reasons, never content
    assert "1 to replay" in run_cli(broker, redis_server, "replay", "--stage", stage, "--dry-run")
    assert "1 replayed" in run_cli(broker, redis_server, "replay", "--stage", stage)
    routed = routed_with_id(broker.address, all_decided_topics(), message.id)
    assert len(routed) == 1 and codec.decode_routed(routed[0].value).decision.department == "burgerzaken"
    # Run again: nothing more is replayed, the message stays routed once.
    assert "0 replayed" in run_cli(broker, redis_server, "replay", "--stage", stage)
    time.sleep(2)
    assert len(routed_with_id(broker.address, all_decided_topics(), message.id, timeout=3)) == 1


def test_a_dead_lettered_webhook_body_is_posted_again_once_to_the_fixed_ingestor(stack, broker, redis_server):
    """As if the WhatsApp normaliser had had a bug: the kept body, with its signature, goes through the
    whole ingest path again (signature check, dedup, Kafka) and is routed once."""
    urls, _, _ = stack
    message = whatsapp_message("31611122233", text="Mijn paspoort is verlopen, hoe maak ik een afspraak?")
    body, signature = signed_json(whatsapp_webhook([message]), SECRETS["META_APP_SECRET"].encode())
    stage = f"whatsapp.normalise.test-{uuid.uuid4().hex[:6]}"

    def kept(signature: str) -> codec.DeadLetter:
        return codec.DeadLetter(
            original=body, source_topic="webhook:whatsapp", stage=stage, error="KeyError in the whatsapp normaliser",
            original_path="/webhooks/whatsapp",
            original_headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
            failed_at=codec.timestamp_from_epoch(time.time()),
        )

    publish_dead_letter(broker, kept("sha256=" + "0" * 64))  # a forged one: refused, never published
    publish_dead_letter(broker, kept(signature))
    ingestor = f"whatsapp={urls['whatsapp']}"
    assert "--ingestor whatsapp=URL" in run_cli(broker, redis_server, "replay", "--stage", stage)
    out = run_cli(broker, redis_server, "replay", "--stage", stage, "--ingestor", ingestor, status=1)
    assert "1 replayed" in out and "1 failed" in out and "answered 403" in out
    message_id = codec.message_id(codec.Channel.CHANNEL_WHATSAPP, message["id"])
    routed = routed_with_id(broker.address, all_decided_topics(), message_id)
    assert len(routed) == 1 and codec.decode_routed(routed[0].value).decision.department == "burgerzaken"
    # Again: the replayed one is not posted twice; the forged one is tried again and refused again.
    out = run_cli(broker, redis_server, "replay", "--stage", stage, "--ingestor", ingestor, status=1)
    assert "0 replayed" in out and "1 failed" in out
    time.sleep(2)
    assert len(routed_with_id(broker.address, all_decided_topics(), message_id, timeout=3)) == 1
