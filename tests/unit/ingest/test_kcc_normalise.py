from datetime import datetime, timezone

import pytest
from gemeente.contact.v1 import ingest_pb2

from services.contract import codec
from services.ingest.kcc.normalise import kcc_submission_to_contact
from services.ingest.payload import PayloadError
from services.ingest.pseudonym import Pseudonymizer

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
PSEUDO = Pseudonymizer(b"unit-test-pseudonym-key")


def request(**overrides):
    fields = dict(
        request_id="kcc-2025-000123", kind=ingest_pb2.KCC_CONTACT_KIND_PHONE_CALL, agent_id="agent-17",
        case_reference="Z-2025-4711", citizen_phone="+31 6 1234 5678", citizen_name="Mw. Bakker",
        summary="Burger belt: pp verlopen, wil afspraak balie. Uitgelegd via website.",
        suggested_department="burgerzaken",
    )
    fields.update(overrides)
    return ingest_pb2.SubmitRequest(**fields)


def test_agent_notes_become_a_message_without_the_phone_number():
    [message] = kcc_submission_to_contact(request(), NOW, PSEUDO).messages
    assert message.channel == codec.Channel.CHANNEL_KCC
    assert message.text.startswith("Burger belt: pp verlopen")
    assert message.author_id == PSEUDO.pseudonym("phone", "31612345678")
    assert dict(message.metadata) == {
        "type": "phone_call", "agent_id": "agent-17", "suggested_department": "burgerzaken",
        "case_reference": "Z-2025-4711",
    }
    assert b"1234 5678" not in message.SerializeToString() and b"612345678" not in message.SerializeToString()
    assert message.sent_at == message.received_at


def test_the_same_case_is_one_conversation():
    a = kcc_submission_to_contact(request(), NOW, PSEUDO).messages[0]
    b = kcc_submission_to_contact(request(request_id="kcc-2025-000124"), NOW, PSEUDO).messages[0]
    c = kcc_submission_to_contact(request(request_id="kcc-2025-000125", case_reference=""), NOW, PSEUDO).messages[0]
    assert a.conversation_id == b.conversation_id != c.conversation_id
    assert a.id != b.id


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"request_id": ""}, "request_id is required"),
        ({"agent_id": " "}, "agent_id is required"),
        ({"summary": ""}, "summary is required"),
        ({"kind": ingest_pb2.KCC_CONTACT_KIND_UNSPECIFIED}, "kind must be"),
        ({"citizen_email": "geen-adres"}, "not an e-mail address"),
        ({"summary": "x" * 20_001}, "longer than"),
    ],
)
def test_invalid_requests_say_why(overrides, reason):
    with pytest.raises(PayloadError, match=reason):
        kcc_submission_to_contact(request(**overrides), NOW, PSEUDO)
