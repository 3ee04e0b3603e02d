"""What may leave the router: every string field of every message type it publishes, and how it is
protected. Pure.

The router publishes RoutedMessage (department and triage topics), Correction (contact.corrections),
HandledEvent (contact.handled) and DeadLetter (contact.deadletter). Each string field (also inside nested
messages, repeated fields and map values) has one entry in FIELD_POLICY:

  MASK        free text a citizen or staff member wrote or chose: BSN, IBAN, phone numbers and e-mail
              addresses are replaced by their kind ([BSN], ...);
  IDENTIFIER  an id a platform, a mail client or another system made: e-mail addresses in it are masked
              (a Message-ID can hold the sender's address), the rest is kept so it still identifies;
  DROP        cleared before publishing;
  OURS        written by our own code from a closed set or a keyed hash: cannot carry input.

`protect` applies the policy by walking the message's descriptors, so a field added to the proto is
masked even before anyone lists it; tests/unit/router/decision/test_outgoing.py fails until it is listed
with a reason.
"""

from __future__ import annotations

from enum import Enum

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from services.contract import codec
from services.router.decision.privacy import mask_email_addresses, mask_personal_data


class Protection(Enum):
    MASK = "mask"
    IDENTIFIER = "identifier"
    DROP = "drop"
    OURS = "ours"


MASK, IDENTIFIER, DROP, OURS = Protection.MASK, Protection.IDENTIFIER, Protection.DROP, Protection.OURS
# The message types the router publishes.
OUTGOING_TYPES: tuple[type[Message], ...] = (
    codec.RoutedMessage, codec.Correction, codec.HandledEvent, codec.DeadLetter,
)
_V1 = "gemeente.contact.v1."
# Full proto field name → (protection, why). Covers every string field reachable from OUTGOING_TYPES.
FIELD_POLICY: dict[str, tuple[Protection, str]] = {
    f"{_V1}{name}": policy
    for name, policy in {
        # ContactMessage, as the ingestors normalised it
        "ContactMessage.id": (OURS, "sha-256 of channel and platform id, made by the ingestor"),
        "ContactMessage.channel_message_id": (IDENTIFIER, "platform id (wamid, tweet id, Message-ID) for replies"),
        "ContactMessage.conversation_id": (OURS, "keyed hash made by the ingestor, never a handle"),
        "ContactMessage.author_id": (OURS, "keyed hash of the channel handle"),
        "ContactMessage.display_name": (MASK, "a name the citizen chose; may hold an address or number"),
        "ContactMessage.subject": (MASK, "citizen's text"),
        "ContactMessage.text": (MASK, "citizen's text"),
        "ContactMessage.language": (OURS, "ISO 639-1 code set by language detection"),
        "ContactMessage.in_reply_to": (IDENTIFIER, "platform id of the message answered"),
        "ContactMessage.MetadataEntry.key": (OURS, "keys are written by the ingestors' code"),
        "ContactMessage.MetadataEntry.value": (MASK, "copied from the payload (web form category, KCC case reference)"),
        "Attachment.kind": (MASK, "from the payload's type field"),
        "Attachment.mime_type": (MASK, "from the payload"),
        "Attachment.file_name": (MASK, "the citizen named the file"),
        "Attachment.reference": (IDENTIFIER, "media id or URL to fetch the file"),
        "Attachment.caption": (MASK, "citizen's text"),
        "Location.name": (MASK, "citizen's or platform's place name"),
        "Location.address": (MASK, "may be the citizen's own address"),
        # RoutingDecision, made by the router
        "RoutingDecision.department": (OURS, "a department id of the configuration"),
        "RoutingDecision.reasons": (MASK, "words of the (masked) text, a staff member's note"),
        "RoutingDecision.category": (OURS, "a category id of the taxonomy"),
        "RoutingDecision.model_version": (OURS, "the model file's kind and digest, set by the router"),
        "DepartmentScore.department": (OURS, "a department id of the configuration"),
        "DepartmentScore.category": (OURS, "a category id of the taxonomy"),
        # Correction, on contact.corrections (webcare and model training)
        "Correction.message_id": (OURS, "ContactMessage.id"),
        "Correction.conversation_id": (OURS, "ContactMessage.conversation_id"),
        "Correction.previous_destination": (OURS, "a department id or triage"),
        "Correction.department": (OURS, "a department id, validated by Reroute"),
        "Correction.staff_id": (IDENTIFIER, "who moved it, for the audit trail; a staff number"),
        "Correction.note": (MASK, "a staff member's free text"),
        "Correction.text": (MASK, "citizen's text"),
        "Correction.subject": (MASK, "citizen's text"),
        "Correction.previous_category": (OURS, "a category id of the taxonomy"),
        "Correction.category": (OURS, "a category id, validated by Reroute"),
        # HandledEvent, reported by department systems
        "HandledEvent.event_id": (IDENTIFIER, "the reporting system's id"),
        "HandledEvent.conversation_id": (IDENTIFIER, "as reported; should be ContactMessage.conversation_id"),
        "HandledEvent.message_id": (IDENTIFIER, "as reported; should be ContactMessage.id"),
        "HandledEvent.department": (OURS, "a department id, validated"),
        "HandledEvent.to_department": (OURS, "a department id, validated"),
        "HandledEvent.handler_id": (IDENTIFIER, "a staff number or team id"),
        # DeadLetter, on contact.deadletter (ops only, for replay after a fix)
        "DeadLetter.source_topic": (OURS, "a topic name"),
        "DeadLetter.stage": (OURS, "a stage name of our code"),
        "DeadLetter.error": (MASK, "an exception's message could quote a value"),
        "DeadLetter.original_path": (OURS, "our webhook path"),
        "DeadLetter.OriginalHeadersEntry.key": (OURS, "the signature header names we keep"),
        "DeadLetter.OriginalHeadersEntry.value": (OURS, "signatures: hashes, not input"),
    }.items()
}
# bytes fields: kept as they are, and why.
BYTES_POLICY: dict[str, str] = {
    f"{_V1}DeadLetter.original": "the exact record, so it can be replayed once fixed; contact.deadletter is "
                                 "readable by ops only and kept 14 days (docs/security.md)",
    f"{_V1}DeadLetter.original_key": "the record's key: a conversation id (a keyed hash)",
}


def _protected(value: str, protection: Protection) -> str:
    if protection is MASK:
        return mask_personal_data(value).text
    if protection is IDENTIFIER:
        return mask_email_addresses(value)
    return value


def protect(message: Message) -> None:
    """Apply FIELD_POLICY in place to every set field of `message`, nested messages included. A string
    field not in the policy is masked (the test names it)."""
    for field, value in message.ListFields():
        action = _ACTIONS.get(field) or _action_of(field)
        if action is _NESTED:
            protect(value)
        elif action is _NESTED_REPEATED:
            for item in value:
                protect(item)
        elif action is _MAP:
            _protect_map(message, field, value)
        elif action is DROP:
            message.ClearField(field.name)
        elif action is not OURS:  # MASK or IDENTIFIER, of a string field
            if field.is_repeated:
                value[:] = [_protected(item, action) for item in value]
            else:
                setattr(message, field.name, _protected(value, action))


# What protect() does with a field, decided once per field of the schema (a closed set, so the cache is
# bounded): the descriptor and policy lookups cost more than masking a short text.
_NESTED, _NESTED_REPEATED, _MAP = object(), object(), object()
_ACTIONS: dict[FieldDescriptor, object] = {}


def _action_of(field: FieldDescriptor) -> object:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.GetOptions().map_entry:
            action = _MAP
        else:
            action = _NESTED_REPEATED if field.is_repeated else _NESTED
    elif field.type == FieldDescriptor.TYPE_STRING:
        action = FIELD_POLICY.get(field.full_name, (MASK, ""))[0]
    else:
        action = OURS  # numbers, enums, booleans and bytes (BYTES_POLICY) carry no text to mask
    _ACTIONS[field] = action
    return action


def _protect_map(message: Message, field: FieldDescriptor, entries) -> None:
    key_field = field.message_type.fields_by_name["key"]
    value_field = field.message_type.fields_by_name["value"]
    key_protection = FIELD_POLICY.get(key_field.full_name, (MASK, ""))[0]
    value_protection = FIELD_POLICY.get(value_field.full_name, (MASK, ""))[0]
    if value_field.type != FieldDescriptor.TYPE_STRING or key_field.type != FieldDescriptor.TYPE_STRING:
        raise TypeError(f"{field.full_name}: only map<string, string> is handled")
    protected = {
        _protected(k, key_protection): _protected(v, value_protection)
        for k, v in entries.items()
        if key_protection is not DROP and value_protection is not DROP
    }
    message.ClearField(field.name)
    getattr(message, field.name).update(protected)
