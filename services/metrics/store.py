"""Where the metrics service keeps KPI state across restarts: Redis, written before offsets commit.

The ledger (who is waiting) is stored as its current state per conversation, so writing it again is
harmless; spike counts are stored as increments per time bucket, expiring when no baseline needs them,
keyed by theme stems (never names: see spikes.theme_words), at most `max_series` of them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict

from redis.asyncio import Redis

from services.metrics.ledger import ConversationLedger
from services.metrics.spikes import Spike, SpikeDetector

WAITING = "metrics:waiting"
ANSWERED = "metrics:answered"
SPIKE_BUCKET = "metrics:spikes:"  # + bucket number: hash "department\x1fkey" → count
# Until 2026-11 the words behind each theme were kept here without expiry; deleted on load.
LEGACY_SPIKE_LABELS = "metrics:spike-labels"
SPIKES_ACTIVE = "metrics:spikes-active"
# metrics:reply-status:<reply id>:<state>: a status already counted (statuses are published at least once).
REPLY_STATUS_SEEN = "metrics:reply-status:"
REPLY_STATUS_SEEN_SECONDS = 2 * 86400
_SEP = "\x1f"


class KpiStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def save(
        self,
        ledger: ConversationLedger,
        detector: SpikeDetector,
        increments: Iterable[tuple[str, str, int]],
    ) -> None:
        """Persist the ledger's changes and the spike counts of one batch in one round trip."""
        changes = ledger.drain_changes()
        counted = Counter(increments)
        if not changes and not counted:
            return
        ttl = (detector.window_buckets + detector.baseline_buckets + 2) * detector.settings.bucket_seconds
        async with self.redis.pipeline(transaction=True) as pipe:
            for conversation_id, (waiting, answered_at) in changes.items():
                if waiting is None:
                    pipe.hdel(WAITING, conversation_id)
                else:
                    pipe.hset(WAITING, conversation_id, json.dumps(waiting))
                if answered_at is None:
                    pipe.hdel(ANSWERED, conversation_id)
                else:
                    pipe.hset(ANSWERED, conversation_id, repr(answered_at))
            buckets = set()
            for (department, key, bucket), count in counted.items():
                pipe.hincrby(f"{SPIKE_BUCKET}{bucket}", f"{department}{_SEP}{key}", count)
                buckets.add(bucket)
            for bucket in buckets:
                pipe.expire(f"{SPIKE_BUCKET}{bucket}", ttl)
            pipe.delete(SPIKES_ACTIVE)
            for (department, key), spike in detector.active.items():
                pipe.hset(SPIKES_ACTIVE, f"{department}{_SEP}{key}", json.dumps(asdict(spike)))
            await pipe.execute()

    async def first_sightings(self, keys: list[str]) -> list[bool]:
        """For each key, whether this is the first time it is seen (kept REPLY_STATUS_SEEN_SECONDS)."""
        if not keys:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(REPLY_STATUS_SEEN + key, 1, nx=True, ex=REPLY_STATUS_SEEN_SECONDS)
            return [bool(new) for new in await pipe.execute()]

    async def load(self, ledger: ConversationLedger, detector: SpikeDetector) -> None:
        waiting = await self.redis.hgetall(WAITING)
        answered = await self.redis.hgetall(ANSWERED)
        for conversation_id in set(waiting) | set(answered):
            ledger.restore(
                conversation_id.decode(),
                json.loads(waiting[conversation_id]) if conversation_id in waiting else None,
                float(answered[conversation_id]) if conversation_id in answered else None,
            )
        await self.redis.delete(LEGACY_SPIKE_LABELS)
        async for name in self.redis.scan_iter(match=f"{SPIKE_BUCKET}*", count=500):
            bucket = int(name.decode().removeprefix(SPIKE_BUCKET))
            for field, count in (await self.redis.hgetall(name)).items():
                department, key = field.decode().split(_SEP, 1)
                # The words as written are not stored: the stems name a theme until a message brings them.
                detector.restore(department, key, key, bucket, int(count))
        for field, raw in (await self.redis.hgetall(SPIKES_ACTIVE)).items():
            department, key = field.decode().split(_SEP, 1)
            values = json.loads(raw)
            values["example_message_ids"] = tuple(values["example_message_ids"])
            detector.active[(department, key)] = Spike(**values)
