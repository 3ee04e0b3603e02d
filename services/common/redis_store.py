"""Redis helpers shared by the ingestors and the router."""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis


async def set_many(redis: Redis, values: Mapping[str, bytes | str], ttl_seconds: int) -> None:
    """SET every key with the same expiry in one round trip (raises RedisError when Redis is away)."""
    if not values:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for key, value in values.items():
            pipe.set(key, value, ex=ttl_seconds)
        await pipe.execute()
