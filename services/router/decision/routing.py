"""A batch of inbound records → output records. Pure: the caller supplies the clock, the conversation
memory it read, and does the I/O.

For each record: decode (or dead-letter), decide (in one classifier call for the batch), keep a
follow-up with its conversation's department, rate urgency, detect the language, and mask personal
data in the text before it goes to a department or triage topic. contact.inbound keeps the original.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from google.protobuf.timestamp_pb2 import Timestamp

from services.contract import codec, topics
from services.contract.vocabulary import TRIAGE
from services.router.decision.deciders import (
    Decider,
    UrgencyRater,
    follow_conversation,
    message_text,
)
from services.router.decision.language import detect_language
from services.router.decision.outgoing import protect

_LANGUAGE_CODE = re.compile(r"[a-z]{2}")


@dataclass(frozen=True)
class Outcome:
    topic: str
    key: bytes
    value: bytes
    # For metrics: department id, TRIAGE or "deadletter"; the routing method; the channel.
    destination: str
    method: str
    channel: str
    conversation_id: str = ""
    department: str = ""
    message_id: str = ""


@dataclass(frozen=True)
class SourceRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


@dataclass
class RoutingContext:
    """What routing needs besides the records: the decider, urgency terms and the conversation memory."""

    decider: Decider
    urgency: UrgencyRater | None = None
    # conversation id → department it was routed to before (read by the caller for this batch).
    earlier: Mapping[str, str] = field(default_factory=dict)
    # A follow-up changes department only when the new decision is at least this sure.
    switch_at: float = 0.9


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
    protect(letter)
    return Outcome(topics.DEADLETTER, record.key or b"", letter.SerializeToString(), "deadletter", stage, "unknown")


def prepare(message: codec.ContactMessage) -> codec.ContactMessage:
    """The copy that leaves contact.inbound: every field protected by its policy (personal data masked,
    services/router/decision/outgoing.py), language set. The decider sees what departments will see."""
    outgoing = codec.ContactMessage()
    outgoing.CopyFrom(message)
    protect(outgoing)
    if not _LANGUAGE_CODE.fullmatch(outgoing.language):  # only a code passes on: the field is "ours"
        outgoing.language = detect_language(outgoing.text)
    return outgoing


def routed_outcome(message: codec.ContactMessage, decision: codec.RoutingDecision, now: Timestamp) -> Outcome:
    """`message` as prepare() left it; the decision's reasons are protected here."""
    routed = codec.RoutedMessage(message=message, decision=decision, routed_at=now)
    protect(routed.decision)
    if decision.triage or not decision.department:
        topic, destination = topics.TRIAGE, TRIAGE
    else:
        topic, destination = topics.routed_topic(decision.department), decision.department
    return Outcome(
        topic=topic,
        key=message.conversation_id.encode(),
        value=routed.SerializeToString(),
        destination=destination,
        method=codec.method_label(decision.method),
        channel=codec.channel_label(message.channel),
        conversation_id=message.conversation_id,
        department=decision.department if not decision.triage else "",
        message_id=message.id,
    )


def route_records(records: Sequence[SourceRecord], context: RoutingContext, now: Timestamp) -> list[Outcome]:
    """Outcomes in the order of the records; anything undecodable or undecidable is a dead letter."""
    outcomes: list[Outcome | None] = [None] * len(records)
    decodable: list[tuple[int, codec.ContactMessage]] = []
    for index, record in enumerate(records):
        try:
            decodable.append((index, prepare(codec.decode_valid_contact(record.value))))
        except codec.UndecodableRecord as exc:
            outcomes[index] = dead_letter(record, "router.decode", str(exc), now)
    try:
        decisions = context.decider.decide_batch([m for _, m in decodable])
    except Exception:  # noqa: BLE001 - fall back to one by one, so one bad message cannot stop the batch
        decisions = []
        for _, message in decodable:
            try:
                decisions.append(context.decider.decide_batch([message])[0])
            except Exception as exc:  # noqa: BLE001
                # The type only: an exception message could quote the citizen's text.
                decisions.append(type(exc).__name__)
    # Within a batch, a conversation's earlier message counts as "before" for its later ones.
    earlier = dict(context.earlier)
    for (index, message), decision in zip(decodable, decisions):
        if isinstance(decision, str):
            outcomes[index] = dead_letter(records[index], "router.decide", f"decider raised {decision}", now)
            continue
        decision = follow_conversation(decision, earlier.get(message.conversation_id), context.switch_at)
        if context.urgency is not None:
            decision.priority, urgency_reasons = context.urgency.rate(message_text(message))
            decision.reasons.extend(urgency_reasons)
        else:
            decision.priority = codec.Priority.PRIORITY_NORMAL
        if not decision.triage and decision.department:
            earlier[message.conversation_id] = decision.department
        outcomes[index] = routed_outcome(message, decision, now)
    return [o for o in outcomes if o is not None]


def decide_text(context: RoutingContext, text: str, subject: str = "", channel: int = 0) -> codec.RoutedMessage:
    """What the router would decide for this text as the first message of a conversation."""
    now = Timestamp()
    now.GetCurrentTime()
    message = codec.ContactMessage(
        id="classify", channel=channel or codec.Channel.CHANNEL_WEBFORM, conversation_id="classify",
        text=text, subject=subject, received_at=now,
    )
    first_message = RoutingContext(context.decider, context.urgency, {}, context.switch_at)
    [outcome] = route_records([SourceRecord("classify", 0, 0, None, message.SerializeToString())], first_message, now)
    if outcome.topic == topics.DEADLETTER:
        raise ValueError(codec.DeadLetter.FromString(outcome.value).error)
    return codec.decode_routed(outcome.value)


def reroute(
    routed: codec.RoutedMessage, department: str, staff_id: str, note: str, now: Timestamp, category: str = ""
) -> tuple[Outcome, codec.Correction]:
    """A person moves a routed message to `department` (and `category`, which the caller checked belongs to
    it): the new routed record and the correction event."""
    previous = TRIAGE if routed.decision.triage else routed.decision.department
    decision = codec.RoutingDecision(
        department=department,
        category=category,
        confidence=1.0,
        method=codec.RoutingMethod.ROUTING_METHOD_MANUAL,
        candidates=routed.decision.candidates,
        priority=routed.decision.priority,
        # Who moved it stays in the correction (webcare's audit trail), not on the department's topic.
        reasons=[f"handmatig verplaatst van {previous} naar {department}{f' ({category})' if category else ''}"]
        + ([f"toelichting: {note}"] if note else []),
    )
    message = codec.ContactMessage()
    message.CopyFrom(routed.message)
    protect(message)  # kept before its fields were all protected, perhaps
    outcome = routed_outcome(message, decision, now)
    correction = codec.Correction(
        message_id=routed.message.id, conversation_id=routed.message.conversation_id,
        channel=routed.message.channel, previous_destination=previous, department=department,
        staff_id=staff_id, note=note, text=routed.message.text, subject=routed.message.subject,
        corrected_at=now, previous_category=routed.decision.category, category=category,
    )
    protect(correction)
    return outcome, correction
