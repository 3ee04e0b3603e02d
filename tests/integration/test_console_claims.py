"""Claims and sessions of the console against a real Redis: one holder at a time, expiry, changes published."""

from __future__ import annotations

import asyncio
import json

from redis.asyncio import Redis

from services.console.claims import CHANGES_CHANNEL, CLAIM_PREFIX, ClaimBook
from services.console.sessions import SESSION_PREFIX, SessionStore
from services.console.staff import WEBCARE, Staff


async def test_one_holder_at_a_time_and_only_the_holder_releases(redis_url):
    redis = Redis.from_url(redis_url)
    claims = ClaimBook(redis, seconds=60)
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(CHANGES_CHANNEL)
        results = await asyncio.gather(*(claims.take("c1", f"mw-{i}", f"Persoon {i}") for i in range(10)))
        winners = [claim for taken, claim in results if taken]
        assert len(winners) == 1
        assert {claim.staff for _, claim in results} == {winners[0].staff}  # the others are told who holds it
        holder = winners[0].staff
        assert await claims.release("c1", "mw-someone-else") is False
        assert (await claims.holders(["c1", "c2"])).keys() == {"c1"}
        assert 0 < await redis.ttl(CLAIM_PREFIX + "c1") <= 60
        taken_again, _ = await claims.take("c1", holder, "Persoon")  # the holder extends it
        assert taken_again
        assert await claims.release("c1", holder) is True
        assert await claims.holders(["c1"]) == {}
        published = []
        for _ in range(10):  # an ignored subscribe confirmation also answers None
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if message is not None:
                published.append(json.loads(message["data"]))
        assert published[0]["claim"]["staff"] == holder and published[-1] == {"release": "c1"}
    await redis.aclose()


async def test_a_claim_lapses_by_itself(redis_url):
    redis = Redis.from_url(redis_url)
    claims = ClaimBook(redis, seconds=1)
    assert (await claims.take("c9", "mw-1", "Een"))[0]
    assert not (await claims.take("c9", "mw-2", "Twee"))[0]
    await asyncio.sleep(1.5)
    assert (await claims.take("c9", "mw-2", "Twee"))[0]
    await redis.aclose()


async def test_sessions_expire_and_redis_holds_no_usable_cookie(redis_url):
    redis = Redis.from_url(redis_url)
    sessions = SessionStore(redis, seconds=300)
    session_id, session = await sessions.create(Staff("mw-1", "Wendy", frozenset({WEBCARE})))
    keys = [k.decode() async for k in redis.scan_iter(SESSION_PREFIX + "*")]
    assert len(keys) == 1 and session_id not in keys[0]
    assert 0 < await redis.ttl(keys[0]) <= 300
    found = await sessions.get(session_id)
    assert found.staff.roles == {WEBCARE} and found.csrf_matches(session.csrf_token)
    assert not found.csrf_matches("") and not found.csrf_matches("x" + session.csrf_token)
    assert await sessions.get("not-a-session") is None and await sessions.get("x" * 500) is None
    await sessions.delete(session_id)
    assert await sessions.get(session_id) is None
    await redis.aclose()




async def test_a_message_is_placed_once_however_often_it_is_asked(redis_url):
    redis = Redis.from_url(redis_url)
    claims = ClaimBook(redis, seconds=60)
    results = await asyncio.gather(*(claims.start_placing("m-1", f"mw-{i}") for i in range(5)))
    assert results.count(True) == 1
    await claims.placing_failed("m-1")  # the router certainly did nothing: it may be tried again
    assert await claims.start_placing("m-1", "mw-9")
    await redis.aclose()
