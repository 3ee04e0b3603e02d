"""Kafka or Redis away for a while: ingestors refuse or degrade as documented, and nothing is lost or
doubled once they are back. The servers are paused (SIGSTOP), as an unreachable host looks to clients."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter

import pytest

from services.contract import codec, topics
from tests.conftest import service_env
from tests.helpers import read_topics
from tests.integration.test_end_to_end import metric_value, post_whatsapp
from tools.demo.payloads import whatsapp_message, whatsapp_webhook
from tools.devstack.servers import free_port, redis_url, start_redis
from tools.devstack.stack import ServiceProcess


@pytest.fixture
def own_redis(server_logs):
    server = start_redis(free_port(), server_logs, password="own-redis-password-0123456789")
    yield server
    server.process.send_signal(signal.SIGCONT)
    server.stop()


@pytest.fixture
def whatsapp(fresh_broker, own_redis, tmp_path):
    port = free_port()
    env = service_env(KAFKA_BOOTSTRAP_SERVERS=fresh_broker.address, REDIS_URL=redis_url(own_redis),
                      PUBLISH_TIMEOUT_SECONDS="2", WHATSAPP_PORT=str(port))
    service = ServiceProcess("services.ingest.whatsapp", env, tmp_path / "whatsapp.log")
    base = f"http://127.0.0.1:{port}"
    service.wait_ready(base + "/readyz")
    yield base
    service.stop()


def post(base: str, message: dict) -> int:
    return asyncio.run(post_whatsapp(base, whatsapp_webhook([message])))


def inbound_copies(bootstrap: str, messages: list[dict], timeout: float = 20) -> Counter:
    ids = {codec.message_id(codec.Channel.CHANNEL_WHATSAPP, m["id"]) for m in messages}

    def tally(records) -> Counter:
        return Counter(i for r in records if (i := codec.decode_contact(r.value).id) in ids)

    return tally(read_topics(bootstrap, [topics.INBOUND], until=lambda recs: set(tally(recs)) == ids, timeout=timeout))


def test_kafka_unreachable_503_then_the_retries_are_accepted_once(fresh_broker, whatsapp):
    before = whatsapp_message("31600000020", text="voor de storing")
    during = whatsapp_message("31600000020", text="tijdens de storing")
    assert post(whatsapp, before) == 200
    fresh_broker.process.send_signal(signal.SIGSTOP)
    try:
        assert post(whatsapp, during) == 503
        assert post(whatsapp, during) == 503  # the platform retries; still down
    finally:
        fresh_broker.process.send_signal(signal.SIGCONT)
    statuses = [post(whatsapp, during) for _ in range(20)]  # retried until the producer reconnected
    assert 200 in statuses
    assert post(whatsapp, before) == 200  # a late redelivery of the first: acknowledged, not published
    copies = inbound_copies(fresh_broker.address, [before, during])
    assert copies[codec.message_id(codec.Channel.CHANNEL_WHATSAPP, before["id"])] == 1
    # Nothing lost. The sends that timed out during the pause were still queued in the producer and
    # reached Kafka when it came back, besides the accepted retry: contact.inbound may hold a message
    # more than once, always with the same id. The router publishes each id once
    # (test_the_router_publishes_a_message_id_once).
    assert copies[codec.message_id(codec.Channel.CHANNEL_WHATSAPP, during["id"])] >= 1


def test_redis_unreachable_degrades_to_publishing_and_dedup_comes_back(fresh_broker, own_redis, whatsapp):
    degraded = whatsapp_message("31600000021", text="Redis weg")
    own_redis.process.send_signal(signal.SIGSTOP)
    try:
        assert post(whatsapp, degraded) == 200  # never refused for want of dedup: published
    finally:
        own_redis.process.send_signal(signal.SIGCONT)
    assert metric_value(whatsapp, "contact_ingest_dedup_unavailable_total", {"channel": "whatsapp"}) >= 1
    back = whatsapp_message("31600000021", text="Redis terug")
    assert post(whatsapp, back) == 200
    assert post(whatsapp, back) == 200  # a redelivery once Redis is back: deduplicated again
    copies = inbound_copies(fresh_broker.address, [degraded, back])
    assert copies[codec.message_id(codec.Channel.CHANNEL_WHATSAPP, back["id"])] == 1
    assert copies[codec.message_id(codec.Channel.CHANNEL_WHATSAPP, degraded["id"])] == 1


def test_redis_full_doubles_nothing_downstream(fresh_broker, own_redis, whatsapp, tmp_path):
    """Redis at its memory limit refuses every write (noeviction). The platform redelivers a webhook many
    times: the ingestor cannot dedup and publishes each copy, but the router publishes the message once."""
    import redis as redis_client

    from tests.helpers import all_decided_topics

    port, grpc_port = free_port(), free_port()
    router = ServiceProcess("services.router", service_env(
        KAFKA_BOOTSTRAP_SERVERS=fresh_broker.address, REDIS_URL=redis_url(own_redis),
        ROUTER_PORT=str(port), ROUTER_GRPC_PORT=str(grpc_port),
    ), tmp_path / "router.log")
    try:
        router.wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=120)
        client = redis_client.Redis.from_url(redis_url(own_redis))
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", "1")  # below what is in use: every write is refused (OOM)
        try:
            message = whatsapp_message("31600000022", text="Mijn kliko is al twee weken niet geleegd")
            statuses = set()
            for _ in range(10):  # redelivered over some seconds: each copy in a batch of its own
                statuses.add(post(whatsapp, message))
                time.sleep(0.4)
            assert statuses == {200}
        finally:
            client.config_set("maxmemory", "0")
            client.close()
        message_id = codec.message_id(codec.Channel.CHANNEL_WHATSAPP, message["id"])
        assert inbound_copies(fresh_broker.address, [message])[message_id] > 1  # the ingestor could not dedup

        def copies(records) -> int:
            return sum(codec.decode_routed(r.value).message.id == message_id for r in records)

        routed = read_topics(fresh_broker.address, all_decided_topics(), until=lambda recs: copies(recs) >= 1,
                             timeout=60)
        time.sleep(3)  # let the router work through every copy on contact.inbound
        routed = read_topics(fresh_broker.address, all_decided_topics(), until=lambda recs: False, timeout=3)
        assert copies(routed) == 1
    finally:
        router.stop()
