"""One inbound record → one output record. Pure: the caller supplies the clock and does the I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from services.common import codec, topics
from services.router.decision import Decider


@dataclass(frozen=True)
class Outcome:
    topic: str
    key: bytes
    value: bytes
    # For metrics: department id, "triage" or "deadletter"; the routing method; the channel.
    destination: str
    method: str
    channel: str


@dataclass(frozen=True)
class SourceRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


def dead_letter(record: SourceRecord, stage: str, error: str, failed_at: Timestamp) -> Outcome:
    letter = codec.DeadLetter(
        original=record.value,
        original_key=record.key or b"",
        source_topic=record.topic,
        source_partition=record.partition,
        source_offset=record.offset,
        stage=stage,
        error=error,
        failed_at=failed_at,
    )
    return Outcome(topics.DEADLETTER, record.key or b"", letter.SerializeToString(), "deadletter", stage, "unknown")


def route_record(record: SourceRecord, decider: Decider, now: datetime | Timestamp) -> Outcome:
    """Decode, decide, wrap; anything undecodable or a decider failure becomes a dead letter.

    `now` may be a ready Timestamp, so a batch converts its clock reading once.
    """
    routed_at = now if isinstance(now, Timestamp) else codec.timestamp(now)
    try:
        message = codec.decode_valid_contact(record.value)
    except codec.UndecodableRecord as exc:
        return dead_letter(record, "router.decode", str(exc), routed_at)
    try:
        decision = decider.decide(message)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop the stream
        # The type only: an exception message could quote the citizen's text.
        return dead_letter(record, "router.decide", f"decider raised {type(exc).__name__}", routed_at)
    routed = codec.RoutedMessage(message=message, decision=decision, routed_at=routed_at)
    if decision.triage or not decision.department:
        topic, destination = topics.TRIAGE, "triage"
    else:
        topic, destination = topics.routed_topic(decision.department), decision.department
    return Outcome(
        topic=topic,
        key=message.conversation_id.encode(),
        value=routed.SerializeToString(),
        destination=destination,
        method=codec.method_label(decision.method),
        channel=codec.channel_label(message.channel),
    )
