"""Conversation threading for channels whose messages name only their parent (tweet replies, e-mail).

A reply names the message it answers; its conversation is the root of that chain. The index remembers
message id → root id per channel in Redis, so a reply to a reply still finds the first message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.runtime.redis_store import set_many

log = logging.getLogger(__name__)


def thread_root(parent_id: str, known_roots: Mapping[str, str]) -> str:
    """The root of a reply's chain: the parent's known root, else the parent itself."""
    return known_roots.get(parent_id, parent_id)


class ThreadIndex:
    def __init__(self, redis: Redis, ttl_seconds: int, prefix: str = "thread") -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix

    def _key(self, channel: str, message_id: str) -> str:
        return f"{self._prefix}:{channel}:{message_id}"

    async def roots(self, channel: str, message_ids: Iterable[str]) -> dict[str, str]:
        """Known roots of these messages; without Redis, none (each reply then roots at its parent)."""
        ids = [i for i in dict.fromkeys(message_ids) if i]
        if not ids:
            return {}
        try:
            values = await self._redis.mget([self._key(channel, i) for i in ids])
        except RedisError:
            log.warning("Redis unreachable: threading %s replies by their parent only", channel)
            return {}
        return {i: v.decode() for i, v in zip(ids, values) if v is not None}

    async def remember(self, channel: str, links: Mapping[str, str]) -> None:
        if not links:
            return
        try:
            await set_many(self._redis, {self._key(channel, m): r for m, r in links.items()}, self._ttl)
        except RedisError:
            log.warning("Redis unreachable: %d %s thread link(s) not remembered", len(links), channel)
