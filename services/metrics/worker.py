"""Metrics service wiring: faust agents on the topics, KPI state in Redis, gauges refreshed on a timer."""

from __future__ import annotations

import asyncio
import logging
import time

import faust
from prometheus_client import Counter, Gauge, Histogram
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.contract import codec, topics
from services.contract.departments import load_departments
from services.metrics.config import TRIAGE, load_kpi_config
from services.metrics.kpi import observe_routed, spike_alert
from services.metrics.ledger import ConversationLedger
from services.metrics.office_hours import epoch_to_datetime
from services.metrics.settings import MetricsSettings
from services.metrics.spikes import SpikeDetector
from services.metrics.store import KpiStore
from services.runtime.stream import create_stream_app

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
_RESPONSE_BUCKETS = tuple(h * 3600 for h in (0.25, 0.5, 1, 2, 4, 8, 16, 24, 40, 80, 160))
FIRST_RESPONSE_OFFICE = Histogram(
    "contact_first_response_office_seconds",
    "Time to the department's first reply, counting office hours only (kpi.yaml), by department and channel.",
    ["department", "channel"],
    buckets=_RESPONSE_BUCKETS,
)
FIRST_RESPONSE = Histogram(
    "contact_first_response_seconds",
    "Time to the department's first reply on the wall clock, by department and channel.",
    ["department", "channel"],
    buckets=(60, 300, 900, *_RESPONSE_BUCKETS[2:], 14 * 86400),
)
FIRST_RESPONSES = Counter(
    "contact_first_responses_total",
    "First replies by department, channel and whether they came within the department's SLA (met/missed).",
    ["department", "channel", "sla"],
)
HANDLED = Counter(
    "contact_handled_events_total", "HandledEvents read from contact.handled, by department and action.",
    ["department", "action"],
)
SLA_SECONDS = Gauge(
    "contact_sla_office_seconds", "The first-reply SLA of each department (and triage) in office seconds.",
    ["department"],
)
BACKLOG_OPEN = Gauge(
    "contact_backlog_open_conversations", "Conversations waiting for a first reply, by department.", ["department"]
)
BACKLOG_OLDEST = Gauge(
    "contact_backlog_oldest_age_seconds", "Wall-clock age of the longest-waiting conversation.", ["department"]
)
BACKLOG_OLDEST_OFFICE = Gauge(
    "contact_backlog_oldest_office_seconds", "Office-hours age of the longest-waiting conversation.", ["department"]
)
BACKLOG_AT_RISK = Gauge(
    "contact_backlog_sla_at_risk_conversations",
    "Waiting conversations that used up the at-risk share of their SLA (kpi.yaml).",
    ["department"],
)
BACKLOG_OVER_SLA = Gauge(
    "contact_backlog_over_sla_conversations", "Waiting conversations past their SLA.", ["department"]
)
SPIKE_ACTIVE = Gauge(
    "contact_spike_messages",
    "Messages in the window of an ongoing spike, by department and theme ('*': the whole department).",
    ["department", "theme"],
)
SPIKE_BASELINE = Gauge(
    "contact_spike_baseline_messages", "The usual count per window of an ongoing spike's theme.",
    ["department", "theme"],
)
OFFICE_OPEN = Gauge(
    "contact_office_open", "1 while the gemeente is open (office hours, holidays: kpi.yaml), else 0."
)
SPIKE_ALERTS = Counter("contact_spike_alerts_total", "Spike alerts published to contact.alerts.", ["department"])
BATCH_FAILURES = Counter(
    "contact_metrics_batch_failures_total", "Batches that failed and were retried, by exception type.", ["error"]
)
STATE_UNAVAILABLE = Counter(
    "contact_metrics_state_unavailable_total", "Times Redis refused KPI state; processing waits for it."
)


def create_app(settings: MetricsSettings) -> faust.App:
    departments = load_departments(settings.departments_file)
    department_ids = [d.id for d in departments]
    known = {*department_ids, TRIAGE}
    kpi = load_kpi_config(settings.kpi_config_file, departments)
    app = create_stream_app(
        "gemeente-metrics",
        settings,
        web_host=settings.metrics_host,
        web_port=settings.metrics_port,
        data_dir=settings.metrics_data_dir,
    )
    # Zero series for every department, so dashboards show 0 instead of "no data".
    for department in department_ids:
        ROUTING_LATENCY.labels(department)
    for department, seconds in kpi.sla_seconds.items():
        SLA_SECONDS.labels(department).set(seconds)

    redis = Redis.from_url(settings.redis_url, socket_timeout=2.0, socket_connect_timeout=2.0)
    store = KpiStore(redis)
    ledger = ConversationLedger(kpi.office_hours, kpi.sla_seconds, kpi.at_risk_fraction)
    detector = SpikeDetector(kpi.spikes)
    loaded = asyncio.Event()
    # One writer at a time: the ledger's latest state must be what lands in Redis last.
    saving = asyncio.Lock()

    async def until_redis_answers(what: str, action) -> None:  # noqa: ANN001 - an async callable
        # Pause, never lose: the batch is acknowledged (its offsets committed) only after this returns.
        delay = 0.2
        while True:
            try:
                return await action()
            except (RedisError, OSError) as exc:
                STATE_UNAVAILABLE.inc()
                log.warning("Redis refused %s (%s); retrying", what, type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def save(increments: list[tuple[str, str, int]]) -> None:
        async with saving:
            await until_redis_answers("KPI state", lambda: store.save(ledger, detector, increments))

    @app.task
    async def load_state() -> None:
        await until_redis_answers("loading KPI state", lambda: store.load(ledger, detector))
        log.info("KPI state loaded: %d conversations waiting, %d spikes ongoing", len(ledger.waiting),
                 len(detector.active))
        for (department, _key), spike in detector.active.items():
            SPIKE_ACTIVE.labels(department, spike.theme).set(spike.count)
        loaded.set()

    inbound = app.topic(topics.INBOUND, key_type=bytes, value_type=bytes)
    decided = app.topic(topics.TRIAGE, *(topics.routed_topic(d) for d in department_ids), key_type=bytes, value_type=bytes)
    handled = app.topic(topics.HANDLED, key_type=bytes, value_type=bytes)
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

    async def until_done(what: str, batch, events: list) -> None:  # noqa: ANN001 - an async callable
        # take_events acks a batch even when the body raises: retry instead, so nothing is skipped.
        delay = 0.2
        while True:
            try:
                return await batch(events)
            except Exception as exc:  # noqa: BLE001
                BATCH_FAILURES.labels(type(exc).__name__).inc()
                log.error("%s: batch of %d failed (%s); retrying", what, len(events), type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    @app.agent(decided)
    async def follow_decided(stream: faust.StreamT) -> None:
        await loaded.wait()
        async for events in stream.take_events(500, within=0.05):
            await until_done("routed messages", count_decided, events)

    async def count_decided(events: list) -> None:
        increments: list[tuple[str, str, int]] = []
        started = []
        for event in events:
            try:
                routed = codec.decode_routed(event.value)
            except codec.UndecodableRecord:
                UNREADABLE.labels(event.message.topic).inc()
                continue
            seen = observe_routed(routed)
            if seen.department == TRIAGE:
                TRIAGED.labels(seen.channel).inc()
            else:
                ROUTED.labels(seen.department, seen.channel, seen.method).inc()
            BY_PRIORITY.labels(seen.department, seen.priority).inc()
            ROUTING_LATENCY.labels(seen.department).observe(seen.ingest_to_routed_seconds)
            message = routed.message
            received = codec.epoch_seconds(message.received_at)
            ledger.message_routed(message.conversation_id, seen.department, seen.channel, message.id, received)
            if seen.method != "manual":  # a staff correction is the same message again
                spikes, counted = detector.observe(
                    seen.department, message.id, f"{message.subject}\n{message.text}", received
                )
                started += spikes
                increments += counted
        await save(increments)
        for spike in started:
            alert = spike_alert(spike, detector.settings.window_seconds, time.time())
            await (await app.producer.send(
                topics.ALERTS, spike.department.encode(), alert.SerializeToString(), None, None, None
            ))
            SPIKE_ALERTS.labels(spike.department).inc()
            SPIKE_ACTIVE.labels(spike.department, spike.theme).set(spike.count)
            SPIKE_BASELINE.labels(spike.department, spike.theme).set(spike.baseline)
            # The theme stays out of the log: it is citizens' words.
            log.info("spike in %s: %d messages in the window, usually %.1f (alert %s)",
                     spike.department, spike.count, spike.baseline, alert.alert_id)

    @app.agent(handled)
    async def follow_handled(stream: faust.StreamT) -> None:
        await loaded.wait()
        async for events in stream.take_events(500, within=0.05):
            await until_done("handled events", count_handled, events)

    async def count_handled(events: list) -> None:
        for event in events:
            try:
                handled_event = codec.decode_handled(event.value)
            except codec.UndecodableRecord:
                UNREADABLE.labels(topics.HANDLED).inc()
                continue
            record_handled(handled_event)
        await save([])

    def record_handled(event: codec.HandledEvent) -> None:
        department = event.department if event.department in known else "unknown"
        action = codec.action_label(event.action)
        HANDLED.labels(department, action).inc()
        at = codec.epoch_seconds(event.occurred_at)
        if event.action == codec.HandledAction.HANDLED_ACTION_FIRST_REPLY:
            response = ledger.first_reply(event.conversation_id, event.department if department != "unknown" else "", at)
            if response is not None:
                FIRST_RESPONSE_OFFICE.labels(response.department, response.channel).observe(response.office_seconds)
                FIRST_RESPONSE.labels(response.department, response.channel).observe(response.wall_seconds)
                FIRST_RESPONSES.labels(response.department, response.channel, "met" if response.within_sla else "missed").inc()
        elif event.action == codec.HandledAction.HANDLED_ACTION_CLOSED:
            ledger.closed(event.conversation_id, at)
        elif event.action == codec.HandledAction.HANDLED_ACTION_HANDED_OVER and event.to_department in known:
            ledger.handed_over(event.conversation_id, event.to_department)

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

    @app.timer(settings.metrics_refresh_seconds)
    async def refresh_gauges() -> None:
        if not loaded.is_set():
            return
        now = time.time()
        OFFICE_OPEN.set(1 if kpi.office_hours.is_open(epoch_to_datetime(now)) else 0)
        for department, backlog in ledger.backlog(now, department_ids).items():
            BACKLOG_OPEN.labels(department).set(backlog.open)
            BACKLOG_OLDEST.labels(department).set(backlog.oldest_seconds)
            BACKLOG_OLDEST_OFFICE.labels(department).set(backlog.oldest_office_seconds)
            BACKLOG_AT_RISK.labels(department).set(backlog.at_risk)
            BACKLOG_OVER_SLA.labels(department).set(backlog.over_sla)
        for spike in detector.expire(now):
            for gauge in (SPIKE_ACTIVE, SPIKE_BASELINE):
                try:
                    gauge.remove(spike.department, spike.theme)
                except KeyError:
                    pass
        ledger.forget_answers_before(now - settings.answered_memory_days * 86400)
        await save([])

    return app
