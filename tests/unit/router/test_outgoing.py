"""Every string field of what the router publishes is masked, or listed as safe with a reason; and the
router really masks each of them (a message with personal data in every field goes through route_records,
Reroute and the dead-letter path)."""

from datetime import datetime, timezone

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from services.contract import codec, topics
from services.contract.departments import load_routing_config
from services.router.decision.deciders import RuleDecider, UrgencyRater
from services.router.decision.outgoing import (
    BYTES_POLICY,
    FIELD_POLICY,
    IDENTIFIER,
    MASK,
    OURS,
    OUTGOING_TYPES,
    protect,
)
from services.router.decision.routing import (
    RoutingContext,
    SourceRecord,
    reroute,
    route_records,
)
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

NOW = codec.timestamp(datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc))
CONFIG = load_routing_config(DEFAULT_DEPARTMENTS_FILE)
CONTEXT = RoutingContext(RuleDecider(CONFIG, 0.5), UrgencyRater(CONFIG.urgency))
# Personal data of each kind the masker knows, as a citizen or staff member might type it in any field.
PERSONAL = {
    "BSN": "123456782", "IBAN": "NL91ABNA0417164300", "E-MAIL": "jan.jansen@example.nl", "TELEFOON": "0612345678",
}
FREE_TEXT = "Jan, bsn {BSN}, rekening {IBAN}, mail {E-MAIL}, bel {TELEFOON}".format(**PERSONAL)
AN_ID_WITH_AN_ADDRESS = "<20261130.1@jan.jansen.example.nl> jan.jansen@example.nl"


def string_fields(descriptor: Descriptor, seen: set[str] | None = None) -> dict[str, FieldDescriptor]:
    """Every string and bytes field reachable from this message type (nested, repeated, map entries)."""
    seen = set() if seen is None else seen
    if descriptor.full_name in seen or descriptor.full_name.startswith("google.protobuf."):
        return {}
    seen.add(descriptor.full_name)
    found = {}
    for field in descriptor.fields:
        if field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES):
            found[field.full_name] = field
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            found |= string_fields(field.message_type, seen)
    return found


def reachable() -> dict[str, FieldDescriptor]:
    fields = {}
    for message_type in OUTGOING_TYPES:
        fields |= string_fields(message_type.DESCRIPTOR)
    return fields


def test_every_string_field_that_leaves_the_router_has_a_policy_and_a_reason():
    fields = reachable()
    strings = {name for name, f in fields.items() if f.type == FieldDescriptor.TYPE_STRING}
    unlisted = sorted(strings - FIELD_POLICY.keys())
    assert not unlisted, f"add these to FIELD_POLICY (services/router/decision/outgoing.py): {unlisted}"
    assert all(reason.strip() for _, reason in FIELD_POLICY.values())
    byte_fields = {name for name, f in fields.items() if f.type == FieldDescriptor.TYPE_BYTES}
    assert byte_fields == set(BYTES_POLICY), "a bytes field leaves the router without a stated reason"
    # No stale entries: every listed field exists.
    assert set(FIELD_POLICY) <= strings


def fill(message: Message, value_for) -> None:
    """Set every string field (recursively) to what value_for(field) gives; two items in repeated ones."""
    for field in message.DESCRIPTOR.fields:
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.full_name.startswith("google.protobuf."):
                continue
            if field.message_type.GetOptions().map_entry:
                key_field = field.message_type.fields_by_name["key"]
                value_field = field.message_type.fields_by_name["value"]
                getattr(message, field.name)[value_for(key_field)] = value_for(value_field)
            elif field.is_repeated:
                for _ in range(2):
                    fill(getattr(message, field.name).add(), value_for)
            else:
                fill(getattr(message, field.name), value_for)
        elif field.type == FieldDescriptor.TYPE_STRING:
            if field.is_repeated:
                getattr(message, field.name).extend([value_for(field), value_for(field)])
            else:
                setattr(message, field.name, value_for(field))


def hostile(field: FieldDescriptor) -> str:
    """Personal data in every field a person can fill; our own fields get plain values of their kind."""
    protection = FIELD_POLICY[field.full_name][0]
    if protection is OURS:
        return {"language": "nl"}.get(field.name, f"ours-{field.name}")
    return AN_ID_WITH_AN_ADDRESS if protection is IDENTIFIER else FREE_TEXT


def leaks(message: Message) -> list[str]:
    """Fields of `message` (walked from its descriptors) that still hold personal data."""
    found = []

    def walk(node: Message, path: str) -> None:
        for field, value in node.ListFields():
            name = f"{path}.{field.name}"
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                if field.message_type.GetOptions().map_entry:
                    items = [f"{k}={v}" for k, v in value.items()]
                elif field.is_repeated:
                    for index, item in enumerate(value):
                        walk(item, f"{name}[{index}]")
                    continue
                else:
                    walk(value, name)
                    continue
            elif field.type == FieldDescriptor.TYPE_STRING:
                items = list(value) if field.is_repeated else [value]
            else:
                continue
            found.extend(f"{name}: {item!r}" for item in items if any(p in item for p in PERSONAL.values()))

    walk(message, message.DESCRIPTOR.name)
    return found


def hostile_inbound() -> codec.ContactMessage:
    message = codec.ContactMessage()
    fill(message, hostile)
    message.channel = codec.Channel.CHANNEL_EMAIL
    message.received_at.CopyFrom(NOW)
    return message


def test_a_message_with_personal_data_in_every_field_leaves_the_router_masked():
    record = SourceRecord(topics.INBOUND, 0, 7, b"k", hostile_inbound().SerializeToString())
    [outcome] = route_records([record], CONTEXT, NOW)
    routed = codec.decode_routed(outcome.value)
    assert leaks(routed) == []
    # Masked, not emptied: staff still see what kind of data was there.
    assert routed.message.text == "Jan, bsn [BSN], rekening [IBAN], mail [E-MAIL], bel [TELEFOON]"
    assert routed.message.attachments[1].caption == routed.message.text
    assert "[E-MAIL]" in routed.message.channel_message_id


def test_reroute_masks_the_note_and_keeps_the_staff_member_off_the_department_topic():
    record = SourceRecord(topics.INBOUND, 0, 7, b"k", hostile_inbound().SerializeToString())
    routed = codec.decode_routed(route_records([record], CONTEXT, NOW)[0].value)
    outcome, correction = reroute(routed, "afval", "medewerker-0042", f"belde zelf: {FREE_TEXT}", NOW)
    moved = codec.decode_routed(outcome.value)
    assert leaks(moved) == [] and leaks(correction) == []
    assert not any("medewerker-0042" in reason for reason in moved.decision.reasons)
    assert correction.staff_id == "medewerker-0042"  # the audit trail keeps who did it
    assert "[BSN]" in correction.note


def test_reroute_protects_a_message_kept_before_every_field_was_protected():
    """The store keeps routed messages for days: one kept by an older router is protected again."""
    old = codec.RoutedMessage(message=hostile_inbound(), decision=codec.RoutingDecision(department="verkeer"))
    outcome, correction = reroute(old, "afval", "medewerker-0042", "", NOW)
    assert leaks(codec.decode_routed(outcome.value)) == [] and leaks(correction) == []


def test_a_dead_letter_keeps_the_original_bytes_and_masks_its_error():
    record = SourceRecord(topics.INBOUND, 0, 7, b"k", b"\xff\xfe not a protobuf " + FREE_TEXT.encode())
    [outcome] = route_records([record], CONTEXT, NOW)
    letter = codec.DeadLetter.FromString(outcome.value)
    assert outcome.topic == topics.DEADLETTER and letter.original == record.value  # replayable as it was
    letter.error = f"could not parse {FREE_TEXT}"
    protect(letter)
    assert leaks(letter) == []


@pytest.mark.parametrize("message_type", OUTGOING_TYPES, ids=lambda t: t.DESCRIPTOR.name)
def test_protect_leaves_no_personal_data_in_any_outgoing_type(message_type):
    message = message_type()
    fill(message, hostile)
    protect(message)
    assert leaks(message) == []


def test_an_unlisted_string_field_is_masked_anyway(monkeypatch):
    """A field added to the proto before anyone lists it: masked, not passed on."""
    from services.router.decision import outgoing

    monkeypatch.delitem(outgoing.FIELD_POLICY, "gemeente.contact.v1.ContactMessage.display_name")
    message = codec.ContactMessage(display_name=FREE_TEXT)
    protect(message)
    assert leaks(message) == [] and "[BSN]" in message.display_name


def test_policy_kinds_are_used_as_documented():
    kinds = {protection for protection, _ in FIELD_POLICY.values()}
    assert {MASK, IDENTIFIER, OURS} <= kinds
