"""HandledEvents are checked before they reach contact.handled; the CLI builds them from arguments."""

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from services.contract import codec
from services.contract.handling import InvalidHandledEvent, complete_handled_event
from tools.handling.__main__ import event_from_args, parse_args

DEPARTMENTS = ["afval", "verkeer"]
NOW = Timestamp(seconds=1_795_000_000)
FIRST_REPLY = codec.HandledAction.HANDLED_ACTION_FIRST_REPLY
HANDED_OVER = codec.HandledAction.HANDLED_ACTION_HANDED_OVER


def event(**fields) -> codec.HandledEvent:
    values = {"conversation_id": "conv-1", "department": "afval", "action": FIRST_REPLY, **fields}
    return codec.HandledEvent(**values)


def test_a_complete_event_gets_an_id_and_a_time():
    completed = complete_handled_event(event(handler_id="team-afval-2"), DEPARTMENTS, NOW)
    assert len(completed.event_id) == 36 and completed.occurred_at == NOW
    again = complete_handled_event(completed, DEPARTMENTS, NOW)
    assert again.event_id == completed.event_id  # a re-sent event keeps its id


@pytest.mark.parametrize(
    "fields, complaint",
    [
        ({"conversation_id": ""}, "conversation_id"),
        ({"department": "parkeren"}, "unknown department"),
        ({"action": codec.HandledAction.HANDLED_ACTION_UNSPECIFIED}, "action"),
        ({"action": HANDED_OVER}, "to_department"),
        ({"action": HANDED_OVER, "to_department": "afval"}, "another"),
        ({"to_department": "verkeer"}, "only for handed_over"),
        ({"handler_id": "j.jansen@gemeente.nl"}, "pseudonymous"),
        ({"handler_id": "06 12345678"}, "pseudonymous"),
        ({"occurred_at": Timestamp(seconds=NOW.seconds + 3600)}, "future"),
    ],
)
def test_invalid_events_are_refused_with_the_reason(fields, complaint):
    with pytest.raises(InvalidHandledEvent, match=complaint):
        complete_handled_event(event(**fields), DEPARTMENTS, NOW)


def test_triage_may_hand_over_to_a_department():
    handed = complete_handled_event(
        event(department="triage", action=HANDED_OVER, to_department="verkeer"), DEPARTMENTS, NOW
    )
    assert handed.to_department == "verkeer"


def test_cli_arguments_become_an_event():
    args = parse_args(["handed-over", "--conversation", "c9", "--department", "triage",
                       "--to-department", "afval", "--at", "2026-11-23T10:15:00+01:00"])
    built = event_from_args(args)
    assert built.action == HANDED_OVER and built.to_department == "afval"
    assert built.occurred_at.seconds == 1_795_425_300
    with pytest.raises(InvalidHandledEvent, match="unknown action"):
        event_from_args(parse_args(["answered", "--conversation", "c9", "--department", "afval"]))
