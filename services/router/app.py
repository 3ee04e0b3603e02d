"""Router wiring: a faust agent on contact.inbound that routes in batches and publishes without blocking."""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from datetime import datetime, timezone

import faust
from grpc_health.v1 import health_pb2
from mode import Service
from prometheus_client import Counter, Histogram
from redis.asyncio import Redis

from services.common import codec, topics
from services.common.settings import RouterSettings
from services.common.stream import create_stream_app
from services.common.departments import load_routing_config
from services.handling.api import SERVICE_NAME as HANDLING_SERVICE_NAME
from services.handling.api import HandlingServicer
from services.router.api import SERVICE_NAME, RoutingServicer, create_grpc_server
from services.router.decision import Decider, UrgencyRater
from services.router.memory import ConversationMemory, RoutedStore
from services.router.routing import RoutingContext, SourceRecord, route_records
from services.router.wiring import build_decider

ROUTED = Counter(
    "contact_router_messages_total",
    "Messages the router published, by destination (department, triage, deadletter), method and channel.",
    ["destination", "method", "channel"],
)
BATCH_SIZE = Histogram(
    "contact_router_batch_size", "Records routed per batch.", buckets=(1, 5, 10, 50, 100, 250, 500, 1000)
)
BATCH_SECONDS = Histogram(
    "contact_router_batch_seconds",
    "Time to decide and publish one batch until Kafka acknowledged it.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


def create_app(
    settings: RouterSettings, decider: Decider | None = None, urgency: UrgencyRater | None = None
) -> faust.App:
    if decider is None:
        decider, urgency = build_decider(settings)
    app = create_stream_app(
        "gemeente-router",
        settings,
        web_host=settings.router_host,
        web_port=settings.router_port,
        data_dir=settings.router_data_dir,
    )
    inbound = app.topic(topics.INBOUND, key_type=bytes, value_type=bytes)
    redis = Redis.from_url(settings.redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
    memory = ConversationMemory(redis, settings.sticky_ttl_seconds)
    store = RoutedStore(redis, settings.routed_retention_seconds)

    async def publish(topic: str, key: bytes, value: bytes) -> None:
        await (await app.producer.send(topic, key, value, None, None, None))

    department_ids = frozenset(d.id for d in load_routing_config(settings.departments_file).departments)
    servicer = RoutingServicer(
        RoutingContext(decider, urgency, {}, settings.sticky_switch_confidence),
        department_ids,
        store,
        memory,
        publish,
    )
    handling = HandlingServicer(department_ids, publish)

    @app.service
    class RoutingApi(Service):
        """The gRPC RoutingService inside the worker: it shares the loaded model and the producer."""

        async def on_start(self) -> None:
            address = f"{settings.router_host}:{settings.router_grpc_port}"
            self.server = create_grpc_server(servicer, handling, address)
            await self.server.start()
            for name in ("", SERVICE_NAME, HANDLING_SERVICE_NAME):
                await self.server.health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)

        async def on_stop(self) -> None:
            await self.server.stop(grace=5)

    @app.agent(inbound)
    async def route_inbound(stream: faust.StreamT) -> None:
        # take_events acks a batch only after this body finished it: every routed record of the batch
        # was acknowledged by Kafka before the inbound offsets can be committed (at-least-once).
        async for events in stream.take_events(settings.router_batch_size, within=settings.router_batch_seconds):
            started = asyncio.get_running_loop().time()
            records = [
                SourceRecord(e.message.topic, e.message.partition, e.message.offset, e.message.key, e.message.value)
                for e in events
            ]
            earlier = await memory.departments(
                e.message.key.decode("utf-8", "replace") for e in events if e.message.key
            )
            context = RoutingContext(decider, urgency, earlier, settings.sticky_switch_confidence)
            outcomes = route_records(records, context, codec.timestamp(datetime.now(timezone.utc)))
            pending = []
            tally: Tally[tuple[str, str, str]] = Tally()
            for outcome in outcomes:
                pending.append(await app.producer.send(outcome.topic, outcome.key, outcome.value, None, None, None))
                tally[outcome.destination, outcome.method, outcome.channel] += 1
            await asyncio.gather(*pending)
            await memory.remember({o.conversation_id: o.department for o in outcomes if o.department})
            await store.keep({o.message_id: o.value for o in outcomes if o.message_id})
            for labels, count in tally.items():
                ROUTED.labels(*labels).inc(count)
            BATCH_SIZE.observe(len(events))
            BATCH_SECONDS.observe(asyncio.get_running_loop().time() - started)

    return app
