"""Topic creation and the Redis delivery ledger against the real servers."""

import asyncio

import pytest
from kafka.admin import KafkaAdminClient
from redis.asyncio import Redis
from redis.exceptions import AuthenticationError, ResponseError

from services.contract.departments import load_departments
from services.contract.topics import all_topics
from services.ingest.dedup import Claim, DeliveryLedger
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE, CommonSettings
from tools.topics import create_topics


def test_topic_creation_is_idempotent(fresh_broker):
    names = all_topics(load_departments(DEFAULT_DEPARTMENTS_FILE))
    assert create_topics(fresh_broker.address, names, 3, 1) == []  # the fixture created them already
    admin = KafkaAdminClient(bootstrap_servers=fresh_broker.address)
    try:
        described = {t["name"]: t for t in admin.describe_topics(names)}
    finally:
        admin.close()
    assert set(described) == set(names)
    assert all(len(t["partitions"]) == 3 for t in described.values())
    assert "contact.routed.burgerzaken" in described


async def test_concurrent_claims_have_one_winner_and_done_is_remembered_a_week(redis_url):
    redis = Redis.from_url(redis_url)
    replicas = [DeliveryLedger(redis, ttl_seconds=8 * 24 * 3600, claim_seconds=5) for _ in range(5)]
    claims = await asyncio.gather(*(ledger.claim(["whatsapp:wamid.X"]) for ledger in replicas))
    assert sorted(c[0].value for c in claims) == ["in_flight"] * 4 + ["new"]
    winner = replicas[[c[0] for c in claims].index(Claim.NEW)]
    await winner.confirm(["whatsapp:wamid.X"])
    assert await replicas[0].claim(["whatsapp:wamid.X"]) == [Claim.DONE]
    assert await redis.ttl("delivered:whatsapp:wamid.X") > 7 * 24 * 3600
    await redis.aclose()


async def test_a_released_claim_can_be_published_by_the_retry(redis_url):
    redis = Redis.from_url(redis_url)
    first, second = (DeliveryLedger(redis, 8 * 24 * 3600, 5) for _ in range(2))
    assert await first.claim(["webform:1"]) == [Claim.NEW]
    await second.release(["webform:1"])  # not its claim: must not remove it
    assert await second.claim(["webform:1"]) == [Claim.IN_FLIGHT]
    await first.release(["webform:1"])  # Kafka refused: the retry gets it
    assert await second.claim(["webform:1"]) == [Claim.NEW]
    await redis.aclose()


async def test_waiting_for_an_in_flight_delivery(redis_url):
    redis = Redis.from_url(redis_url)
    owner, other = DeliveryLedger(redis, 8 * 24 * 3600, 5), DeliveryLedger(redis, 8 * 24 * 3600, 5)
    await owner.claim(["k"])
    assert not await other.wait_until_done(["k"], timeout_seconds=0.2)
    waiter = asyncio.create_task(other.wait_until_done(["k"], timeout_seconds=5))
    await owner.confirm(["k"])
    assert await waiter
    await redis.aclose()


async def test_redis_takes_only_clients_with_its_password(redis_server, redis_url):
    """As in Kubernetes (k8s/base/redis.yaml): the services reach Redis with the password in REDIS_URL."""
    settings = CommonSettings(redis_url=redis_url)
    assert redis_server.password not in repr(settings)  # a secret setting: never in a log line
    good = Redis.from_url(settings.redis_url.get_secret_value())
    anonymous = Redis.from_url(f"redis://{redis_server.address}/0")
    wrong = Redis.from_url(f"redis://:not-the-password@{redis_server.address}/0")
    try:
        assert await good.ping() is True
        with pytest.raises((AuthenticationError, ResponseError), match="(?i)auth"):
            await anonymous.get("anything")
        with pytest.raises((AuthenticationError, ResponseError), match="(?i)password|auth"):
            await wrong.ping()
    finally:
        for client in (good, anonymous, wrong):
            await client.aclose()
