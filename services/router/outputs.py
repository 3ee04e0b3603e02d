"""Idempotent output: a message the router already published is not published again when its inbound
record is read a second time (after a crash, before the offsets were committed).

Per output the router keeps a mark in Redis: "pending" with the destination and the time just before
it sends, "done" once Kafka acknowledged. Reading a record again:
  done     → skip it;
  pending  → the crash fell between the send and the mark: look in the destination topic from the
             pending time on; found → skip it (and mark it done), not found → send it.
  none     → route it.
Without Redis (away, or full and refusing writes) the router still routes; what this process published
recently is remembered in memory too (RecentOutputs, bounded), so a webhook redelivered many times while
Redis cannot dedup is still published once. Across a restart during a Redis outage a copy can slip
through (at-least-once; consumers deduplicate on message.id).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from google.protobuf.message import DecodeError
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.contract import codec, topics
from services.router.decision.routing import Outcome, SourceRecord
from services.runtime.redis_store import set_many

log = logging.getLogger(__name__)
SKIPPED = Counter(
    "contact_router_outputs_skipped_total",
    "Outputs not published again: already published before a crash (ledger) or a duplicate in the batch.",
    ["reason"],
)
LEDGER_UNAVAILABLE = Counter(
    "contact_router_output_ledger_unavailable_total", "Batches published without the output ledger (Redis down)."
)
# Clocks of the router and the broker differ, and a killed worker's last batch may carry older
# timestamps than its marks: look back this much further.
LOOKBACK_MS = 60_000
READ_BACK_SECONDS = 60.0


class RecentOutputs:
    """The output keys this process published last, at most `size` of them (oldest forgotten first)."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def add(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._keys[key] = None
            self._keys.move_to_end(key)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)


def output_key(outcome: Outcome, source: tuple[str, int, int]) -> str:
    """The identity of an output: the message id, or for a dead letter its source record."""
    return _key_of(outcome.message_id, source)


def expected_output_key(record: SourceRecord) -> str:
    """The output key a record will most likely have (output_key()): its message id, read ahead of routing
    so that its ledger mark comes in the same Redis read as the conversation memory."""
    try:
        message_id = codec.ContactMessage.FromString(record.value).id
    except DecodeError:
        message_id = ""
    return _key_of(message_id, (record.topic, record.partition, record.offset))


def _key_of(message_id: str, source: tuple[str, int, int]) -> str:
    return message_id or "dl:{}:{}:{}".format(*source)


@dataclass(frozen=True)
class Mark:
    state: str  # "pending" or "done"
    topic: str = ""
    sent_after_ms: int = 0


def parse_mark(raw: bytes | None) -> Mark | None:
    if raw is None:
        return None
    state, _, rest = raw.decode().partition("|")
    if state == "pending":
        topic, _, sent = rest.partition("|")
        return Mark("pending", topic, int(sent or 0))
    return Mark("done")


def plan(
    keys: Sequence[str], marks: Mapping[str, Mark | None], published: set[str], recent: RecentOutputs | None = None
) -> list[bool]:
    """Which outputs to send (True) — the first of each key that is neither done, found published, nor
    published by this process recently."""
    seen: set[str] = set()
    decisions = []
    for key in keys:
        mark = marks.get(key)
        already = (key in seen or (recent is not None and key in recent)
                   or (mark is not None and (mark.state == "done" or key in published)))
        if already:
            SKIPPED.labels("duplicate_in_batch" if key in seen else "already_published").inc()
        seen.add(key)
        decisions.append(not already)
    return decisions


class OutputLedger:
    def __init__(self, redis: Redis, ttl_seconds: int, prefix: str = "out") -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix
        self.available = True

    def key(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    async def marks(self, keys: Iterable[str]) -> dict[str, Mark | None]:
        keys = list(dict.fromkeys(keys))
        if not keys:
            return {}
        try:
            values = await self._redis.mget([self.key(k) for k in keys])
        except RedisError:
            self.unreadable(len(keys))
            return {}
        return self.parse(keys, values)

    def parse(self, keys: list[str], values: list[bytes | None]) -> dict[str, Mark | None]:
        """What MGET of `key(k)` for these keys returned → output key → its mark (Redis answered)."""
        self.available = True
        return {k: parse_mark(v) for k, v in zip(keys, values)}

    def unreadable(self, count: int) -> None:
        self.available = False
        LEDGER_UNAVAILABLE.inc()
        log.warning("Redis unreachable: publishing %d output(s) without the output ledger", count)

    def done_group(self, keys: Iterable[str]) -> tuple[dict[str, str], int]:
        """The marks that say these outputs are published, and their expiry (for set_groups); none while
        the ledger is unavailable."""
        return ({self.key(k): "done" for k in keys} if self.available else {}), self._ttl

    def unwritable(self, count: int) -> None:
        self.available = False
        LEDGER_UNAVAILABLE.inc()
        log.warning("Redis unreachable: %d output mark(s) not written", count)

    async def _set(self, values: Mapping[str, str]) -> None:
        if not values or not self.available:
            return
        try:
            await set_many(self._redis, {self.key(k): v for k, v in values.items()}, self._ttl)
        except RedisError:
            self.unwritable(len(values))

    async def mark_pending(self, destinations: Mapping[str, str], now_ms: int) -> None:
        await self._set({k: f"pending|{topic}|{now_ms}" for k, topic in destinations.items()})

    async def mark_done(self, keys: Iterable[str]) -> None:
        await self._set({k: "done" for k in keys})


async def find_published(pending: Mapping[str, Mark], consumer_options: dict[str, Any]) -> set[str]:
    """Of these pending outputs, the ones that are on their destination topic (read back from Kafka).

    Raises when it cannot look everywhere (a topic without known partitions, a broker gone away): the
    batch is then retried, because "not found" would send it again."""
    if not pending:
        return set()
    since: dict[str, int] = {}
    for mark in pending.values():
        since[mark.topic] = min(since.get(mark.topic, mark.sent_after_ms), mark.sent_after_ms)
    consumer = AIOKafkaConsumer(group_id=None, enable_auto_commit=False, **consumer_options)
    await consumer.start()
    found: set[str] = set()
    try:
        # Every topic's partitions before the first assign: once a consumer is assigned partitions it
        # refreshes metadata for those topics only and forgets the others' partitions.
        await consumer.topics()
        partitions = []
        for topic in since:
            known = consumer.partitions_for_topic(topic)
            if not known:
                raise LookupError(f"no partitions known for {topic}: cannot read it back")
            partitions += [TopicPartition(topic, p) for p in sorted(known)]
        starts = await consumer.offsets_for_times({tp: max(0, since[tp.topic] - LOOKBACK_MS) for tp in partitions})
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        remaining = {}
        for tp in partitions:
            start = starts.get(tp)
            if start is not None and start.offset < ends[tp]:
                consumer.seek(tp, start.offset)
                remaining[tp] = ends[tp]
        # Until every partition was read to its end offset. An empty poll is not the end: the first
        # fetch after a seek can take a while. A deadline guards against a broker gone away.
        deadline = asyncio.get_running_loop().time() + READ_BACK_SECONDS
        while remaining:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"could not read {sorted({tp.topic for tp in remaining})} back to the end")
            batch = await consumer.getmany(*remaining, timeout_ms=500)
            for tp, records in batch.items():
                for record in records:
                    found |= {key for key in _keys_in(tp.topic, record.value) if key in pending}
                    if record.offset + 1 >= remaining.get(tp, 0):
                        remaining.pop(tp, None)
    finally:
        await consumer.stop()
    return found


def _keys_in(topic: str, value: bytes) -> list[str]:
    try:
        if topic == topics.DEADLETTER:
            letter = codec.DeadLetter.FromString(value)
            return [f"dl:{letter.source_topic}:{letter.source_partition}:{letter.source_offset}"]
        return [codec.RoutedMessage.FromString(value).message.id]
    except Exception:  # noqa: BLE001 - a record we cannot read is not one of ours
        return []
