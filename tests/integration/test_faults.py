"""Faults while messages flow: nothing lost, nothing doubled (identified by message id)."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from collections import Counter

import pytest
from kafka import KafkaProducer

from services.contract import codec, topics
from tests.helpers import all_decided_topics, read_topics

TEXTS = [
    "Mijn grijze container is niet geleegd", "Het verkeerslicht op de kruising is kapot",
    "Mijn paspoort is verlopen, hoe maak ik een afspraak?", "Er ligt zwerfafval in het park",
    "Hoe vraag ik een parkeervergunning aan?", "Klopt mijn aanslag hondenbelasting wel?",
    "Bedankt voor de snelle hulp!", "Wanneer wordt het grofvuil opgehaald?",
]


class Stream:
    """Citizen messages straight onto contact.inbound at a steady pace, until stopped."""

    def __init__(self, bootstrap: str, per_second: float) -> None:
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        self.pause = 1.0 / per_second
        self.ids: list[str] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        rng = random.Random(5)
        while not self.stopped.is_set():
            conversation = f"wf-{uuid.uuid4()}"
            message = codec.ContactMessage(
                id=str(uuid.uuid4()), channel=codec.Channel.CHANNEL_WEBFORM, channel_message_id=str(uuid.uuid4()),
                conversation_id=conversation, received_at=codec.timestamp_from_epoch(time.time()),
                text=rng.choice(TEXTS),
            )
            self.producer.send(topics.INBOUND, key=conversation.encode(), value=message.SerializeToString())
            self.ids.append(message.id)
            time.sleep(self.pause)

    def __enter__(self) -> Stream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()
        self.producer.flush()
        self.producer.close()


def copies_of(bootstrap: str, ids: list[str], timeout: float = 180) -> Counter:
    wanted = set(ids)

    def tally(records) -> Counter:
        seen: Counter = Counter()
        for record in records:
            message_id = codec.decode_routed(record.value).message.id
            if message_id in wanted:
                seen[message_id] += 1
        return seen

    records = read_topics(bootstrap, all_decided_topics(), until=lambda recs: set(tally(recs)) >= wanted,
                          timeout=timeout)
    return tally(records)


def test_router_killed_five_times_routes_every_message_exactly_once(stack, broker):
    urls, _, processes = stack
    router = processes["router"]
    rng = random.Random(11)
    with Stream(broker.address, per_second=150) as stream:
        for _ in range(5):
            router.wait_ready(urls["router"] + "/readyz", timeout=120)
            time.sleep(rng.uniform(0.5, 2.0))  # mid-stream, mid-batch
            router.kill_and_start()
        router.wait_ready(urls["router"] + "/readyz", timeout=120)
        time.sleep(1)
    copies = copies_of(broker.address, stream.ids)
    assert len(stream.ids) > 500
    missing = set(stream.ids) - set(copies)
    doubled = {i: n for i, n in copies.items() if n > 1}
    # On failure, what the router said about its restarts (warnings and errors only: no message text).
    said = "\n".join(line for line in router.log().splitlines() if " WARNING " in line or " ERROR " in line)[-4000:]
    assert not missing, f"{len(missing)} of {len(stream.ids)} messages lost; router said:\n{said}"
    assert not doubled, f"{len(doubled)} of {len(stream.ids)} messages published more than once; router said:\n{said}"
    assert "Crashed" not in router.log()


async def test_after_a_crash_the_router_finds_what_it_already_sent(broker):
    """The read-back behind the output ledger: a pending output on its topic is found, a lost one is not."""
    from aiokafka import AIOKafkaProducer

    from services.router.outputs import Mark, find_published

    sent_after = int(time.time() * 1000)
    published = codec.RoutedMessage(message=codec.ContactMessage(id=str(uuid.uuid4())))
    producer = AIOKafkaProducer(bootstrap_servers=broker.address, acks="all")
    await producer.start()
    await producer.send_and_wait(topics.routed_topic("afval"), published.SerializeToString(), key=b"conv")
    await producer.stop()
    lost = str(uuid.uuid4())
    pending = {published.message.id: Mark("pending", topics.routed_topic("afval"), sent_after),
               lost: Mark("pending", topics.routed_topic("afval"), sent_after)}
    found = await find_published(pending, {"bootstrap_servers": broker.address})
    assert found == {published.message.id}


async def test_the_read_back_finds_outputs_on_every_destination_topic(broker):
    """A crashed batch goes to many topics. A consumer that was assigned one topic's partitions forgets
    the others' (its metadata narrows to what it is assigned), so all are looked up before reading."""
    from aiokafka import AIOKafkaProducer

    from services.router.outputs import Mark, find_published

    sent_after = int(time.time() * 1000)
    destinations = [topics.routed_topic("verkeer"), topics.TRIAGE, topics.routed_topic("burgerzaken"),
                    topics.routed_topic("afval")]
    producer = AIOKafkaProducer(bootstrap_servers=broker.address, acks="all")
    await producer.start()
    pending = {}
    for topic in destinations:
        routed = codec.RoutedMessage(message=codec.ContactMessage(id=str(uuid.uuid4())))
        await producer.send_and_wait(topic, routed.SerializeToString(), key=b"conv")
        pending[routed.message.id] = Mark("pending", topic, sent_after)
    await producer.stop()
    assert await find_published(pending, {"bootstrap_servers": broker.address}) == set(pending)


async def test_the_read_back_refuses_to_call_an_output_lost_when_it_cannot_see_its_topic(broker):
    """'Not found' means 'send it again': a topic the broker does not know is an error (the batch is
    retried), not an empty answer."""
    from services.router.outputs import Mark, find_published

    pending = {"m-1": Mark("pending", "contact.routed.bestaat_niet", int(time.time() * 1000))}
    with pytest.raises(LookupError, match="bestaat_niet"):
        await find_published(pending, {"bootstrap_servers": broker.address})


async def test_the_read_back_finds_outputs_in_the_last_batch_whatever_end_offset_the_broker_reports(
    broker, monkeypatch
):
    """Tansu reports the end offset of a partition written in multi-record batches too low (the start of
    the last batch). The read-back stops at the reported end, but a fetch returns whole batches, so the
    outputs of the last batch are still found."""
    from aiokafka import AIOKafkaProducer

    from services.router import outputs

    monkeypatch.setattr(outputs, "LOOKBACK_MS", 0)  # the crash's batch is all the read-back looks at
    topic = topics.routed_topic("werk_inkomen")
    producer = AIOKafkaProducer(bootstrap_servers=broker.address, acks="all", linger_ms=200)
    await producer.start()

    async def publish(count: int) -> list[codec.RoutedMessage]:
        messages = [codec.RoutedMessage(message=codec.ContactMessage(id=str(uuid.uuid4()))) for _ in range(count)]
        acks = [await producer.send(topic, m.SerializeToString(), key=b"conv", partition=0) for m in messages]
        await asyncio.gather(*acks)
        return messages

    await publish(50)  # what was on the partition before
    await asyncio.sleep(0.05)
    sent_after = int(time.time() * 1000)
    in_flight = await publish(150)  # the batch the router sent just before it was killed: one batch
    await producer.stop()
    pending = {m.message.id: outputs.Mark("pending", topic, sent_after) for m in in_flight}
    assert await outputs.find_published(pending, {"bootstrap_servers": broker.address}) == set(pending)


def test_rolling_restart_with_sigterm_loses_and_doubles_nothing(stack, broker):
    """SIGTERM (a rolling update): the router finishes its batch, commits, and the next one takes over."""
    urls, _, processes = stack
    router = processes["router"]
    with Stream(broker.address, per_second=150) as stream:
        for _ in range(3):
            router.wait_ready(urls["router"] + "/readyz", timeout=120)
            time.sleep(1.0)
            router.restart()
        router.wait_ready(urls["router"] + "/readyz", timeout=120)
        time.sleep(1)
    copies = copies_of(broker.address, stream.ids)
    assert set(copies) == set(stream.ids), f"{len(set(stream.ids) - set(copies))} lost"
    assert max(copies.values()) == 1


def test_the_router_publishes_a_message_id_once_however_often_it_is_on_inbound(stack, broker):
    message = codec.ContactMessage(
        id=str(uuid.uuid4()), channel=codec.Channel.CHANNEL_WEBFORM, channel_message_id=str(uuid.uuid4()),
        conversation_id=f"wf-{uuid.uuid4()}", received_at=codec.timestamp_from_epoch(time.time()),
        text="Het verkeerslicht op de kruising is kapot",
    )
    producer = KafkaProducer(bootstrap_servers=broker.address, acks="all")
    for _ in range(3):  # e.g. an ingestor's timed-out sends that still arrived, and the accepted retry
        producer.send(topics.INBOUND, key=message.conversation_id.encode(), value=message.SerializeToString())
        producer.flush()
        time.sleep(0.3)
    producer.close()
    assert copies_of(broker.address, [message.id])[message.id] == 1
    time.sleep(2)
    assert copies_of(broker.address, [message.id])[message.id] == 1
