"""The metrics service's worker: faust agents on the topics, KPI state in Redis, gauges refreshed on a
timer. `create_app` is the wiring; `KpiRecorder` is the I/O shell around the pure KPI modules (ledger,
office hours, spikes)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import faust
from prometheus_client import Counter, Gauge, Histogram
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.contract import codec, topics
from services.contract.departments import load_routing_config
from services.metrics.config import TRIAGE, load_kpi_config
from services.metrics.kpi import (
    dead_letter_stage_label,
    first_reply_of,
    observe_routed,
    redis_memory_ratio,
    spike_alert,
    spike_category_label,
)
from services.metrics.ledger import ConversationLedger, apply_handled
from services.metrics.office_hours import epoch_to_datetime
from services.metrics.settings import MetricsSettings
from services.metrics.spikes import Spike, SpikeDetector
from services.metrics.store import KpiStore
from services.runtime.stream import create_stream_app

log = logging.getLogger(__name__)
# Sends one record and returns the future of Kafka's acknowledgement (faust's producer.send).
Send = Callable[[str, bytes, bytes], Awaitable[asyncio.Future]]

RECEIVED = Counter("contact_messages_received_total", "Messages on contact.inbound, by channel.", ["channel"])
BY_CATEGORY = Counter(
    "contact_messages_by_category_total",
    "Routed and triaged messages by category (categories.yaml; 'none', 'other') and department ('triage' included).",
    ["category", "department"],
)
ROUTED = Counter(
    "contact_messages_routed_total",
    "Messages routed to a department topic, by department, channel and method.",
    ["department", "channel", "method"],
)
BY_MODEL = Counter(
    "contact_messages_by_model_total",
    "Routed and triaged messages by the kind of model that decided (corpus, history, rules, manual) and department.",
    ["model", "department"],
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
REPLY_STATUSES = Counter(
    "contact_reply_statuses_total",
    "Replies reaching a state (queued, sent, delivered, read, failed), by channel and department; each once.",
    ["channel", "department", "state"],
)
REPLY_FAILED = Counter(
    "contact_reply_failed_total", "Failed replies by channel and reason (ReplyFailure).", ["channel", "reason"]
)
REPLY_DELIVERED_SECONDS = Histogram(
    "contact_reply_delivered_seconds", "From a reply written to the platform saying it was delivered.", ["channel"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600),
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
BACKLOG_OPEN_BY_CHANNEL = Gauge(
    "contact_backlog_open_by_channel_conversations", "Conversations waiting for a first reply, by channel.", ["channel"]
)
BACKLOG_OLDEST_OFFICE_BY_CHANNEL = Gauge(
    "contact_backlog_oldest_office_by_channel_seconds", "Office-hours age of the longest wait, by channel.", ["channel"]
)
BACKLOG_OVER_SLA = Gauge(
    "contact_backlog_over_sla_conversations", "Waiting conversations past their SLA.", ["department"]
)
# By category, not by theme: a theme is citizens' words, which never become a label (the SpikeAlert on
# contact.alerts carries it). "*": the whole department; "mixed": a theme without a dominant category.
SPIKE_ACTIVE = Gauge(
    "contact_spike_messages",
    "Messages in the window of ongoing spikes, the largest per department and category.",
    ["department", "category"],
)
SPIKE_BASELINE = Gauge(
    "contact_spike_baseline_messages", "The usual count per window of the largest ongoing spike per label pair.",
    ["department", "category"],
)
SPIKE_UNTRACKED = Gauge(
    "contact_spike_themes_untracked",
    "Themes not counted since start because the spike detector tracks max_series already (spikes.max_series).",
)
REDIS_MEMORY = Gauge(
    "contact_redis_memory_used_ratio",
    "Redis's used memory as a share of its maxmemory (0 when no limit is set): the alert fires before it is full.",
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


class KpiRecorder:
    """Turns records into Prometheus series and KPI state. State changes are saved to Redis before a batch
    is acknowledged; while Redis is away processing waits (never skips)."""

    def __init__(self, settings: MetricsSettings, store: KpiStore, send: Send) -> None:
        routing = load_routing_config(settings.departments_file)
        departments = routing.departments
        self.department_ids = [d.id for d in departments]
        self.category_ids = frozenset(routing.taxonomy.ids)
        self.known = {*self.department_ids, TRIAGE}
        self.kpi = load_kpi_config(settings.kpi_config_file, departments)
        self.answered_memory_seconds = settings.answered_memory_days * 86400
        self.store = store
        self.send = send
        self.ledger = ConversationLedger(self.kpi.office_hours, self.kpi.sla_seconds, self.kpi.at_risk_fraction)
        self.detector = SpikeDetector(self.kpi.spikes)
        self.start_series_at_zero()
        self.loaded = asyncio.Event()
        # One writer at a time: the ledger's latest state must be what lands in Redis last.
        self.saving = asyncio.Lock()
        # Zero series for every department, so dashboards show 0 instead of "no data".
        for department in self.department_ids:
            ROUTING_LATENCY.labels(department)
        for department, seconds in self.kpi.sla_seconds.items():
            SLA_SECONDS.labels(department).set(seconds)

    async def until_redis_answers(self, what: str, action) -> None:  # noqa: ANN001 - an async callable
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

    async def save(self, increments: list[tuple[str, str, int]]) -> None:
        async with self.saving:
            await self.until_redis_answers("KPI state", lambda: self.store.save(self.ledger, self.detector, increments))

    async def load_state(self) -> None:
        await self.until_redis_answers("loading KPI state", lambda: self.store.load(self.ledger, self.detector))
        log.info("KPI state loaded: %d conversations waiting, %d spikes ongoing", len(self.ledger.waiting),
                 len(self.detector.active))
        self.show_spikes()
        self.loaded.set()

    def show_spikes(self) -> None:
        """The spike gauges from the ongoing spikes: the largest per (department, category)."""
        largest: dict[tuple[str, str], Spike] = {}
        for spike in self.detector.active.values():
            labels = (spike.department, spike_category_label(spike))
            if labels not in largest or spike.count > largest[labels].count:
                largest[labels] = spike
        SPIKE_ACTIVE.clear()
        SPIKE_BASELINE.clear()
        for labels, spike in largest.items():
            SPIKE_ACTIVE.labels(*labels).set(spike.count)
            SPIKE_BASELINE.labels(*labels).set(spike.baseline)

    async def follow(self, what: str, stream: faust.StreamT, batch) -> None:  # noqa: ANN001 - an async callable
        """Batches of a stream once the state is loaded; take_events acks a batch even when the body
        raises, so a failed batch is retried instead, and nothing is skipped."""
        await self.loaded.wait()
        async for events in stream.take_events(500, within=0.05):
            delay = 0.2
            while True:
                try:
                    await batch(events)
                    break
                except Exception as exc:  # noqa: BLE001
                    BATCH_FAILURES.labels(type(exc).__name__).inc()
                    log.error("%s: batch of %d failed (%s); retrying", what, len(events), type(exc).__name__)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)

    @staticmethod
    def count_inbound(value: bytes) -> None:
        try:
            message = codec.decode_contact(value)
        except codec.UndecodableRecord:
            UNREADABLE.labels(topics.INBOUND).inc()
            return
        RECEIVED.labels(codec.channel_label(message.channel)).inc()

    def start_series_at_zero(self) -> None:
        """Every series of the closed label sets the overview and the rules count with `increase()`, at 0
        from the start: Prometheus counts no increase into a series' first sample, so a series born at 3
        would show "0 today" for the day's first three messages."""
        channels = codec.channel_labels()
        for channel in channels:
            RECEIVED.labels(channel)
            TRIAGED.labels(channel)
            for department in self.department_ids:
                for sla in ("met", "missed"):
                    FIRST_RESPONSES.labels(department, channel, sla)
        for department in [*self.department_ids, TRIAGE]:
            for priority in (codec.Priority.PRIORITY_URGENT, codec.Priority.PRIORITY_HIGH, codec.Priority.PRIORITY_NORMAL):
                BY_PRIORITY.labels(department, codec.priority_label(priority))

    async def count_decided(self, events: list) -> None:
        increments: list[tuple[str, str, int]] = []
        started = []
        for event in events:
            try:
                routed = codec.decode_routed(event.value)
            except codec.UndecodableRecord:
                UNREADABLE.labels(event.message.topic).inc()
                continue
            seen = observe_routed(routed, self.category_ids, self.department_ids)
            if seen.department == TRIAGE:
                TRIAGED.labels(seen.channel).inc()
            else:
                ROUTED.labels(seen.department, seen.channel, seen.method).inc()
            BY_PRIORITY.labels(seen.department, seen.priority).inc()
            BY_CATEGORY.labels(seen.category, seen.department).inc()
            BY_MODEL.labels(seen.model, seen.department).inc()
            ROUTING_LATENCY.labels(seen.department).observe(seen.ingest_to_routed_seconds)
            message = routed.message
            received = codec.epoch_seconds(message.received_at)
            self.ledger.message_routed(message.conversation_id, seen.department, seen.channel, message.id, received)
            if seen.method != "manual":  # a staff correction is the same message again
                spikes, counted = self.detector.observe(
                    seen.department, message.id, f"{message.subject}\n{message.text}", received,
                    seen.category if seen.category in self.category_ids else "",
                )
                started += spikes
                increments += counted
        await self.save(increments)
        for spike in started:
            alert = spike_alert(spike, self.detector.settings.window_seconds, time.time())
            await (await self.send(topics.ALERTS, spike.department.encode(), alert.SerializeToString()))
            SPIKE_ALERTS.labels(spike.department).inc()
            # The theme stays out of the log: it is citizens' words.
            log.info("spike in %s: %d messages in the window, usually %.1f (alert %s)",
                     spike.department, spike.count, spike.baseline, alert.alert_id)
        if started:
            self.show_spikes()

    async def count_handled(self, events: list) -> None:
        for event in events:
            try:
                handled_event = codec.decode_handled(event.value)
            except codec.UndecodableRecord:
                UNREADABLE.labels(topics.HANDLED).inc()
                continue
            self.record_handled(handled_event)
        await self.save([])

    async def count_reply_statuses(self, events: list) -> None:
        statuses = []
        for event in events:
            try:
                statuses.append(codec.decode_reply_status(event.value))
            except codec.UndecodableRecord:
                UNREADABLE.labels(topics.REPLY_STATUS).inc()
        # A status may be published twice (at least once): each reply and state is counted once.
        fresh = await self.store.first_sightings([f"{s.reply_id}:{s.state}" for s in statuses])
        for status, new in zip(statuses, fresh):
            if not new:
                continue
            channel = codec.channel_label(status.channel)
            department = status.department if status.department in self.known else "unknown"
            REPLY_STATUSES.labels(channel, department, codec.reply_state_label(status.state)).inc()
            if status.state == codec.ReplyState.REPLY_STATE_FAILED:
                REPLY_FAILED.labels(channel, codec.reply_failure_label(status.failure)).inc()
            elif status.state == codec.ReplyState.REPLY_STATE_DELIVERED and status.HasField("reply_created_at"):
                REPLY_DELIVERED_SECONDS.labels(channel).observe(
                    max(0.0, codec.epoch_seconds(status.at) - codec.epoch_seconds(status.reply_created_at)))
            first_reply = first_reply_of(status)
            if first_reply is not None:
                self.record_handled(first_reply)
        await self.save([])

    def record_handled(self, event: codec.HandledEvent) -> None:
        department = event.department if event.department in self.known else "unknown"
        HANDLED.labels(department, codec.action_label(event.action)).inc()
        response = apply_handled(self.ledger, event, self.known)
        if response is not None:
            FIRST_RESPONSE_OFFICE.labels(response.department, response.channel).observe(response.office_seconds)
            FIRST_RESPONSE.labels(response.department, response.channel).observe(response.wall_seconds)
            FIRST_RESPONSES.labels(response.department, response.channel,
                                   "met" if response.within_sla else "missed").inc()

    @staticmethod
    def count_dead_letter(value: bytes) -> None:
        letter = codec.DeadLetter()
        try:
            letter.ParseFromString(value)
        except Exception:  # noqa: BLE001 - protobuf raises DecodeError; count and go on
            UNREADABLE.labels(topics.DEADLETTER).inc()
            return
        DEAD_LETTERS.labels(dead_letter_stage_label(letter.stage)).inc()

    async def refresh_gauges(self) -> None:
        if not self.loaded.is_set():
            return
        now = time.time()
        OFFICE_OPEN.set(1 if self.kpi.office_hours.is_open(epoch_to_datetime(now)) else 0)
        for department, backlog in self.ledger.backlog(now, self.department_ids).items():
            BACKLOG_OPEN.labels(department).set(backlog.open)
            BACKLOG_OLDEST.labels(department).set(backlog.oldest_seconds)
            BACKLOG_OLDEST_OFFICE.labels(department).set(backlog.oldest_office_seconds)
            BACKLOG_AT_RISK.labels(department).set(backlog.at_risk)
            BACKLOG_OVER_SLA.labels(department).set(backlog.over_sla)
        for channel, backlog in self.ledger.backlog_by_channel(now, codec.channel_labels()).items():
            BACKLOG_OPEN_BY_CHANNEL.labels(channel).set(backlog.open)
            BACKLOG_OLDEST_OFFICE_BY_CHANNEL.labels(channel).set(backlog.oldest_office_seconds)
        if self.detector.expire(now):
            self.show_spikes()
        SPIKE_UNTRACKED.set(self.detector.untracked)
        self.ledger.forget_answers_before(now - self.answered_memory_seconds)
        await self.save([])


def create_app(settings: MetricsSettings) -> faust.App:
    """The wiring: one faust app, the KPI recorder and its state in Redis, an agent per topic, a timer."""
    app = create_stream_app("gemeente-metrics", settings, web_host=settings.metrics_host,
                            web_port=settings.metrics_port, data_dir=settings.metrics_data_dir)

    async def send(topic: str, key: bytes, value: bytes) -> asyncio.Future:
        return await app.producer.send(topic, key, value, None, None, None)

    redis = Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=2.0, socket_connect_timeout=2.0)
    kpis = KpiRecorder(settings, KpiStore(redis), send)

    def topic(*names: str) -> faust.TopicT:
        return app.topic(*names, key_type=bytes, value_type=bytes)

    @app.task
    async def load_state() -> None:
        await kpis.load_state()

    @app.agent(topic(topics.INBOUND))
    async def count_inbound(stream: faust.StreamT) -> None:
        async for value in stream:
            kpis.count_inbound(value)

    @app.agent(topic(topics.TRIAGE, *(topics.routed_topic(d) for d in kpis.department_ids)))
    async def follow_decided(stream: faust.StreamT) -> None:
        await kpis.follow("routed messages", stream, kpis.count_decided)

    @app.agent(topic(topics.HANDLED))
    async def follow_handled(stream: faust.StreamT) -> None:
        await kpis.follow("handled events", stream, kpis.count_handled)

    @app.agent(topic(topics.REPLY_STATUS))
    async def follow_reply_statuses(stream: faust.StreamT) -> None:
        await kpis.follow("reply statuses", stream, kpis.count_reply_statuses)

    @app.agent(topic(topics.DEADLETTER))
    async def count_dead_letters(stream: faust.StreamT) -> None:
        async for value in stream:
            kpis.count_dead_letter(value)

    @app.timer(settings.metrics_refresh_seconds)
    async def refresh_gauges() -> None:
        await kpis.refresh_gauges()
        try:
            memory = await redis.info("memory")
            REDIS_MEMORY.set(redis_memory_ratio(memory))
        except RedisError:
            pass  # Redis away: the state-unavailable counter and the lag tell it

    return app
