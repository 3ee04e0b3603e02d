"""HandledEvents: checked and completed before they are published. Pure."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection

from google.protobuf.timestamp_pb2 import Timestamp

from services.contract import codec
from services.contract.vocabulary import TRIAGE

# A handler id is a pseudonym (staff number, team id): refuse what looks like a person's contact data.
CONTACT_DATA = re.compile(r"@|\+?\d[\d\s-]{7,}")


class InvalidHandledEvent(ValueError):
    """The event cannot be published; the message says why, for the department's developer."""


def complete_handled_event(
    event: codec.HandledEvent, departments: Collection[str], now: Timestamp
) -> codec.HandledEvent:
    """A copy with event_id and occurred_at filled in where missing; raises InvalidHandledEvent."""
    known = {*departments, TRIAGE}
    checked = codec.HandledEvent()
    checked.CopyFrom(event)
    if not checked.conversation_id.strip():
        raise InvalidHandledEvent("conversation_id is required")
    if checked.department not in known:
        raise InvalidHandledEvent(f"unknown department '{checked.department}'")
    if checked.action == codec.HandledAction.HANDLED_ACTION_UNSPECIFIED:
        raise InvalidHandledEvent("action is required (first_reply, closed or handed_over)")
    if checked.action == codec.HandledAction.HANDLED_ACTION_HANDED_OVER:
        if checked.to_department not in known or checked.to_department == checked.department:
            raise InvalidHandledEvent("handed_over needs to_department: another known department")
    elif checked.to_department:
        raise InvalidHandledEvent("to_department is only for handed_over")
    if CONTACT_DATA.search(checked.handler_id):
        raise InvalidHandledEvent("handler_id must be a pseudonymous id, not an e-mail address or phone number")
    if not checked.event_id:
        checked.event_id = str(uuid.uuid4())
    if not checked.HasField("occurred_at"):
        checked.occurred_at.CopyFrom(now)
    elif checked.occurred_at.seconds > now.seconds + 300:
        raise InvalidHandledEvent("occurred_at lies in the future")
    return checked


def parse_action(name: str) -> int:
    """'first_reply' / 'first-reply' → HANDLED_ACTION_FIRST_REPLY."""
    try:
        return codec.HandledAction.Value("HANDLED_ACTION_" + name.upper().replace("-", "_"))
    except ValueError as exc:
        raise InvalidHandledEvent(f"unknown action '{name}' (first_reply, closed, handed_over)") from exc
