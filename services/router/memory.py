"""Conversation memory in Redis: which department a conversation went to, for follow-ups."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.runtime.redis_store import set_many

log = logging.getLogger(__name__)
MEMORY_UNAVAILABLE = Counter(
    "contact_router_memory_unavailable_total",
    "Batches routed without conversation memory because Redis was unreachable (no stickiness for them).",
)


class ConversationMemory:
    def __init__(self, redis: Redis, ttl_seconds: int, prefix: str = "conversation") -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix

    def key(self, conversation_id: str) -> str:
        return f"{self._prefix}:{conversation_id}:department"

    async def departments(self, conversation_ids: Iterable[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(i for i in conversation_ids if i))
        if not ids:
            return {}
        try:
            values = await self._redis.mget([self.key(i) for i in ids])
        except RedisError:
            self.unreadable(len(ids))
            return {}
        return self.parse(ids, values)

    @staticmethod
    def parse(ids: list[str], values: list[bytes | None]) -> dict[str, str]:
        """What MGET of `key(id)` for these ids returned → conversation id → department."""
        return {i: v.decode() for i, v in zip(ids, values) if v is not None}

    @staticmethod
    def unreadable(count: int) -> None:
        # Degrade, never stop: without memory a follow-up is routed on its own text.
        MEMORY_UNAVAILABLE.inc()
        log.warning("Redis unreachable: routing %d conversation(s) without memory", count)

    def group(self, departments: Mapping[str, str]) -> tuple[dict[str, str], int]:
        """The keys and expiry that remember these departments (for set_many / set_groups)."""
        return {self.key(c): d for c, d in departments.items()}, self._ttl

    @staticmethod
    def unwritable(count: int) -> None:
        MEMORY_UNAVAILABLE.inc()
        log.warning("Redis unreachable: %d conversation department(s) not remembered", count)

    async def remember(self, departments: Mapping[str, str]) -> None:
        if not departments:
            return
        try:
            await set_many(self._redis, *self.group(departments))
        except RedisError:
            self.unwritable(len(departments))


class RoutedStore:
    """The routed (masked) messages by id, so staff can move one to another department later."""

    def __init__(self, redis: Redis, ttl_seconds: int, prefix: str = "routed") -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix

    def group(self, routed_by_id: Mapping[str, bytes]) -> tuple[dict[str, bytes], int]:
        """The keys and expiry that keep these routed messages (for set_many / set_groups)."""
        return {f"{self._prefix}:{i}": v for i, v in routed_by_id.items()}, self._ttl

    @staticmethod
    def unwritable(count: int) -> None:
        MEMORY_UNAVAILABLE.inc()
        log.warning("Redis unreachable: %d routed message(s) cannot be rerouted later", count)

    async def keep(self, routed_by_id: Mapping[str, bytes]) -> None:
        if not routed_by_id:
            return
        try:
            await set_many(self._redis, *self.group(routed_by_id))
        except RedisError:
            self.unwritable(len(routed_by_id))

    async def get(self, message_id: str) -> bytes | None:
        return await self._redis.get(f"{self._prefix}:{message_id}")
