"""The Redis helpers' scripts against a real Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from services.runtime.redis_store import count_in_window, set_many


async def test_count_in_window_counts_and_every_counted_key_expires(redis_url):
    redis = Redis.from_url(redis_url)
    try:
        assert await count_in_window(redis, "ratelimit:test", 900) == (1, 900)
        count, left = await count_in_window(redis, "ratelimit:test", 900)
        assert count == 2 and 0 < left <= 900  # the window is not restarted by later events
        assert 0 < await redis.ttl("ratelimit:test") <= 900
        await set_many(redis, {"a": b"1"}, 60)  # both scripts on one client
        assert await redis.get("a") == b"1" and 0 < await redis.ttl("a") <= 60
    finally:
        await redis.aclose()
