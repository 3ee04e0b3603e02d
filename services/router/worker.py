"""The router's worker: a faust agent on contact.inbound that routes in batches and publishes each output
exactly once, and the gRPC APIs served beside it. `create_app` is the wiring; `BatchRouter` is the I/O
shell around the pure decision package (services/router/decision/)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

import faust
from grpc_health.v1 import health_pb2
from mode import Service
from prometheus_client import Counter, Histogram
from redis.asyncio import Redis

from services.contract import codec, topics
from services.contract.departments import load_routing_config
from services.router.api import SERVICE_NAME, RoutingServicer, create_grpc_server
from services.router.decision.deciders import Decider, UrgencyRater
from services.router.decision.routing import RoutingContext, SourceRecord, route_records
from services.router.handling_api import SERVICE_NAME as HANDLING_SERVICE_NAME
from services.router.handling_api import HandlingServicer
from services.router.memory import ConversationMemory, RoutedStore
from services.router.outputs import (
    OutputLedger,
    RecentOutputs,
    find_published,
    output_key,
    plan,
)
from services.router.settings import RouterSettings
from services.router.wiring import build_decider
from services.runtime.kafka import aiokafka_security
from services.runtime.stream import create_stream_app

log = logging.getLogger(__name__)
ROUTED = Counter(
    "contact_router_messages_total",
    "Messages the router published, by destination (department, triage, deadletter), method and channel.",
    ["destination", "method", "channel"],
)
BATCH_FAILURES = Counter(
    "contact_router_batch_failures_total", "Batches that failed and were retried, by exception type.", ["error"]
)
BATCH_SIZE = Histogram(
    "contact_router_batch_size", "Records routed per batch.", buckets=(1, 5, 10, 50, 100, 250, 500, 1000)
)
BATCH_SECONDS = Histogram(
    "contact_router_batch_seconds",
    "Time to decide and publish one batch until Kafka acknowledged it.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


# A second read-back, this long after the first, for pending outputs the first did not find.
READ_BACK_AGAIN_SECONDS = 2.0
# Sends one record and returns the future of Kafka's acknowledgement (faust's producer.send).
Send = Callable[[str, bytes, bytes], Awaitable[asyncio.Future]]


class BatchRouter:
    """Routes one batch at a time: decide (pure), drop what an earlier incarnation already published, send
    everything, and only then remember it, so a batch that fails is retried whole and nothing is doubled."""

    def __init__(
        self,
        decider: Decider,
        urgency: UrgencyRater,
        sticky_switch_confidence: float,
        memory: ConversationMemory,
        store: RoutedStore,
        ledger: OutputLedger,
        send: Send,
        consumer_options: dict,
    ) -> None:
        self.decider = decider
        self.urgency = urgency
        self.sticky_switch_confidence = sticky_switch_confidence
        self.memory = memory
        self.store = store
        self.ledger = ledger
        self.send = send
        self.consumer_options = consumer_options
        # Published by this process lately: no second copy of a redelivered message while Redis refuses.
        self.recent = RecentOutputs()

    async def route_stream(self, stream: faust.StreamT, batch_size: int, within: float) -> None:
        # take_events acks a batch when the body is done with it, and also when the body raises: an
        # exception here would commit offsets of messages never routed. So a batch is retried until it
        # is routed (Kafka or Redis away: the router pauses, the lag alert fires), never given up.
        async for events in stream.take_events(batch_size, within=within):
            delay = 0.1
            while True:
                try:
                    await self.route_batch(events)
                    break
                except Exception as exc:  # noqa: BLE001 - whatever it is, the batch must not be acked
                    BATCH_FAILURES.labels(type(exc).__name__).inc()
                    log.error("batch of %d not routed (%s); retrying in %.1f s", len(events),
                              type(exc).__name__, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)

    async def route_batch(self, events: list) -> None:
        """Route one batch: every output acknowledged by Kafka before this returns."""
        started = asyncio.get_running_loop().time()
        records = [
            SourceRecord(e.message.topic, e.message.partition, e.message.offset, e.message.key, e.message.value)
            for e in events
        ]
        earlier = await self.memory.departments(
            e.message.key.decode("utf-8", "replace") for e in events if e.message.key
        )
        context = RoutingContext(self.decider, self.urgency, earlier, self.sticky_switch_confidence)
        decided = route_records(records, context, codec.timestamp(datetime.now(timezone.utc)))
        fresh = await self.only_new(decided, [(r.topic, r.partition, r.offset) for r in records])
        outcomes = [o for o, _ in fresh]
        pending = []
        tally: Tally[tuple[str, str, str]] = Tally()
        for outcome in outcomes:
            pending.append(await self.send(outcome.topic, outcome.key, outcome.value))
            tally[outcome.destination, outcome.method, outcome.channel] += 1
        await asyncio.gather(*pending)
        self.recent.add(k for _, k in fresh)
        await self.ledger.mark_done(k for _, k in fresh)
        await self.memory.remember({o.conversation_id: o.department for o in decided if o.department})
        await self.store.keep({o.message_id: o.value for o in outcomes if o.message_id})
        for labels, count in tally.items():
            ROUTED.labels(*labels).inc(count)
        BATCH_SIZE.observe(len(events))
        BATCH_SECONDS.observe(asyncio.get_running_loop().time() - started)

    async def only_new(self, outcomes: list, sources: list[tuple[str, int, int]]) -> list[tuple]:
        """Drop what an earlier incarnation already published; mark the rest pending before sending."""
        keys = [output_key(o, s) for o, s in zip(outcomes, sources)]
        marks = await self.ledger.marks(keys)
        unsure = {k: m for k, m in marks.items() if m is not None and m.state == "pending"}
        published = await find_published(unsure, self.consumer_options) if unsure else set()
        if unsure.keys() - published:
            # Sending one twice is worse than looking twice: what was not found is looked for once more
            # after a pause, in case the broker had not made the last writes of the killed worker visible.
            await asyncio.sleep(READ_BACK_AGAIN_SECONDS)
            again = {k: m for k, m in unsure.items() if k not in published}
            published |= await find_published(again, self.consumer_options)
        if unsure:
            log.warning("after a restart: %d output(s) were in flight, %d of them already on Kafka",
                        len(unsure), len(published))
        await self.ledger.mark_done(published)
        fresh = [(o, k) for o, k, send in zip(outcomes, keys, plan(keys, marks, published, self.recent)) if send]
        await self.ledger.mark_pending({k: o.topic for o, k in fresh}, int(time.time() * 1000))
        return fresh


class GrpcApi(Service):
    """RoutingService and HandlingService inside the worker: they share the loaded model and the producer."""

    def __init__(
        self, routing: RoutingServicer, handling: HandlingServicer, address: str, settings: RouterSettings,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.routing = routing
        self.handling = handling
        self.address = address
        self.settings = settings

    async def on_start(self) -> None:
        self.server = create_grpc_server(self.routing, self.handling, self.address, self.settings)
        await self.server.start()
        for name in ("", SERVICE_NAME, HANDLING_SERVICE_NAME):
            await self.server.health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def on_stop(self) -> None:
        await self.server.stop(grace=5)


def create_app(
    settings: RouterSettings, decider: Decider | None = None, urgency: UrgencyRater | None = None
) -> faust.App:
    """The wiring: one faust app, one Redis client, the batch router on contact.inbound, the gRPC APIs."""
    if decider is None:
        decider, urgency = build_decider(settings)
    app = create_stream_app("gemeente-router", settings, web_host=settings.router_host,
                            web_port=settings.router_port, data_dir=settings.router_data_dir)
    redis = Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=1.0, socket_connect_timeout=1.0)
    memory = ConversationMemory(redis, settings.sticky_ttl_seconds)
    store = RoutedStore(redis, settings.routed_retention_seconds)

    async def send(topic: str, key: bytes, value: bytes) -> asyncio.Future:
        return await app.producer.send(topic, key, value, None, None, None)

    async def publish(topic: str, key: bytes, value: bytes) -> None:
        await (await send(topic, key, value))

    router = BatchRouter(
        decider, urgency, settings.sticky_switch_confidence, memory, store,
        OutputLedger(redis, settings.output_ledger_ttl_seconds), send,
        {"bootstrap_servers": settings.kafka_bootstrap_servers, **aiokafka_security(settings)},
    )
    config = load_routing_config(settings.departments_file)
    department_ids = frozenset(d.id for d in config.departments)
    app.service(GrpcApi(
        RoutingServicer(RoutingContext(decider, urgency, {}, settings.sticky_switch_confidence),
                        department_ids, store, memory, publish, config.department_of),
        HandlingServicer(department_ids, publish),
        f"{settings.router_host}:{settings.router_grpc_port}",
        settings,
    ))

    @app.agent(app.topic(topics.INBOUND, key_type=bytes, value_type=bytes))
    async def route_inbound(stream: faust.StreamT) -> None:
        await router.route_stream(stream, settings.router_batch_size, settings.router_batch_seconds)

    return app
