"""The router's worker: contact.inbound read by a plain aiokafka consumer in batches, each batch routed
(the pure decision package, services/router/decision/) and published exactly once, offsets committed in
order; the gRPC APIs and /healthz, /readyz, /metrics served beside it. Why not faust: docs/adr/0011.

`RouterWorker` is the wiring; `BatchRouter` the I/O shell of one batch; `InboundLoop` the consumer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from aiohttp import web
from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    TopicPartition,
)
from aiokafka.errors import CommitFailedError, KafkaError
from grpc_health.v1 import health_pb2
from prometheus_client import Counter, Gauge, Histogram
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.contract import codec, topics
from services.contract.departments import load_routing_config
from services.router.api import SERVICE_NAME, RoutingServicer, create_grpc_server
from services.router.decision.deciders import Decider, UrgencyRater
from services.router.decision.routing import RoutingContext, SourceRecord, route_records
from services.router.handling_api import SERVICE_NAME as HANDLING_SERVICE_NAME
from services.router.handling_api import HandlingServicer
from services.router.reply_api import SERVICE_NAME as REPLY_SERVICE_NAME
from services.router.reply_api import ReplyServicer
from services.replies.ledger import SendLedger
from services.router.memory import ConversationMemory, RoutedStore
from services.router.outputs import (
    OutputLedger,
    RecentOutputs,
    expected_output_key,
    find_published,
    output_key,
    plan,
)
from services.router.settings import RouterSettings
from services.router.model_store import ModelWatch
from services.router.wiring import build_decider, load_model_decider
from services.runtime.kafka import aiokafka_security, group_consumer
from services.runtime.lag import CONSUMER_LAG
from services.runtime.probes import probe_app
from services.runtime.redis_store import set_groups

log = logging.getLogger(__name__)
ROUTED = Counter(
    "contact_router_messages_total",
    "Messages the router published, by destination (department, triage, deadletter), method and channel.",
    ["destination", "method", "channel"],
)
BATCH_FAILURES = Counter(
    "contact_router_batch_failures_total", "Batches that failed and were retried, by exception type.", ["error"]
)
MODEL_SWITCHES = Counter(
    "contact_router_model_switches_total", "Promoted models this replica switched to (or failed to load).", ["outcome"]
)
MODEL_IN_USE = Gauge("contact_router_model_in_use", "1 for the kind of model this replica routes with.", ["model"])
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
    everything, and only then remember it, so a batch that fails is retried whole and nothing is doubled.

    Three Redis round trips a batch: one read (the conversations' departments and the outputs' ledger
    marks), one write before sending (pending marks), one after Kafka acknowledged (done marks,
    departments, routed messages)."""

    def __init__(
        self,
        redis: Redis,
        decider: Decider,
        urgency: UrgencyRater,
        sticky_switch_confidence: float,
        memory: ConversationMemory,
        store: RoutedStore,
        ledger: OutputLedger,
        send: Send,
        consumer_options: dict,
    ) -> None:
        self.redis = redis
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

    async def route_batch(self, records: list[SourceRecord]) -> None:
        """Route one batch: every output acknowledged by Kafka before this returns."""
        started = asyncio.get_running_loop().time()
        sources = [(r.topic, r.partition, r.offset) for r in records]
        earlier, marks = await self.read_state([r.key.decode("utf-8", "replace") for r in records if r.key],
                                               [expected_output_key(r) for r in records])
        context = RoutingContext(self.decider, self.urgency, earlier, self.sticky_switch_confidence)
        decided = route_records(records, context, codec.timestamp(datetime.now(timezone.utc)))
        keys = [output_key(o, s) for o, s in zip(decided, sources)]
        unread = [k for k in keys if k not in marks]  # a record that turned into a dead letter after all
        if unread and self.ledger.available:
            marks.update(await self.ledger.marks(unread))
        fresh = await self.only_new(decided, keys, marks)
        outcomes = [o for o, _ in fresh]
        pending = []
        tally: Tally[tuple[str, str, str]] = Tally()
        for outcome in outcomes:
            pending.append(await self.send(outcome.topic, outcome.key, outcome.value))
            tally[outcome.destination, outcome.method, outcome.channel] += 1
        await asyncio.gather(*pending)
        self.recent.add(k for _, k in fresh)
        await self.remember([k for _, k in fresh], {o.conversation_id: o.department for o in decided if o.department},
                            {o.message_id: o.value for o in outcomes if o.message_id})
        for labels, count in tally.items():
            ROUTED.labels(*labels).inc(count)
        BATCH_SIZE.observe(len(records))
        BATCH_SECONDS.observe(asyncio.get_running_loop().time() - started)

    async def read_state(self, conversation_ids: list[str], output_keys: list[str]) -> tuple[dict[str, str], dict]:
        """The conversations' departments and the outputs' ledger marks, in one MGET."""
        conversations = list(dict.fromkeys(c for c in conversation_ids if c))
        outputs = list(dict.fromkeys(output_keys))
        keys = [self.memory.key(c) for c in conversations] + [self.ledger.key(k) for k in outputs]
        if not keys:
            return {}, {}
        try:
            values = await self.redis.mget(keys)
        except RedisError:
            if conversations:
                self.memory.unreadable(len(conversations))
            self.ledger.unreadable(len(outputs))
            return {}, {}
        split = len(conversations)
        return self.memory.parse(conversations, values[:split]), self.ledger.parse(outputs, values[split:])

    async def remember(self, published: list[str], departments: dict[str, str], routed: dict[str, bytes]) -> None:
        """After Kafka acknowledged: done marks, conversations' departments, routed messages, in one call."""
        done = self.ledger.done_group(published)
        try:
            await set_groups(self.redis, [done, self.memory.group(departments), self.store.group(routed)])
        except RedisError:
            if done[0]:
                self.ledger.unwritable(len(done[0]))
            if departments:
                self.memory.unwritable(len(departments))
            if routed:
                self.store.unwritable(len(routed))

    async def only_new(self, outcomes: list, keys: list[str], marks: dict) -> list[tuple]:
        """Drop what an earlier incarnation already published; mark the rest pending before sending."""
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


# The consumer group of the router: KEDA scales on its lag, its KafkaUser may use it (k8s/build.py).
GROUP_ID = "gemeente-router"


class InboundLoop(ConsumerRebalanceListener):
    """contact.inbound, a batch at a time: route it, then commit its offsets. A batch that fails is
    routed again until it is routed, never skipped (Kafka or Redis away: the router pauses, the lag
    alerts fire). When the group takes partitions away, the batch in hand is finished and committed
    first, unless it cannot be (then its records go to the partitions' next owner uncommitted, and the
    output ledger keeps them from being published twice)."""

    def __init__(self, consumer: AIOKafkaConsumer, router: BatchRouter, batch_size: int, batch_seconds: float) -> None:
        self.consumer = consumer
        self.router = router
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.assigned = False
        self._in_hand = asyncio.Lock()
        self._routed: dict[TopicPartition, int] = {}  # offsets to commit: after the records routed
        self._revoking = False
        self._stopping = asyncio.Event()

    # ConsumerRebalanceListener: aiokafka awaits these in its rebalance, before any member is assigned.
    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self._revoking = True
        try:
            async with self._in_hand:  # the batch in hand is routed (or given up) first
                pass
            # Committing here is what aiokafka asks for; outside the lock, so the loop never waits on it
            # while the rebalance waits on the loop.
            await self._commit_routed()
        finally:
            self._revoking = False
        self.assigned = False

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.assigned = bool(assigned)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            fetched = await self.consumer.getmany(timeout_ms=int(self.batch_seconds * 1000), max_records=self.batch_size)
            if fetched:
                async with self._in_hand:
                    owned = self.consumer.assignment()
                    # Partitions taken away since the fetch are their next owner's, from the committed offset.
                    fetched = {tp: messages for tp, messages in fetched.items() if tp in owned}
                    records = [SourceRecord(m.topic, m.partition, m.offset, m.key, m.value)
                               for messages in fetched.values() for m in messages]
                    if records and await self._route(records):
                        self._routed.update({tp: messages[-1].offset + 1 for tp, messages in fetched.items()})
            if self._routed and not self._revoking:
                await self._commit_routed()
        await self._commit_routed()  # stopping: what was routed is committed before the group is left

    async def _route(self, records: list[SourceRecord]) -> bool:
        delay = 0.1
        while True:
            try:
                await self.router.route_batch(records)
                return True
            except Exception as exc:  # noqa: BLE001 - whatever it is, the batch must not be committed
                BATCH_FAILURES.labels(type(exc).__name__).inc()
                if self._revoking or self._stopping.is_set():
                    log.warning("batch of %d not routed (%s); left uncommitted for the partitions' next owner",
                                len(records), type(exc).__name__)
                    return False
                log.error("batch of %d not routed (%s); retrying in %.1f s", len(records), type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _commit_routed(self) -> None:
        """Commit the offsets after the batches routed so far (those of partitions still owned)."""
        owned = self.consumer.assignment()
        offsets = {tp: offset for tp, offset in self._routed.items() if tp in owned}
        self._routed.clear()
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # The group took the partitions meanwhile: their next owner starts from the last commit, and the
            # output ledger drops what was already published.
            log.warning("offsets not committed (%s); the next owner of the partitions routes them again", type(exc).__name__)

    async def measure_lag(self) -> None:
        CONSUMER_LAG.clear()
        for tp in self.consumer.assignment():
            highwater = self.consumer.highwater(tp)
            if highwater is None:
                continue
            committed = await self.consumer.committed(tp)
            CONSUMER_LAG.labels(GROUP_ID, tp.topic, str(tp.partition)).set(max(0, highwater - (committed or 0)))


class RouterWorker:
    """The wiring: Redis, the Kafka clients, the batch router on contact.inbound, the gRPC APIs, the web
    endpoints. `run()` until `stop()` (SIGTERM): the batch in hand is finished and committed on the way out."""

    def __init__(self, settings: RouterSettings, decider: Decider | None = None, urgency: UrgencyRater | None = None) -> None:
        if decider is None:
            decider, urgency = build_decider(settings)
        self.settings = settings
        security = aiokafka_security(settings)
        self.redis = Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=1.0, socket_connect_timeout=1.0)
        memory = ConversationMemory(self.redis, settings.sticky_ttl_seconds)
        store = RoutedStore(self.redis, settings.routed_retention_seconds)
        self.producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers, client_id=GROUP_ID, acks="all", linger_ms=2, **security)
        self.consumer = group_consumer(settings, GROUP_ID, max_poll_records=settings.router_batch_size)

        async def send(topic: str, key: bytes, value: bytes) -> asyncio.Future:
            return await self.producer.send(topic, value, key=key)

        async def publish(topic: str, key: bytes, value: bytes) -> None:
            await (await send(topic, key, value))

        router = BatchRouter(
            self.redis, decider, urgency, settings.sticky_switch_confidence, memory, store,
            OutputLedger(self.redis, settings.output_ledger_ttl_seconds), send,
            {"bootstrap_servers": settings.kafka_bootstrap_servers, **security},
        )
        self.router = router
        self.inbound = InboundLoop(self.consumer, router, settings.router_batch_size, settings.router_batch_seconds)
        config = load_routing_config(settings.departments_file)
        department_ids = frozenset(d.id for d in config.departments)
        self.routing = RoutingServicer(RoutingContext(decider, urgency, {}, settings.sticky_switch_confidence),
                                       department_ids, store, memory, publish, config.department_of)
        self.handling = HandlingServicer(department_ids, publish)
        self.replies = ReplyServicer(department_ids, memory, SendLedger(self.redis, settings.reply_ledger_ttl_seconds),
                                     publish)

    def web_app(self) -> web.Application:
        async def is_ready() -> bool:
            # Ready once the consumer group gave this worker its partitions: only then does it route.
            return self.inbound.assigned

        return probe_app(is_ready)

    async def run(self) -> None:
        settings = self.settings
        runner = web.AppRunner(self.web_app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.router_host, settings.router_port).start()
        grpc_server = create_grpc_server(self.routing, self.handling, self.replies,
                                         f"{settings.router_host}:{settings.router_grpc_port}", settings)
        await grpc_server.start()
        for name in ("", SERVICE_NAME, HANDLING_SERVICE_NAME, REPLY_SERVICE_NAME):
            await grpc_server.health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        await self.producer.start()
        await self.consumer.start()
        self.consumer.subscribe([topics.INBOUND], listener=self.inbound)
        lag = asyncio.create_task(self._measure_lag_every(5.0))
        watch = asyncio.create_task(self._switch_to_promoted_models()) if settings.router_decider == "model" else None
        try:
            await self.inbound.run()
        finally:
            log.info("router stopping: leaving the group, flushing the producer")
            lag.cancel()
            if watch is not None:
                watch.cancel()
            await self.consumer.stop()  # leaves the group: its partitions go to the others at once
            await self.producer.stop()
            await grpc_server.stop(grace=5)
            await runner.cleanup()
            await self.redis.aclose()

    def stop(self) -> None:
        self.inbound.stop()

    def use(self, decider: Decider) -> None:
        """Route with `decider` from the next batch on (a batch in hand keeps the one it started with, so
        every message is decided once, by one model) and answer Classify with it."""
        self.router.decider = decider
        self.routing.context.decider = decider
        classifier = getattr(decider, "classifier", None)
        MODEL_IN_USE.clear()
        MODEL_IN_USE.labels(classifier.kind if classifier is not None else "rules").set(1)

    async def _switch_to_promoted_models(self) -> None:
        """Load a model promoted to ROUTER_MODEL_FILE (gemeente-model train or rollback) and switch to it."""
        self.use(self.router.decider)
        watch = ModelWatch(self.settings.router_model_file)
        while True:
            await asyncio.sleep(self.settings.router_model_poll_seconds)
            if not watch.changed():
                continue
            try:
                decider = await asyncio.to_thread(load_model_decider, self.settings)
            except Exception:  # noqa: BLE001 - a bad file must not stop routing with the model in hand
                MODEL_SWITCHES.labels("failed").inc()
                log.exception("the promoted model at %s could not be loaded; routing on with the one in hand",
                              self.settings.router_model_file)
                continue
            before = getattr(getattr(self.router.decider, "classifier", None), "version", "rules")
            self.use(decider)
            MODEL_SWITCHES.labels("switched").inc()
            log.info("switched model %s → %s", before, decider.classifier.version)

    async def _measure_lag_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.inbound.measure_lag()
            except Exception:  # noqa: BLE001 - a metric must not stop the router
                log.debug("lag not measured", exc_info=True)
