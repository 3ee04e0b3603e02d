"""The Redis helpers' scripts against a real Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from services.runtime.redis_store import count_in_window, set_groups, set_many


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


async def test_set_groups_writes_each_group_with_its_own_expiry_in_one_call(redis_url):
    redis = Redis.from_url(redis_url)
    try:
        await set_groups(redis, [({"g1:a": b"1", "g1:b": "2"}, 60), ({}, 5), ({"g2:a": b"3"}, 7200)])
        assert await redis.mget(["g1:a", "g1:b", "g2:a"]) == [b"1", b"2", b"3"]
        assert 0 < await redis.ttl("g1:a") <= 60 and 0 < await redis.ttl("g1:b") <= 60
        assert 3600 < await redis.ttl("g2:a") <= 7200
        await set_groups(redis, [({}, 60)])  # nothing to write: no call
    finally:
        await redis.aclose()
