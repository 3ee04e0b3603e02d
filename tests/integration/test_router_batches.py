"""A batch of the router against a real Redis: three round trips, whatever the batch holds, and a batch
read a second time publishes nothing twice."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from redis.asyncio import Redis

from services.contract import codec
from services.router.decision.routing import SourceRecord
from services.router.memory import ConversationMemory, RoutedStore
from services.router.outputs import OutputLedger
from services.router.settings import RouterSettings
from services.router.wiring import build_decider
from services.router.worker import BatchRouter


def records(count: int) -> list[SourceRecord]:
    now = codec.timestamp(datetime.now(timezone.utc))
    made = []
    for n in range(count):
        message = codec.ContactMessage(id=f"wa-batch-{n}", channel=codec.Channel.CHANNEL_WHATSAPP,
                                       conversation_id=f"conversation-{n % 7}", received_at=now,
                                       text=["De container is niet geleegd", "Lantaarnpaal kapot bij de school",
                                             "Ik wil een afspraak voor een paspoort"][n % 3])
        made.append(SourceRecord("contact.inbound", 0, n, message.conversation_id.encode(), message.SerializeToString()))
    made.append(SourceRecord("contact.inbound", 0, count, None, b"\xff not a message"))  # a dead letter
    return made


async def calls(redis: Redis) -> dict[str, int]:
    stats = await redis.info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}


async def test_a_batch_costs_three_redis_round_trips_and_a_second_reading_publishes_nothing(redis_url):
    redis = Redis.from_url(redis_url)
    sent: list[tuple[str, bytes]] = []

    async def send(topic: str, key: bytes, value: bytes) -> asyncio.Future:
        sent.append((topic, key))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    decider, urgency = build_decider(RouterSettings(router_decider="rules"))
    router = BatchRouter(redis, decider, urgency, 0.9, ConversationMemory(redis, 3600), RoutedStore(redis, 3600),
                         OutputLedger(redis, 3600), send, {})
    try:
        batch = records(60)
        await router.route_batch(batch[:1])  # the scripts are loaded once per client, not per batch
        before = await calls(redis)
        await router.route_batch(batch[1:])
        after = await calls(redis)
        spent = {name: after.get(name, 0) - before.get(name, 0) for name in after}
        # SET inside the scripts is counted by Redis too, but travels in the EVALSHA.
        round_trips = {name: count for name, count in spent.items() if count and name not in ("info", "set")}
        assert round_trips == {"mget": 1, "evalsha": 2}, round_trips
        assert len(sent) == 61 and sum(topic == "contact.deadletter" for topic, _ in sent) == 1
        # The same records again (a restart before the commit): all marked done, nothing is sent twice.
        router.recent = type(router.recent)()  # a new process remembers nothing of its own
        await router.route_batch(batch)
        assert len(sent) == 61
        assert await redis.get("conversation:conversation-0:department") is not None
    finally:
        await redis.aclose()
