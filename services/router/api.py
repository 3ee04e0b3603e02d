"""The router's gRPC RoutingService: Classify for KCC agents, Reroute for staff correcting a misroute."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import grpc
from gemeente.contact.v1 import handling_pb2_grpc, replies_pb2_grpc, routing_pb2, routing_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import Counter

from services.contract import codec, topics
from services.router.decision.routing import RoutingContext, decide_text, reroute
from services.router.handling_api import SERVICE_NAME as HANDLING_SERVICE_NAME
from services.router.handling_api import HandlingServicer
from services.router.reply_api import SERVICE_NAME as REPLY_SERVICE_NAME
from services.router.reply_api import ReplyServicer
from services.router.memory import ConversationMemory, RoutedStore
from services.runtime.grpc_server import add_port, create_server, token_table
from services.runtime.settings import RoutingApiSettings

log = logging.getLogger(__name__)
SERVICE_NAME = routing_pb2.DESCRIPTOR.services_by_name["RoutingService"].full_name
REROUTES = Counter(
    "contact_router_reroutes_total", "Messages moved by staff, by previous destination and new department.",
    ["previous", "department"],
)
# Classify calls decided at the same time (each in a thread of its own); more wait their turn.
CLASSIFY_THREADS = 2
# (topic, key, value) → waits until Kafka acknowledged.
Publish = Callable[[str, bytes, bytes], Awaitable[None]]


class RoutingServicer(routing_pb2_grpc.RoutingServiceServicer):
    def __init__(
        self,
        context: RoutingContext,
        departments: frozenset[str],
        store: RoutedStore,
        memory: ConversationMemory,
        publish: Publish,
        department_of: Mapping[str, str] | None = None,
    ) -> None:
        self.context = context
        self.departments = departments
        # category id → department id (or triage): which category Reroute may set with a department.
        self.department_of = department_of or {}
        self.store = store
        self.memory = memory
        self.publish = publish
        self.classify_slots = asyncio.Semaphore(CLASSIFY_THREADS)

    async def Classify(self, request, context):  # noqa: N802, ANN001, ANN201 - gRPC's names
        if not request.text.strip():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "text is required")
        # Lengths were checked by the server's RequestGuard. The decision runs in a worker thread, at most
        # CLASSIFY_THREADS at a time, so staff calls do not hold the event loop that routes citizens' messages.
        async with self.classify_slots:
            routed = await asyncio.to_thread(decide_text, self.context, request.text, request.subject, request.channel)
        decision = routed.decision
        return routing_pb2.ClassifyResponse(
            department="" if decision.triage else decision.department,
            triage=decision.triage,
            confidence=decision.confidence,
            top=decision.candidates,
            reasons=decision.reasons,
            priority=decision.priority,
            language=routed.message.language,
            method=decision.method,
            category=decision.category,
        )

    async def Reroute(self, request, context):  # noqa: N802, ANN001, ANN201
        if request.department not in self.departments:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown department '{request.department}'")
        if not request.staff_id.strip():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "staff_id is required")
        if request.category and self.department_of.get(request.category) != request.department:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"category '{request.category}' does not belong to department '{request.department}'")
        stored = await self.store.get(request.message_id)
        if stored is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no routed message with id '{request.message_id}'")
        original = codec.decode_routed(stored)
        now = Timestamp()
        now.GetCurrentTime()
        category = request.category or (
            original.decision.category
            if self.department_of.get(original.decision.category) == request.department else ""
        )
        outcome, correction = reroute(original, request.department, request.staff_id, request.note, now, category)
        await self.publish(outcome.topic, outcome.key, outcome.value)
        await self.publish(topics.CORRECTIONS, outcome.key, correction.SerializeToString())
        await self.store.keep({original.message.id: outcome.value})
        await self.memory.remember({original.message.conversation_id: request.department})
        REROUTES.labels(correction.previous_destination, request.department).inc()
        log.info("message %s moved from %s to %s", original.message.id, correction.previous_destination,
                 request.department)
        return routing_pb2.RerouteResponse(
            routed=codec.decode_routed(outcome.value), previous_destination=correction.previous_destination
        )


def create_grpc_server(
    servicer: RoutingServicer, handling: HandlingServicer, replies: ReplyServicer, address: str,
    settings: RoutingApiSettings,
) -> grpc.aio.Server:
    """RoutingService, the departments' HandlingService and ReplyService, with health checking and
    reflection; callers authenticated by token, over TLS where a certificate is configured."""
    server = create_server(token_table(settings, handling.departments))
    routing_pb2_grpc.add_RoutingServiceServicer_to_server(servicer, server)
    handling_pb2_grpc.add_HandlingServiceServicer_to_server(handling, server)
    replies_pb2_grpc.add_ReplyServiceServicer_to_server(replies, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (
            SERVICE_NAME,
            HANDLING_SERVICE_NAME,
            REPLY_SERVICE_NAME,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    add_port(server, address, settings.grpc_tls_cert_file, settings.grpc_tls_key_file)
    server.health_servicer = health_servicer  # type: ignore[attr-defined]
    return server
