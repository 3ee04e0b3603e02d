"""A dead letter goes back to its source topic once its cause is fixed: routed once, never twice."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

from kafka import KafkaProducer

from services.common import codec, topics
from services.common.settings import REPO_ROOT
from tests.conftest import service_env
from tests.helpers import all_decided_topics, routed_with_id


def run_cli(broker, redis_server, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "services.deadletters", *args], cwd=REPO_ROOT,
        env=service_env(KAFKA_BOOTSTRAP_SERVERS=broker.address, REDIS_URL=f"redis://{redis_server.address}/3"),
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


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
    producer = KafkaProducer(bootstrap_servers=broker.address, acks="all")
    producer.send(topics.DEADLETTER, key=letter.original_key, value=letter.SerializeToString()).get(10)
    producer.close()

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
