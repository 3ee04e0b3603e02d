"""gRPC HandlingService: departments report a reply, a close or a hand-over; it goes to contact.handled."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection

import grpc
from gemeente.contact.v1 import handling_pb2, handling_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import Counter

from services.contract import codec, topics
from services.contract.handling import InvalidHandledEvent, complete_handled_event
from services.router.decision.outgoing import protect

log = logging.getLogger(__name__)
SERVICE_NAME = handling_pb2.DESCRIPTOR.services_by_name["HandlingService"].full_name
REPORTED = Counter(
    "contact_handled_reported_total", "HandledEvents accepted over gRPC, by department and action.",
    ["department", "action"],
)
Publish = Callable[[str, bytes, bytes], Awaitable[None]]


class HandlingServicer(handling_pb2_grpc.HandlingServiceServicer):
    def __init__(self, departments: Collection[str], publish: Publish) -> None:
        self.departments = departments
        self.publish = publish

    async def ReportHandled(self, request, context):  # noqa: N802, ANN001, ANN201 - gRPC's names
        now = Timestamp()
        now.GetCurrentTime()
        try:
            event = complete_handled_event(request.event, self.departments, now)
        except InvalidHandledEvent as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        protect(event)  # a handler id or note-like id could hold an e-mail address
        try:
            await self.publish(topics.HANDLED, event.conversation_id.encode(), event.SerializeToString())
        except Exception as exc:  # noqa: BLE001 - whatever Kafka raised, the caller must retry
            log.warning("HandledEvent not published: %s", type(exc).__name__)
            await context.abort(grpc.StatusCode.UNAVAILABLE, "Kafka did not acknowledge the event; retry")
        REPORTED.labels(event.department, codec.action_label(event.action)).inc()
        return handling_pb2.ReportHandledResponse(event_id=event.event_id)
