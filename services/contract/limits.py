"""How long each string field of an API request may be: one table for every gRPC method we serve.

A request over a limit is refused (INVALID_ARGUMENT) before any work is done with it, so a caller cannot
make a staff call cost the router seconds (a 3.9 MB subject once delayed an urgent WhatsApp message by
38 s). `tests/unit/contract/test_limits.py` fails on a request string field that is not listed here.
"""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from services.contract.vocabulary import MAX_TEXT_CHARS

# The largest request a server accepts, in bytes: the longest text in UTF-8 (4 bytes a character at
# most) and room for the other fields.
MAX_REQUEST_BYTES = 4 * MAX_TEXT_CHARS + 64 * 1024
# A string field not in the table (a field added before anyone listed it): short, to be safe.
DEFAULT_MAX_CHARS = 200
ID_CHARS = 200
_V1 = "gemeente.contact.v1."
MAX_CHARS: dict[str, int] = {
    f"{_V1}{name}": limit
    for name, limit in {
        # RoutingService.Classify
        "ClassifyRequest.text": MAX_TEXT_CHARS,
        "ClassifyRequest.subject": 500,
        # RoutingService.Reroute
        "RerouteRequest.message_id": ID_CHARS,
        "RerouteRequest.department": 64,
        "RerouteRequest.staff_id": 64,
        "RerouteRequest.note": 1000,
        "RerouteRequest.category": 64,
        # HandlingService.ReportHandled
        "HandledEvent.event_id": ID_CHARS,
        "HandledEvent.conversation_id": ID_CHARS,
        "HandledEvent.message_id": ID_CHARS,
        "HandledEvent.department": 64,
        "HandledEvent.to_department": 64,
        "HandledEvent.handler_id": 64,
        # ReplyService.Send and .Status
        "Reply.reply_id": 128,
        "Reply.conversation_id": ID_CHARS,
        "Reply.in_reply_to": ID_CHARS,
        "Reply.department": 64,
        "Reply.staff_id": 64,
        "Reply.text": 4096,
        "ReplyTemplate.name": 512,
        "ReplyTemplate.language": 16,
        "ReplyTemplate.parameters": 1024,
        "ReplyStatusRequest.reply_id": 128,
        # IngestService.Submit (KCC)
        "SubmitRequest.request_id": ID_CHARS,
        "SubmitRequest.agent_id": ID_CHARS,
        "SubmitRequest.case_reference": ID_CHARS,
        "SubmitRequest.citizen_phone": ID_CHARS,
        "SubmitRequest.citizen_email": ID_CHARS,
        "SubmitRequest.citizen_name": ID_CHARS,
        "SubmitRequest.summary": MAX_TEXT_CHARS,
        "SubmitRequest.suggested_department": 64,
    }.items()
} | {"grpc.health.v1.HealthCheckRequest.service": 200}  # Health.Check / Watch


def _strings(message: Message) -> Iterator[tuple[FieldDescriptor, str]]:
    for field, value in message.ListFields():
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            for item in (value if field.is_repeated else [value]):
                if isinstance(item, Message):
                    yield from _strings(item)
        elif field.type == FieldDescriptor.TYPE_STRING:
            for item in (value if field.is_repeated else [value]):
                yield field, item


def too_long(request: Message) -> str | None:
    """The first field over its limit, as a reason for the caller; None when the request is within bounds."""
    for field, value in _strings(request):
        limit = MAX_CHARS.get(field.full_name, DEFAULT_MAX_CHARS)
        if len(value) > limit:
            return f"{field.name} is longer than {limit} characters"
    return None
