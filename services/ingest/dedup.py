"""Delivery ledger in Redis: a channel message is published to Kafka once, however often it arrives.

Meta retries a webhook for days and may deliver it to two replicas at once. A naive "SET NX then
publish" loses a message when the publish fails after the key was set, so a delivery goes through
three states: claimed (short TTL, owned by one request), done (long TTL) or released (claim removed
when Kafka refused, so the platform's retry publishes it).
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.runtime.redis_store import set_many

_DONE = b"done"
# Delete the claim only if it is still ours: another request may have claimed after our claim expired.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class Claim(enum.Enum):
    NEW = "new"  # ours to publish
    DONE = "done"  # already on Kafka: a duplicate
    IN_FLIGHT = "in_flight"  # another request is publishing it right now


class LedgerUnavailable(RuntimeError):
    pass


class DeliveryLedger:
    def __init__(self, redis: Redis, ttl_seconds: int, claim_seconds: float, prefix: str = "delivered") -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._claim_ms = int(claim_seconds * 1000)
        self._prefix = prefix
        self._token = f"claim:{uuid.uuid4()}".encode()
        self._release = redis.register_script(_RELEASE)

    def _key(self, delivery_key: str) -> str:
        return f"{self._prefix}:{delivery_key}"

    async def claim(self, delivery_keys: Sequence[str]) -> list[Claim]:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in delivery_keys:
                    pipe.set(self._key(key), self._token, nx=True, px=self._claim_ms)
                    pipe.get(self._key(key))
                replies = await pipe.execute()
        except RedisError as exc:
            raise LedgerUnavailable(str(exc)) from exc
        claims = []
        for was_set, value in zip(replies[0::2], replies[1::2]):
            if was_set:
                claims.append(Claim.NEW)
            elif value == _DONE:
                claims.append(Claim.DONE)
            else:
                claims.append(Claim.IN_FLIGHT)
        return claims

    async def wait_until_done(self, delivery_keys: Sequence[str], timeout_seconds: float) -> bool:
        """Wait for another request's in-flight publish of these keys; True when all are done."""
        deadline = asyncio.get_running_loop().time() + timeout_seconds
        while True:
            try:
                values = await self._redis.mget([self._key(k) for k in delivery_keys])
            except RedisError as exc:
                raise LedgerUnavailable(str(exc)) from exc
            if all(v == _DONE for v in values):
                return True
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.05)

    async def confirm(self, delivery_keys: Sequence[str]) -> None:
        try:
            await set_many(self._redis, {self._key(k): _DONE for k in delivery_keys}, self._ttl)
        except RedisError as exc:
            raise LedgerUnavailable(str(exc)) from exc

    async def release(self, delivery_keys: Sequence[str]) -> None:
        for key in delivery_keys:
            try:
                await self._release(keys=[self._key(key)], args=[self._token])
            except RedisError:
                # The claim expires by itself after claim_seconds.
                pass
