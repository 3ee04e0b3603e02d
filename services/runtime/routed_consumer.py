"""The consumer side that departments and webcare reuse: follow a routed or the triage topic, hand each
RoutedMessage to your code, commit after it returns. A record that is not a RoutedMessage is skipped and
reported (logged by its coordinates, and put on contact.deadletter when a producer is given), never a crash:
one bad record must not stop a department's intake. Committed offsets make a restart continue where the
last handled record left off (your handler may see a record again after a crash: be idempotent on
`message.id`).

    consumer = KafkaConsumer("contact.routed.afval", group_id="afval-zaaksysteem", enable_auto_commit=False, ...)
    follow_routed(consumer, handle=create_case)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from services.contract import codec, topics

log = logging.getLogger(__name__)
STAGE = "consumer.decode"


@dataclass(frozen=True)
class BadRecord:
    topic: str
    partition: int
    offset: int
    reason: str
    value: bytes
    key: bytes


class Committer(Protocol):
    def commit(self) -> Any: ...


def decoded(record: Any) -> codec.RoutedMessage | BadRecord:
    """The record's RoutedMessage, or why it is not one."""
    try:
        return codec.decode_routed(record.value)
    except codec.UndecodableRecord as exc:
        return BadRecord(record.topic, record.partition, record.offset, str(exc), record.value or b"", record.key or b"")


def log_bad_record(bad: BadRecord) -> None:
    # Coordinates and the reason only: the bytes may hold a citizen's text.
    log.warning("skipped an unreadable record at %s/%d@%d: %s", bad.topic, bad.partition, bad.offset, bad.reason)


def dead_letter_bad_records(send: Callable[[str, bytes, bytes], Any]) -> Callable[[BadRecord], None]:
    """A reporter that also puts each bad record on contact.deadletter (`send(topic, key, value)` must
    wait until Kafka has it, e.g. `lambda t, k, v: producer.send(t, key=k, value=v).get(10)`)."""

    def report(bad: BadRecord) -> None:
        log_bad_record(bad)
        letter = codec.DeadLetter(
            original=bad.value, original_key=bad.key, source_topic=bad.topic, source_partition=bad.partition,
            source_offset=bad.offset, stage=STAGE, error=bad.reason, failed_at=codec.timestamp_from_epoch(time.time()),
        )
        send(topics.DEADLETTER, bad.key, letter.SerializeToString())

    return report


def follow_routed(
    consumer: Iterable[Any] | Committer,
    handle: Callable[[codec.RoutedMessage], object],
    report_bad: Callable[[BadRecord], object] = log_bad_record,
    max_records: int = 0,
) -> tuple[int, int]:
    """Handle records until `max_records` (0: forever); returns (handled, skipped). Commits after each
    record, handled or skipped, so neither is read again after a restart."""
    handled = skipped = 0
    for record in consumer:  # type: ignore[union-attr]
        message = decoded(record)
        if isinstance(message, BadRecord):
            report_bad(message)
            skipped += 1
        else:
            handle(message)
            handled += 1
        consumer.commit()  # type: ignore[union-attr]
        if max_records and handled + skipped >= max_records:
            break
    return handled, skipped
