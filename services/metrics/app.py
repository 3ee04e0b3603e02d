"""Metrics service wiring: faust agents on the inbound, routed, triage and dead-letter topics."""

from __future__ import annotations

import logging

import faust
from prometheus_client import Counter, Histogram

from services.common import codec, topics
from services.common.departments import load_departments
from services.common.settings import MetricsSettings
from services.common.stream import create_stream_app
from services.metrics.kpi import observe_routed

log = logging.getLogger(__name__)

RECEIVED = Counter("contact_messages_received_total", "Messages on contact.inbound, by channel.", ["channel"])
ROUTED = Counter(
    "contact_messages_routed_total",
    "Messages routed to a department topic, by department, channel and method.",
    ["department", "channel", "method"],
)
BY_PRIORITY = Counter(
    "contact_messages_by_priority_total",
    "Routed and triaged messages by department ('triage' included) and priority (urgent, high, normal).",
    ["department", "priority"],
)
TRIAGED = Counter("contact_messages_triaged_total", "Messages sent to contact.triage, by channel.", ["channel"])
DEAD_LETTERS = Counter("contact_dead_letters_total", "Records on contact.deadletter, by failing stage.", ["stage"])
UNREADABLE = Counter(
    "contact_metrics_unreadable_records_total", "Records the metrics service could not decode.", ["topic"]
)
ROUTING_LATENCY = Histogram(
    "contact_routing_latency_seconds",
    "Time from the ingestor receiving a message to the router publishing its decision.",
    ["department"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def create_app(settings: MetricsSettings) -> faust.App:
    departments = load_departments(settings.departments_file)
    app = create_stream_app(
        "gemeente-metrics",
        settings,
        web_host=settings.metrics_host,
        web_port=settings.metrics_port,
        data_dir=settings.metrics_data_dir,
    )
    # Zero series for every department, so dashboards show 0 instead of "no data".
    for department in departments:
        ROUTING_LATENCY.labels(department.id)

    inbound = app.topic(topics.INBOUND, key_type=bytes, value_type=bytes)
    decided = app.topic(topics.TRIAGE, *(topics.routed_topic(d.id) for d in departments), key_type=bytes, value_type=bytes)
    dead = app.topic(topics.DEADLETTER, key_type=bytes, value_type=bytes)

    @app.agent(inbound)
    async def count_inbound(stream: faust.StreamT) -> None:
        async for value in stream:
            try:
                message = codec.decode_contact(value)
            except codec.UndecodableRecord:
                UNREADABLE.labels(topics.INBOUND).inc()
                continue
            RECEIVED.labels(codec.channel_label(message.channel)).inc()

    @app.agent(decided)
    async def count_decided(stream: faust.StreamT) -> None:
        async for event in stream.events():
            try:
                observation = observe_routed(codec.decode_routed(event.value))
            except codec.UndecodableRecord:
                UNREADABLE.labels(event.message.topic).inc()
                continue
            if observation.department == "triage":
                TRIAGED.labels(observation.channel).inc()
            else:
                ROUTED.labels(observation.department, observation.channel, observation.method).inc()
            BY_PRIORITY.labels(observation.department, observation.priority).inc()
            ROUTING_LATENCY.labels(observation.department).observe(observation.ingest_to_routed_seconds)

    @app.agent(dead)
    async def count_dead_letters(stream: faust.StreamT) -> None:
        async for value in stream:
            letter = codec.DeadLetter()
            try:
                letter.ParseFromString(value)
            except Exception:  # noqa: BLE001 - protobuf raises DecodeError; count and go on
                UNREADABLE.labels(topics.DEADLETTER).inc()
                continue
            DEAD_LETTERS.labels(letter.stage or "unknown").inc()

    return app
