"""The docs' runnable examples work as written against the real stack: the department's consume-and-reply
loop prints the conversation id and its first-reply report reaches contact.handled; the triage example lists
the queue and places a message with Reroute."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

from kafka import KafkaProducer

from services.contract import codec, topics
from services.runtime.settings import REPO_ROOT
from tests.conftest import SECRETS
from tests.helpers import read_topics, routed_with_id
from tests.integration.test_end_to_end import post_whatsapp
from tests.integration.test_kpis import routed_conversation
from tools.demo.payloads import whatsapp_message, whatsapp_webhook


def test_the_department_example_consumes_its_topic_and_reports_the_first_reply(stack, broker):
    _, extra, _ = stack
    routed = routed_conversation(stack, broker, "De grijze container is al twee weken niet geleegd")
    conversation = routed.message.conversation_id
    # The example's group reads from the beginning: everything on the topic up to and including ours.
    on_topic = len(read_topics(broker.address, [topics.routed_topic("afval")], until=lambda records: False, timeout=3))
    afval_token = dict(p.split("=", 1) for p in SECRETS["DEPARTMENT_API_TOKENS"].split(","))["afval"]
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": broker.address,
           "ROUTER_GRPC_ADDRESS": f"127.0.0.1:{extra['router_grpc']}", "DEPARTMENT_API_TOKEN": afval_token}
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "docs" / "examples" / "department_consumer.py"), "afval", "--max-messages", str(on_topic)],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert conversation in done.stdout, done.stdout
    assert "whatsapp" in done.stdout

    def reported(records: list) -> bool:
        return any(codec.decode_handled(r.value).conversation_id == conversation for r in records)

    records = read_topics(broker.address, [topics.HANDLED], until=reported, timeout=30)
    [event] = [e for e in map(lambda r: codec.decode_handled(r.value), records) if e.conversation_id == conversation]
    assert event.action == codec.HandledAction.HANDLED_ACTION_FIRST_REPLY
    assert event.department == "afval"


def test_the_triage_example_lists_the_queue_and_places_a_message(stack, broker):
    urls, extra, _ = stack
    message = whatsapp_message("316" + str(uuid.uuid4().int)[:8], text="Hallo, ik heb een vraag")
    assert asyncio.run(post_whatsapp(urls["whatsapp"], whatsapp_webhook([message]))) == 200
    message_id = codec.message_id(codec.Channel.CHANNEL_WHATSAPP, message["id"])
    routed_with_id(broker.address, [topics.TRIAGE], message_id)
    on_topic = len(read_topics(broker.address, [topics.TRIAGE], until=lambda records: False, timeout=3))
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": broker.address,
           "ROUTER_GRPC_ADDRESS": f"127.0.0.1:{extra['router_grpc']}", "WEBCARE_API_TOKEN": SECRETS["WEBCARE_API_TOKEN"]}
    example = str(REPO_ROOT / "docs" / "examples" / "triage_queue.py")

    listed = subprocess.run([sys.executable, example, "--max-messages", str(on_topic)],
                            env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    [line] = [line for line in listed.stdout.splitlines() if line.startswith(message_id)]
    assert "suggesties:" in line

    placed = subprocess.run([sys.executable, example, "--place", message_id, "burgerzaken", "--category", "afspraak",
                             "--staff", "webcare-9"],
                            env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert placed.returncode == 0, placed.stderr
    assert placed.stdout.strip() == f"{message_id}: triage → burgerzaken (afspraak)"
    [record] = routed_with_id(broker.address, [topics.routed_topic("burgerzaken")], message_id)
    assert codec.decode_routed(record.value).decision.method == codec.RoutingMethod.ROUTING_METHOD_MANUAL


def test_the_department_example_skips_a_record_it_cannot_read(stack, broker):
    """On a topic of its own (the shared department topics stay clean for the other tests): one record that
    is no RoutedMessage is skipped and reported; the consumer exits normally, it does not crash."""
    from tools.topics import create_topics

    _, extra, _ = stack
    create_topics(broker.address, [topics.routed_topic("examplegarbage")], partitions=1, replication_factor=1)
    producer = KafkaProducer(bootstrap_servers=broker.address, acks="all")
    producer.send(topics.routed_topic("examplegarbage"), key=b"k", value=b"\xff\xfe not a RoutedMessage").get(10)
    producer.close()
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": broker.address,
           "ROUTER_GRPC_ADDRESS": f"127.0.0.1:{extra['router_grpc']}", "DEPARTMENT_API_TOKEN": "unused-" * 4}
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "docs" / "examples" / "department_consumer.py"), "examplegarbage",
         "--max-messages", "1"],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "skipped an unreadable record at contact.routed.examplegarbage/0@0" in done.stderr
    assert "handled 0, skipped 1 unreadable" in done.stderr
