"""Test helpers for reading topics on the real broker."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from kafka import KafkaConsumer, TopicPartition


def read_topics(
    bootstrap: str,
    topic_names: Iterable[str],
    until: Callable[[list], bool],
    timeout: float = 30.0,
) -> list:
    """All records of the topics from the beginning, polling until `until(records)` or the timeout.

    Assigns partitions directly (no consumer group), so no group join delays the read.
    """
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=500)
    try:
        partitions = [
            TopicPartition(topic, p) for topic in topic_names for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records: list = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
            if until(records):
                break
        return records
    finally:
        consumer.close()


def routed_with_id(bootstrap: str, topic_names: Iterable[str], message_id: str, timeout: float = 30) -> list:
    """The records of these routed/triage topics whose RoutedMessage has this message id."""
    from services.contract import codec

    def matches(record) -> bool:
        return codec.decode_routed(record.value).message.id == message_id

    records = read_topics(bootstrap, topic_names, until=lambda recs: any(matches(r) for r in recs), timeout=timeout)
    return [r for r in records if matches(r)]


def all_decided_topics() -> list[str]:
    from services.contract import topics
    from services.contract.departments import load_departments
    from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

    return [topics.TRIAGE, *(topics.routed_topic(d.id) for d in load_departments(DEFAULT_DEPARTMENTS_FILE))]
