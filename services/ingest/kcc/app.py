"""KCC ingestor wiring: gRPC IngestService (with health checking and reflection) beside the HTTP probes."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

import grpc
from gemeente.contact.v1 import ingest_pb2, ingest_pb2_grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.ingest.delivery import REQUESTS, Deliverer
from services.ingest.http import build_ingestor, run_beside_probes
from services.ingest.kcc.normalise import kcc_submission_to_contact
from services.ingest.kcc.settings import KccSettings
from services.ingest.payload import PayloadError
from services.ingest.pseudonym import Pseudonymizer
from services.runtime.grpc_server import add_port, create_server, token_table
from services.runtime.kafka import PublishFailed
from services.runtime.logs import configure_logging

log = logging.getLogger(__name__)
SERVICE_NAME = ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name


class IngestServicer(ingest_pb2_grpc.IngestServiceServicer):
    def __init__(self, deliverer: Deliverer, pseudonymizer: Pseudonymizer) -> None:
        self.deliverer = deliverer
        self.pseudonymizer = pseudonymizer

    async def Submit(self, request, context):  # noqa: N802, ANN001, ANN201 - gRPC's names
        try:
            normalised = kcc_submission_to_contact(request, datetime.now(timezone.utc), self.pseudonymizer)
        except PayloadError as exc:
            REQUESTS.labels("kcc", "malformed").inc()
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        try:
            published, duplicates = await self.deliverer.deliver_normalised(normalised)
        except PublishFailed:
            REQUESTS.labels("kcc", "unavailable").inc()
            await context.abort(grpc.StatusCode.UNAVAILABLE, "Kafka did not acknowledge; retry with the same request_id")
        REQUESTS.labels("kcc", "duplicate" if duplicates and not published else "accepted").inc()
        [message] = normalised.messages
        return ingest_pb2.SubmitResponse(
            message_id=message.id, conversation_id=message.conversation_id, duplicate=not published
        )


async def keep_health_in_step(health_servicer: health.aio.HealthServicer, is_ready) -> None:  # noqa: ANN001
    """gRPC health follows Kafka readiness, so a load balancer stops sending while Kafka is away."""
    while True:
        status = health_pb2.HealthCheckResponse.SERVING if await is_ready() else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", SERVICE_NAME):
            await health_servicer.set(name, status)
        await asyncio.sleep(2.0)


async def run(settings: KccSettings) -> None:
    ingestor = build_ingestor(settings, "kcc")
    server = create_server(token_table(settings))
    ingest_pb2_grpc.add_IngestServiceServicer_to_server(IngestServicer(ingestor.deliverer, ingestor.pseudonymizer), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME), server
    )
    add_port(server, f"{settings.http_host}:{settings.kcc_grpc_port}", settings.grpc_tls_cert_file,
             settings.grpc_tls_key_file)
    health_tasks: list[asyncio.Task] = []

    async def start_grpc() -> None:
        await server.start()
        health_tasks.append(
            asyncio.create_task(keep_health_in_step(health_servicer, ingestor.deliverer.publisher.is_ready))
        )
        log.info("KCC ingestor: gRPC on %s, HTTP on %s", settings.kcc_grpc_port, settings.http_port)

    async def stop_grpc() -> None:
        for task in health_tasks:
            task.cancel()
        await server.stop(grace=10)  # finish in-flight Submits

    await run_beside_probes(ingestor.app, settings, start_grpc, stop_grpc)


def main() -> None:
    settings = KccSettings()
    configure_logging(settings.log_level)
    asyncio.run(run(settings))
