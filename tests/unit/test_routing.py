"""route_record: inbound bytes → routed, triage or dead-letter record."""

from datetime import datetime, timezone

from services.common import codec, topics
from services.common.departments import load_departments
from services.common.settings import DEFAULT_DEPARTMENTS_FILE
from services.router.decision import RuleDecider
from services.router.routing import SourceRecord, route_record

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
DECIDER = RuleDecider(load_departments(DEFAULT_DEPARTMENTS_FILE), 0.5)


def inbound(text: str, **overrides) -> codec.ContactMessage:
    message = codec.ContactMessage(
        id="m-1", channel=codec.Channel.CHANNEL_WHATSAPP, channel_message_id="wamid.1",
        conversation_id="wa-abc", text=text, received_at=codec.timestamp(datetime(2026, 11, 23, 9, 59, 59, tzinfo=timezone.utc)),
    )
    for field, value in overrides.items():
        if value is None:
            message.ClearField(field)
        else:
            setattr(message, field, value)
    return message


def record(value: bytes) -> SourceRecord:
    return SourceRecord(topics.INBOUND, 2, 41, b"wa-abc", value)


def test_routed_message_goes_to_its_department_topic_keyed_by_conversation():
    outcome = route_record(record(inbound("Kliko niet geleegd").SerializeToString()), DECIDER, NOW)
    assert outcome.topic == "contact.routed.afval"
    assert outcome.key == b"wa-abc"
    routed = codec.decode_routed(outcome.value)
    assert routed.message.text == "Kliko niet geleegd"
    assert routed.decision.department == "afval"
    assert codec.epoch_seconds(routed.routed_at) == NOW.timestamp()
    assert (outcome.destination, outcome.method, outcome.channel) == ("afval", "rule", "whatsapp")


def test_unplaceable_message_goes_to_triage():
    outcome = route_record(record(inbound("Hallo?").SerializeToString()), DECIDER, NOW)
    assert outcome.topic == topics.TRIAGE
    assert codec.decode_routed(outcome.value).decision.triage


def test_garbage_becomes_a_dead_letter_with_the_original_bytes():
    outcome = route_record(record(b"\xff\x00garbage"), DECIDER, NOW)
    assert outcome.topic == topics.DEADLETTER
    letter = codec.DeadLetter.FromString(outcome.value)
    assert letter.original == b"\xff\x00garbage"
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == (topics.INBOUND, 2, 41)
    assert letter.stage == "router.decode"
    assert letter.error


def test_a_message_missing_its_ids_is_a_dead_letter():
    outcome = route_record(record(inbound("x", conversation_id="").SerializeToString()), DECIDER, NOW)
    assert outcome.topic == topics.DEADLETTER
    assert "conversation_id" in codec.DeadLetter.FromString(outcome.value).error


class ExplodingDecider:
    def decide(self, message):
        raise ZeroDivisionError("secret citizen text must not leak")


def test_a_decider_failure_is_a_dead_letter_without_the_exception_text():
    outcome = route_record(record(inbound("x").SerializeToString()), ExplodingDecider(), NOW)
    letter = codec.DeadLetter.FromString(outcome.value)
    assert outcome.topic == topics.DEADLETTER and letter.stage == "router.decide"
    assert letter.error == "decider raised ZeroDivisionError"
