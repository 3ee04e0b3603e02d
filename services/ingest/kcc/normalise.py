"""A KCC agent's SubmitRequest → ContactMessage. Pure."""

from __future__ import annotations

from datetime import datetime

from gemeente.contact.v1 import ingest_pb2

from services.contract import codec
from services.contract.vocabulary import MAX_TEXT_CHARS as MAX_SUMMARY_CHARS
from services.ingest.payload import Normalised, PayloadError
from services.ingest.pseudonym import Pseudonymizer

CHANNEL = codec.Channel.CHANNEL_KCC
MAX_FIELD_CHARS = 200


def kcc_submission_to_contact(
    request: ingest_pb2.SubmitRequest, received_at: datetime, pseudonymizer: Pseudonymizer
) -> Normalised:
    for name in ("request_id", "agent_id", "summary"):
        if not getattr(request, name).strip():
            raise PayloadError(f"{name} is required")
    if len(request.summary) > MAX_SUMMARY_CHARS:
        raise PayloadError(f"summary is longer than {MAX_SUMMARY_CHARS} characters")
    for name in ("request_id", "agent_id", "case_reference", "citizen_phone", "citizen_email", "citizen_name",
                 "suggested_department"):
        if len(getattr(request, name)) > MAX_FIELD_CHARS:
            raise PayloadError(f"{name} is longer than {MAX_FIELD_CHARS} characters")
    if request.kind == ingest_pb2.KCC_CONTACT_KIND_UNSPECIFIED:
        raise PayloadError("kind must be PHONE_CALL or COUNTER_VISIT")
    if request.citizen_email and "@" not in request.citizen_email:
        raise PayloadError("citizen_email is not an e-mail address")
    phone = "".join(c for c in request.citizen_phone if c.isdigit() or c == "+")
    if request.citizen_email:
        author = pseudonymizer.pseudonym("email", request.citizen_email.strip().lower())
    elif phone:
        author = pseudonymizer.pseudonym("phone", phone.removeprefix("+"))
    else:
        author = ""
    received = codec.timestamp(received_at)
    conversation = request.case_reference.strip() or request.request_id
    metadata = {
        "type": ingest_pb2.KccContactKind.Name(request.kind).removeprefix("KCC_CONTACT_KIND_").lower(),
        "agent_id": request.agent_id,
    }
    if request.suggested_department:
        metadata["suggested_department"] = request.suggested_department
    if request.case_reference:
        metadata["case_reference"] = request.case_reference
    message = codec.ContactMessage(
        id=codec.message_id(CHANNEL, request.request_id),
        channel=CHANNEL,
        channel_message_id=request.request_id,
        conversation_id="kcc-" + pseudonymizer.pseudonym("kcc-case", conversation),
        received_at=received,
        sent_at=request.occurred_at if request.HasField("occurred_at") else received,
        author_id=author,
        display_name=request.citizen_name,
        text=request.summary,
        metadata=metadata,
    )
    return Normalised(messages=[message])
