"""The reply sender: contact.replies → the platforms, exactly once per reply id, in order per conversation.

`ReplySender` handles one reply (ledger, address, plan, send, back-off, status); `ReplyLoop` reads the
topic with a plain aiokafka consumer and runs one lane per conversation, so a platform that is down
holds up only its own conversations, while replies to one conversation leave in the order written.
Offsets are committed up to the oldest reply still being worked on.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from prometheus_client import Counter, Histogram
from redis.asyncio import Redis

from services.contract import codec, topics
from services.contract.departments import load_departments
from services.contract.replies import status_of
from services.contract.vocabulary import TRIAGE
from services.ingest.addresses import AddressCipher, AddressUnreadable, ReplyAddressBook
from services.ingest.channels import REPLY_CHANNELS, Channel
from services.replies.ledger import SendLedger, public_state
from services.replies.senders import (
    ChannelSender,
    Context,
    MAYBE_ACCEPTED,
    Failed,
    Outgoing,
    Refused,
    Retry,
    Target,
    Transport,
    plan_reply,
)
from services.replies.settings import ReplySettings
from services.replies.templates import load_templates
from services.runtime.kafka import aiokafka_security, group_consumer
from services.runtime.probes import probe_app

log = logging.getLogger(__name__)
State = codec.ReplyState
Failure = codec.ReplyFailure

REPLIES = Counter("contact_replies_total", "Replies by channel, department and final outcome (sent or failed).",
                  ["channel", "department", "outcome"])
FAILURES = Counter("contact_reply_failures_total", "Failed replies by channel and reason (a closed set).",
                   ["channel", "reason"])
RETRIES = Counter("contact_reply_retries_total", "Attempts retried, by channel and reason.", ["channel", "reason"])
TOKEN_INVALID = Counter("contact_reply_token_invalid_total",
                        "Replies refused because the platform rejected our token (alert: renew it).", ["channel"])
DUPLICATES = Counter("contact_reply_duplicates_total", "Replies published again and not sent again.", ["channel"])
SEND_SECONDS = Histogram("contact_reply_send_seconds", "From a reply read to the platform's acceptance.", ["channel"],
                         buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30, 60, 300))

GROUP_ID = "gemeente-replies"


def group_id(settings: ReplySettings) -> str:
    """One consumer group per set of channels: with REPLY_CHANNELS, each split process reads every reply
    and sends its own channels' (its KafkaUser may use the groups "gemeente-replies*")."""
    served = served_channels(settings)
    return GROUP_ID if served is None else f"{GROUP_ID}-{'-'.join(sorted(served))}"


def served_channels(settings: ReplySettings) -> frozenset[str] | None:
    wanted = frozenset(c.strip() for c in settings.reply_channels.split(",") if c.strip())
    return wanted or None
LEASE_MARGIN_SECONDS = 5.0
# On SIGTERM, how long the replies in hand may take to finish (within the pod's 30 s grace period).
STOP_GRACE_SECONDS = 15.0


def backoff(attempt: int, cap: float, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(cap, 2^attempt)], at least 0.2 s, so stalled senders spread out."""
    return max(0.2, rng.uniform(0, min(cap, 2.0 ** attempt)))


def resolve(reference: str):  # noqa: ANN201 - a module attribute named "module:attribute"
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass
class ChannelOut:
    """A channel's sender as wired: its registry entry, pure planner and transport."""

    channel: Channel
    sender: ChannelSender
    transport: Transport


Publish = Callable[[str, bytes, bytes], Awaitable[None]]


@dataclass
class ReplySender:
    """One reply from read to its final status."""

    ledger: SendLedger
    addresses: ReplyAddressBook
    channels: dict[str, ChannelOut]
    context: Callable[[], Context]
    publish: Publish
    settings: ReplySettings
    departments: frozenset[str] = frozenset()
    # The answering channels this process sends for; the others are another process's (None: all).
    serves: frozenset[str] | None = None
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)

    def department_label(self, reply: codec.Reply) -> str:
        """A metric label from a closed set: a reply on Kafka may name anything."""
        return reply.department if reply.department in self.departments or reply.department == TRIAGE else "unknown"

    async def status(self, reply: codec.Reply, state: int, platform_id: str = "",
                     failure: int = Failure.REPLY_FAILURE_UNSPECIFIED) -> None:
        status = status_of(reply, state, codec.timestamp_from_epoch(self.clock()), platform_id, failure)
        await self.publish(topics.REPLY_STATUS, reply.conversation_id.encode(), status.SerializeToString())

    async def fail(self, reply: codec.Reply, failure: int, detail: str, record: tuple | None = None) -> None:
        label = codec.reply_failure_label(failure)
        await self.ledger.failed(reply.reply_id, label)
        channel = codec.channel_label(reply.channel)
        FAILURES.labels(channel, label).inc()
        REPLIES.labels(channel, self.department_label(reply), "failed").inc()
        log.warning("reply %r on %s failed: %s (%s)", reply.reply_id, channel, label, detail)
        if record is not None:  # refused by the platform: kept with the reason for a person to look at
            topic, partition, offset, key, value = record
            letter = codec.DeadLetter(
                original=value, original_key=key or b"", source_topic=topic, source_partition=partition,
                source_offset=offset, stage=f"replies.{channel}", error=f"{label}: {detail}"[:500],
                failed_at=codec.timestamp_from_epoch(self.clock()))
            await self.publish(topics.DEADLETTER, key or channel.encode(), letter.SerializeToString())
        await self.status(reply, State.REPLY_STATE_FAILED, failure=failure)

    async def handle(self, reply: codec.Reply, record: tuple) -> None:
        """Send `reply` once; return when it is sent or failed (retrying as long as the settings allow)."""
        started = self.clock()
        if not reply.HasField("created_at"):  # published without ReplyService: written when it was read
            reply.created_at.CopyFrom(codec.timestamp_from_epoch(started))
        if self.serves is not None and codec.channel_label(reply.channel) not in self.serves:
            return  # another reply sender (REPLY_CHANNELS) sends for this channel, in its own group
        lease_ms = int((self.settings.reply_request_timeout_seconds + LEASE_MARGIN_SECONDS) * 1000)
        channel = codec.channel_label(reply.channel)
        about = {"conversation": reply.conversation_id, "department": reply.department, "channel": str(reply.channel),
                 "created": str(reply.created_at.ToMilliseconds()), "author": str(reply.author_role)}
        while (begun := await self.ledger.begin(reply.reply_id, int(self.clock() * 1000), lease_ms, about)).verdict == "busy":
            await asyncio.sleep(1.0)  # another sender owns it for now (a rebalance): it will finish or lapse
        if begun.verdict == "done":
            DUPLICATES.labels(channel).inc()
            # Its status again (it may have been lost in a crash after the ledger); consumers dedup on it.
            await self.status(reply, public_state(begun.state), begun.platform_id)
            return
        if begun.verdict == "new":
            await self.status(reply, State.REPLY_STATE_QUEUED)
        wired = self.channels.get(channel)
        if wired is None:
            await self.fail(reply, Failure.REPLY_FAILURE_NO_REPLY_CHANNEL, "the channel cannot carry an answer")
            return
        if begun.verdict == "unsure" and not await self.recover(reply, wired, begun.since_ms):
            return
        try:
            latest, answered = await self.addresses.lookup(reply.conversation_id, reply.in_reply_to)
            target = Target(latest, answered or latest) if latest is not None else None
            outgoing = plan_reply(wired.sender, reply, target, self.context())
        except Refused as refused:
            await self.fail(reply, refused.failure, str(refused))
            return
        except AddressUnreadable:  # sealed with a key no longer configured: as good as no address
            await self.fail(reply, Failure.REPLY_FAILURE_UNKNOWN_CONVERSATION, "the kept address does not decrypt")
            return
        if outgoing.once_key and not await self.ledger.claim_once(outgoing.once_key, reply.reply_id):
            await self.fail(reply, Failure.REPLY_FAILURE_PRIVATE_REPLY_USED, "the comment's private reply was used")
            return
        await self.send(reply, wired, outgoing, begun.since_ms / 1000 or started, record, started)

    async def recover(self, reply: codec.Reply, wired: ChannelOut, since_ms: int) -> bool:
        """A crash fell while a request was at the platform. Whether to send (again)."""
        policy = wired.channel.replies.after_crash
        if policy == "resend":  # the receiver drops a second copy (e-mail: the same Message-ID)
            return True
        if policy == "await_status":  # the platform's status webhook carries the reply id
            return not await self.went_after_all(reply)
        await self.fail(reply, Failure.REPLY_FAILURE_OUTCOME_UNKNOWN, "crashed while the platform had the request")
        return False

    async def went_after_all(self, reply: codec.Reply) -> bool:
        """Whether the platform's status webhook (applied by the ingestor) says the reply went, waiting up to
        REPLY_STATUS_WAIT_SECONDS for it."""
        deadline = time.monotonic() + self.settings.reply_status_wait_seconds
        while True:
            state, _ = await self.ledger.state(reply.reply_id)
            if state not in ("sending", "queued", ""):
                log.info("reply %r: the platform's status says it went (%s); not sent again", reply.reply_id, state)
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.5)

    async def send(self, reply: codec.Reply, wired: ChannelOut, outgoing: Outgoing, since: float, record: tuple,
                   started: float) -> None:
        channel = wired.channel.name
        attempt = 0
        while True:
            timeout = self.settings.reply_request_timeout_seconds
            await self.ledger.attempt(reply.reply_id, int((self.clock() + timeout + LEASE_MARGIN_SECONDS) * 1000))
            try:
                accepted = await wired.transport.send(outgoing, reply.reply_id)
            except Retry as retry:
                attempt += 1
                RETRIES.labels(channel, retry.reason).inc()
                if (retry.reason in MAYBE_ACCEPTED and wired.channel.replies.after_crash == "await_status"
                        and await self.went_after_all(reply)):
                    state, _ = await self.ledger.state(reply.reply_id)
                    REPLIES.labels(channel, self.department_label(reply), "failed" if state == "failed" else "sent").inc()
                    return  # its status came with the receipt
                if self.clock() - since > self.settings.reply_retry_seconds:
                    await self.ledger.not_sent(reply.reply_id, 0)
                    await self.fail(reply, Failure.REPLY_FAILURE_RETRIES_EXHAUSTED, str(retry), record)
                    return
                pause = backoff(attempt, self.settings.reply_backoff_max_seconds, self.rng)
                if retry.after_seconds is not None:
                    pause = max(pause, retry.after_seconds + self.rng.uniform(0, 1))
                await self.ledger.not_sent(reply.reply_id, int((self.clock() + pause + LEASE_MARGIN_SECONDS) * 1000))
                log.info("reply %r on %s: %s, attempt %d again in %.1f s", reply.reply_id, channel, retry.reason,
                         attempt + 1, pause)
                await asyncio.sleep(pause)
                continue
            except Failed as failed:
                if failed.alert:
                    TOKEN_INVALID.labels(channel).inc()
                await self.fail(reply, failed.failure, str(failed), record)
                return
            await self.ledger.sent(reply.reply_id, accepted.platform_message_id, reply.conversation_id,
                                   int(self.clock() * 1000))
            REPLIES.labels(channel, self.department_label(reply), "sent").inc()
            SEND_SECONDS.labels(channel).observe(self.clock() - started)
            await self.status(reply, State.REPLY_STATE_SENT, accepted.platform_message_id)
            return


class ReplyLoop(ConsumerRebalanceListener):
    """contact.replies, one lane per conversation; offsets committed below the oldest reply in hand."""

    def __init__(self, consumer: AIOKafkaConsumer, sender: ReplySender, publish: Publish, max_in_flight: int) -> None:
        self.consumer = consumer
        self.sender = sender
        self.publish = publish
        self.max_in_flight = max_in_flight
        self.assigned = False
        self.lanes: dict[str, asyncio.Queue] = {}
        self.workers: dict[str, asyncio.Task] = {}
        self.in_hand: dict[TopicPartition, set[int]] = {}
        self.next_offset: dict[TopicPartition, int] = {}
        self.room = asyncio.Semaphore(max_in_flight)
        self._stopping = asyncio.Event()

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self.commit()
        for tp in revoked:  # their next owner takes over; the ledger's lease keeps a reply from going twice
            self.in_hand.pop(tp, None)
            self.next_offset.pop(tp, None)
        self.assigned = False

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.assigned = bool(assigned)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            fetched = await self.consumer.getmany(timeout_ms=200, max_records=100)
            for tp, messages in fetched.items():
                for message in messages:
                    await self.room.acquire()
                    self.in_hand.setdefault(tp, set()).add(message.offset)
                    self.next_offset[tp] = message.offset + 1
                    self.enqueue(tp, message)
            await self.commit()
        # A rolling restart: what is at a platform now finishes (a cut-off request is an unsure one), what
        # waits in a back-off is left uncommitted for the next owner.
        if self.workers:
            await asyncio.wait(list(self.workers.values()), timeout=STOP_GRACE_SECONDS)
        for task in self.workers.values():
            task.cancel()
        await asyncio.gather(*self.workers.values(), return_exceptions=True)
        await self.commit()

    def enqueue(self, tp: TopicPartition, message) -> None:  # noqa: ANN001 - aiokafka's ConsumerRecord
        lane_key = (message.key or b"").decode("utf-8", "replace")
        lane = self.lanes.setdefault(lane_key, asyncio.Queue())
        lane.put_nowait((tp, message))
        if lane_key not in self.workers:
            self.workers[lane_key] = asyncio.create_task(self.drain(lane_key, lane))

    async def drain(self, lane_key: str, lane: asyncio.Queue) -> None:
        """One conversation's replies, one after another; the lane ends when it is empty."""
        try:
            while not lane.empty():
                tp, message = lane.get_nowait()
                await self.process(message)
                self.in_hand.get(tp, set()).discard(message.offset)
                self.room.release()
        finally:
            self.workers.pop(lane_key, None)
            if lane.empty():
                self.lanes.pop(lane_key, None)

    async def process(self, message) -> None:  # noqa: ANN001
        record = (message.topic, message.partition, message.offset, message.key, message.value)
        delay = 0.5
        while True:
            try:
                reply = codec.decode_reply(message.value)
                if not reply.reply_id or not reply.conversation_id:
                    raise codec.UndecodableRecord("Reply lacks reply_id or conversation_id")
            except codec.UndecodableRecord as exc:
                await self.dead_letter(record, str(exc))
                return
            try:
                await self.sender.handle(reply, record)
                return
            except Exception as exc:  # noqa: BLE001 - Redis or Kafka away: this reply waits, it is not lost
                log.error("reply %r not handled (%s); again in %.1f s", reply.reply_id, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def dead_letter(self, record: tuple, reason: str) -> None:
        topic, partition, offset, key, value = record
        letter = codec.DeadLetter(original=value or b"", original_key=key or b"", source_topic=topic,
                                  source_partition=partition, source_offset=offset, stage="replies.decode",
                                  error=reason[:500], failed_at=codec.timestamp_from_epoch(time.time()))
        await self.publish(topics.DEADLETTER, key or b"replies", letter.SerializeToString())

    async def commit(self) -> None:
        offsets = {}
        for tp in self.consumer.assignment():
            if tp not in self.next_offset:
                continue
            held = self.in_hand.get(tp)
            offsets[tp] = min(held) if held else self.next_offset[tp]
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            log.warning("reply offsets not committed (%s); the ledger keeps a re-read from resending", type(exc).__name__)


def wire_channels(settings: ReplySettings, session: aiohttp.ClientSession) -> dict[str, ChannelOut]:
    """The senders of the registry's answering channels that this process serves (REPLY_CHANNELS)."""
    wanted = {c.strip() for c in settings.reply_channels.split(",") if c.strip()}
    unknown = wanted - {c.name for c in REPLY_CHANNELS}
    if unknown:
        raise ValueError(f"REPLY_CHANNELS names channels that cannot answer: {sorted(unknown)}")
    wired = {}
    for channel in REPLY_CHANNELS:
        if wanted and channel.name not in wanted:
            continue
        sender: ChannelSender = resolve(channel.replies.sender or "")
        token_setting = channel.replies.secrets[0].lower() if channel.replies.secrets else ""
        token = getattr(settings, token_setting).get_secret_value() if token_setting else ""
        wired[channel.name] = ChannelOut(channel, sender, resolve(sender.transport)(settings, session, token))
    return wired


class ReplyWorker:
    """The wiring: Redis, Kafka, the senders, the web endpoints. `run()` until `stop()`."""

    def __init__(self, settings: ReplySettings) -> None:
        self.settings = settings
        security = aiokafka_security(settings)
        self.redis = Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=2.0, socket_connect_timeout=2.0)
        self.producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, client_id=GROUP_ID,
                                         acks="all", linger_ms=2, **security)
        self.consumer = group_consumer(settings, group_id(settings))
        self.templates = load_templates(settings.templates_file)
        self.cipher = AddressCipher.from_setting(settings.reply_address_key.get_secret_value())
        self.loop: ReplyLoop | None = None
        self._stop_early = False

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        await self.producer.send_and_wait(topic, value, key=key)

    async def run(self) -> None:
        settings = self.settings
        ready = asyncio.Event()

        async def is_ready() -> bool:
            return ready.is_set() and self.loop is not None and self.loop.assigned

        runner = web.AppRunner(probe_app(is_ready), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.replies_host, settings.replies_port).start()
        async with aiohttp.ClientSession() as session:
            sender = ReplySender(
                SendLedger(self.redis, settings.reply_ledger_ttl_seconds), ReplyAddressBook(self.redis, self.cipher),
                wire_channels(settings, session),
                lambda: Context(time.time(), self.templates, settings.reply_from_address), self.publish, settings,
                frozenset(d.id for d in load_departments(settings.departments_file)), served_channels(settings))
            self.loop = ReplyLoop(self.consumer, sender, self.publish, settings.reply_max_in_flight)
            await self.producer.start()
            await self.consumer.start()
            self.consumer.subscribe([topics.REPLIES], listener=self.loop)
            if self._stop_early:
                self.loop.stop()
            ready.set()
            try:
                await self.loop.run()
            finally:
                await self.consumer.stop()
                await self.producer.stop()
                await runner.cleanup()
                await self.redis.aclose()

    def stop(self) -> None:
        self._stop_early = True
        if self.loop is not None:
            self.loop.stop()
