"""Router wiring: a faust agent on contact.inbound that routes in batches and publishes without blocking."""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from datetime import datetime, timezone

import faust
from prometheus_client import Counter, Histogram

from services.common import codec, topics
from services.common.departments import load_departments
from services.common.settings import RouterSettings
from services.common.stream import create_stream_app
from services.router.decision import Decider, RuleDecider
from services.router.routing import SourceRecord, route_record

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


def create_app(settings: RouterSettings, decider: Decider | None = None) -> faust.App:
    departments = load_departments(settings.departments_file)
    decider = decider or RuleDecider(departments, settings.triage_threshold)
    app = create_stream_app(
        "gemeente-router",
        settings,
        web_host=settings.router_host,
        web_port=settings.router_port,
        data_dir=settings.router_data_dir,
    )
    inbound = app.topic(topics.INBOUND, key_type=bytes, value_type=bytes)

    @app.agent(inbound)
    async def route_inbound(stream: faust.StreamT) -> None:
        # take_events acks a batch only after this body finished it: every routed record of the batch
        # was acknowledged by Kafka before the inbound offsets can be committed (at-least-once).
        async for events in stream.take_events(settings.router_batch_size, within=settings.router_batch_seconds):
            started = asyncio.get_running_loop().time()
            now = codec.timestamp(datetime.now(timezone.utc))
            pending = []
            tally: Tally[tuple[str, str, str]] = Tally()
            for event in events:
                source = event.message
                outcome = route_record(
                    SourceRecord(source.topic, source.partition, source.offset, source.key, source.value),
                    decider,
                    now,
                )
                pending.append(
                    await app.producer.send(outcome.topic, outcome.key, outcome.value, None, None, None)
                )
                tally[outcome.destination, outcome.method, outcome.channel] += 1
            await asyncio.gather(*pending)
            for labels, count in tally.items():
                ROUTED.labels(*labels).inc(count)
            BATCH_SIZE.observe(len(events))
            BATCH_SECONDS.observe(asyncio.get_running_loop().time() - started)

    return app
