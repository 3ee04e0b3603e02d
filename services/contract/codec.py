"""The protobuf contract in one place: message classes, channel labels, ids, encode/decode."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from gemeente.contact.v1 import alerts_pb2, handling_pb2, replies_pb2, routing_pb2
from gemeente.contact.v1 import contact_pb2 as pb
from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp

ContactMessage = pb.ContactMessage
RoutedMessage = pb.RoutedMessage
RoutingDecision = pb.RoutingDecision
DeadLetter = pb.DeadLetter
Attachment = pb.Attachment
Location = pb.Location
DepartmentScore = pb.DepartmentScore
Channel = pb.Channel
RoutingMethod = pb.RoutingMethod
Priority = pb.Priority
Correction = routing_pb2.Correction
HandledEvent = handling_pb2.HandledEvent
HandledAction = handling_pb2.HandledAction
SpikeAlert = alerts_pb2.SpikeAlert
Reply = replies_pb2.Reply
ReplyTemplate = replies_pb2.ReplyTemplate
ReplyStatus = replies_pb2.ReplyStatus
ReplyState = replies_pb2.ReplyState
ReplyFailure = replies_pb2.ReplyFailure
AuthorRole = replies_pb2.AuthorRole
ReplyVisibility = replies_pb2.ReplyVisibility

# Fixed namespace: our message id is uuid5(namespace, "<channel>:<channel message id>"), so a
# redelivered webhook yields the same id in every replica, and downstream can deduplicate on it.
_MESSAGE_NAMESPACE = uuid.UUID("6f1c3a52-8d0e-4b7a-9c1e-2a4d5e6f7a8b")


def _enum_label(enum, value: int, prefix: str) -> str:  # noqa: ANN001 - a protobuf enum wrapper
    """The enum value's name without its prefix, lower case; "unknown" for a number the enum does not
    have (proto3 keeps unknown numbers): labels and log fields stay within the enum's closed set."""
    try:
        return enum.Name(value).removeprefix(prefix).lower()
    except ValueError:
        return "unknown"


def channel_label(channel: int) -> str:
    """CHANNEL_WHATSAPP -> 'whatsapp': the label used in metrics and logs."""
    return _enum_label(pb.Channel, channel, "CHANNEL_")


def channel_labels() -> list[str]:
    """Every channel's label (the enum's values other than UNSPECIFIED)."""
    return [channel_label(number) for number in pb.Channel.values() if number != pb.CHANNEL_UNSPECIFIED]


def method_label(method: int) -> str:
    return _enum_label(pb.RoutingMethod, method, "ROUTING_METHOD_")


def priority_label(priority: int) -> str:
    return _enum_label(pb.Priority, priority, "PRIORITY_")


def action_label(action: int) -> str:
    """HANDLED_ACTION_FIRST_REPLY -> 'first_reply'."""
    return _enum_label(handling_pb2.HandledAction, action, "HANDLED_ACTION_")


def reply_state_label(state: int) -> str:
    """REPLY_STATE_SENT -> 'sent'."""
    return _enum_label(replies_pb2.ReplyState, state, "REPLY_STATE_")


def reply_failure_label(failure: int) -> str:
    """REPLY_FAILURE_WINDOW_CLOSED -> 'window_closed'."""
    return _enum_label(replies_pb2.ReplyFailure, failure, "REPLY_FAILURE_")


def author_role_label(role: int) -> str:
    return _enum_label(replies_pb2.AuthorRole, role, "AUTHOR_ROLE_")


def message_id(channel: int, channel_message_id: str) -> str:
    return str(uuid.uuid5(_MESSAGE_NAMESPACE, f"{channel_label(channel)}:{channel_message_id}"))


def timestamp(moment: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment.astimezone(timezone.utc))
    return ts


def timestamp_from_epoch(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1_000_000_000))
    return ts


def epoch_seconds(ts: Timestamp) -> float:
    return ts.seconds + ts.nanos / 1e9


class UndecodableRecord(ValueError):
    """A record value that is not the protobuf message its topic promises."""


def decode_contact(data: bytes) -> ContactMessage:
    return _decode(ContactMessage, data)


def decode_routed(data: bytes) -> RoutedMessage:
    return _decode(RoutedMessage, data)


def decode_handled(data: bytes) -> HandledEvent:
    return _decode(HandledEvent, data)


def decode_reply(data: bytes) -> Reply:
    return _decode(Reply, data)


def decode_reply_status(data: bytes) -> ReplyStatus:
    return _decode(ReplyStatus, data)


def _decode(cls, data: bytes):
    if not data:
        raise UndecodableRecord(f"empty record, expected {cls.DESCRIPTOR.full_name}")
    message = cls()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise UndecodableRecord(f"not a {cls.DESCRIPTOR.full_name}: {exc}") from exc
    return message


def decode_valid_contact(data: bytes) -> ContactMessage:
    """Decode an inbound record and check the fields every later stage relies on.

    Protobuf parses many arbitrary byte strings without complaint, so a decode alone proves little.
    """
    message = decode_contact(data)
    missing = [
        name
        for name, present in (
            ("id", bool(message.id)),
            ("channel", message.channel != pb.CHANNEL_UNSPECIFIED),
            ("conversation_id", bool(message.conversation_id)),
            ("received_at", message.HasField("received_at")),
        )
        if not present
    ]
    if missing:
        raise UndecodableRecord("ContactMessage lacks " + ", ".join(missing))
    return message
