"""route_records: inbound bytes → routed, triage or dead-letter records, masked, with stickiness."""

from datetime import datetime, timezone

from services.contract import codec, topics
from services.contract.departments import load_routing_config
from services.router.decision.deciders import RuleDecider, UrgencyRater
from services.router.decision.routing import RoutingContext, SourceRecord, route_records
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

NOW = codec.timestamp(datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc))
CONFIG = load_routing_config(DEFAULT_DEPARTMENTS_FILE)
CONTEXT = RoutingContext(RuleDecider(CONFIG, 0.5), UrgencyRater(CONFIG.urgency))


def inbound(text: str, conversation: str = "wa-abc", **overrides) -> bytes:
    message = codec.ContactMessage(
        id=f"m-{hash(text)}", channel=codec.Channel.CHANNEL_WHATSAPP, channel_message_id="wamid.1",
        conversation_id=conversation, text=text,
        received_at=codec.timestamp(datetime(2026, 11, 23, 9, 59, 59, tzinfo=timezone.utc)),
    )
    for field, value in overrides.items():
        setattr(message, field, value)
    return message.SerializeToString()


def record(value: bytes, offset: int = 41) -> SourceRecord:
    return SourceRecord(topics.INBOUND, 2, offset, b"wa-abc", value)


def route_one(value: bytes, context: RoutingContext = CONTEXT):
    [outcome] = route_records([record(value)], context, NOW)
    return outcome


def test_routed_message_goes_to_its_department_topic_keyed_by_conversation():
    outcome = route_one(inbound("Kliko niet geleegd"))
    assert outcome.topic == "contact.routed.afval"
    assert outcome.key == b"wa-abc"
    routed = codec.decode_routed(outcome.value)
    assert routed.message.text == "Kliko niet geleegd"
    assert routed.message.language == "nl"
    assert routed.decision.department == "afval"
    assert routed.routed_at == NOW
    assert (outcome.destination, outcome.method, outcome.channel) == ("afval", "rule", "whatsapp")


def test_personal_data_is_masked_on_the_way_out():
    routed = codec.decode_routed(route_one(inbound("Mijn paspoort is verlopen, bsn 123456782, bel 0612345678")).value)
    assert routed.message.text == "Mijn paspoort is verlopen, bsn [BSN], bel [TELEFOON]"
    assert b"123456782" not in route_one(inbound("bsn 123456782 paspoort verlopen")).value


def test_urgency_is_rated():
    routed = codec.decode_routed(route_one(inbound("Er ligt een omgevallen boom op de weg, levensgevaarlijk")).value)
    assert routed.decision.priority == codec.Priority.PRIORITY_URGENT
    assert any(reason.startswith("spoed") for reason in routed.decision.reasons)
    assert codec.decode_routed(route_one(inbound("Kliko niet geleegd")).value).decision.priority == codec.Priority.PRIORITY_NORMAL


def test_unplaceable_message_goes_to_triage():
    outcome = route_one(inbound("Hallo?"))
    assert outcome.topic == topics.TRIAGE
    assert codec.decode_routed(outcome.value).decision.triage


def test_a_follow_up_stays_with_its_conversation_unless_clearly_elsewhere():
    sticky = RoutingContext(CONTEXT.decider, CONTEXT.urgency, {"wa-abc": "afval"}, switch_at=0.7)
    follow_up = codec.decode_routed(route_one(inbound("Ja, graag. Dank u!"), sticky).value)
    assert follow_up.decision.department == "afval"
    assert follow_up.decision.method == codec.RoutingMethod.ROUTING_METHOD_STICKY
    assert follow_up.decision.reasons[0] == "vervolg in gesprek, eerder naar afval"
    elsewhere = codec.decode_routed(route_one(inbound("Mijn paspoort en ID-kaart zijn verlopen, afspraak balie"), sticky).value)
    assert elsewhere.decision.department == "burgerzaken"
    assert elsewhere.decision.reasons[0].startswith("ander onderwerp: eerder afval")


def test_within_a_batch_the_first_message_sets_the_conversation():
    outcomes = route_records([record(inbound("Kliko niet geleegd"), 1), record(inbound("ok, dank je"), 2)], CONTEXT, NOW)
    assert [o.department for o in outcomes] == ["afval", "afval"]
    assert codec.decode_routed(outcomes[1].value).decision.method == codec.RoutingMethod.ROUTING_METHOD_STICKY


def test_garbage_becomes_a_dead_letter_with_the_original_bytes():
    outcome = route_one(b"\xff\x00garbage")
    assert outcome.topic == topics.DEADLETTER
    letter = codec.DeadLetter.FromString(outcome.value)
    assert letter.original == b"\xff\x00garbage"
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == (topics.INBOUND, 2, 41)
    assert letter.stage == "router.decode" and letter.error


def test_a_message_missing_its_ids_is_a_dead_letter():
    outcome = route_one(inbound("x", conversation=""))
    assert outcome.topic == topics.DEADLETTER
    assert "conversation_id" in codec.DeadLetter.FromString(outcome.value).error


class ExplodingDecider:
    def decide_batch(self, messages):
        if any("boem" in m.text for m in messages):
            raise ZeroDivisionError("secret citizen text must not leak")
        return CONTEXT.decider.decide_batch(messages)


def test_a_decider_failure_dead_letters_only_that_message():
    outcomes = route_records(
        [record(inbound("boem"), 1), record(inbound("Kliko niet geleegd"), 2)],
        RoutingContext(ExplodingDecider()), NOW,
    )
    letter = codec.DeadLetter.FromString(outcomes[0].value)
    assert outcomes[0].topic == topics.DEADLETTER and letter.stage == "router.decide"
    assert letter.error == "decider raised ZeroDivisionError"
    assert outcomes[1].topic == "contact.routed.afval"
