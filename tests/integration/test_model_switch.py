"""A promoted model reaches a running router without a restart: messages keep flowing while the model file
is replaced, every message is routed once, each decision names the model that made it, and a rollback
switches back. Real broker, Redis and router process."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

from kafka import KafkaProducer

from services.contract import codec, topics
from services.router import model_store
from services.router.decision.classifier import TextClassifier
from services.router.training.train import DEFAULT_OUTPUT
from tests.conftest import service_env
from tests.helpers import all_decided_topics, read_topics
from tests.unit.router.test_model_store import tiny
from tools.devstack.servers import free_port
from tools.devstack.stack import ServiceProcess

TEXTS = ["De container is niet geleegd", "Lantaarnpaal kapot bij de school", "Ik wil een afspraak voor een paspoort"]


def publish(producer: KafkaProducer, tag: str, count: int, per_second: float) -> list[str]:
    ids = []
    for n in range(count):
        message = codec.ContactMessage(id=f"{tag}-{n}", channel=codec.Channel.CHANNEL_WHATSAPP,
                                       conversation_id=f"{tag}-c{n}", text=TEXTS[n % 3],
                                       received_at=codec.timestamp(datetime.now(timezone.utc)))
        producer.send(topics.INBOUND, key=message.conversation_id.encode(), value=message.SerializeToString())
        ids.append(message.id)
        time.sleep(1 / per_second)
    producer.flush()
    return ids


def decisions(bootstrap: str, ids: list[str]) -> dict[str, list[str]]:
    """message id → the model_version of each routed copy of it."""
    wanted = set(ids)

    def found(records) -> dict[str, list[str]]:  # noqa: ANN001
        seen: dict[str, list[str]] = {}
        for record in records:
            routed = codec.decode_routed(record.value)
            if routed.message.id in wanted:
                seen.setdefault(routed.message.id, []).append(routed.decision.model_version)
        return seen

    return found(read_topics(bootstrap, all_decided_topics(), until=lambda recs: len(found(recs)) >= len(wanted),
                             timeout=60))


def test_a_promoted_model_is_used_without_a_restart_and_nothing_is_routed_twice(fresh_broker, redis_url, tmp_path):
    model = tmp_path / "model" / "classifier.joblib"
    first = model_store.promote(TextClassifier.load(DEFAULT_OUTPUT), model)
    port, grpc_port = free_port(), free_port()
    router = ServiceProcess("services.router", service_env(
        KAFKA_BOOTSTRAP_SERVERS=fresh_broker.address, REDIS_URL=redis_url, ROUTER_PORT=str(port),
        ROUTER_GRPC_PORT=str(grpc_port), ROUTER_MODEL_FILE=str(model), ROUTER_MODEL_POLL_SECONDS="0.5",
    ), tmp_path / "router.log")
    producer = KafkaProducer(bootstrap_servers=fresh_broker.address, acks="all")
    tag = uuid.uuid4().hex[:8]
    try:
        router.wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=120)
        before = publish(producer, f"{tag}-a", 60, 60)
        second = model_store.promote(tiny(7), model)  # while messages flow
        during = publish(producer, f"{tag}-b", 200, 50)
        time.sleep(1.5)  # the poll interval and a load, then only the new model
        after = publish(producer, f"{tag}-c", 30, 60)
        routed = decisions(fresh_broker.address, before + during + after)
        assert all(len(copies) == 1 for copies in routed.values()), "a message routed twice"
        assert len(routed) == len(before + during + after), "a message lost in the switch"
        assert {routed[i][0] for i in before} == {first}
        assert {v for i in during for v in routed[i]} <= {first, second}
        assert {routed[i][0] for i in after} == {second}

        assert model_store.rollback(model) == (second, first)
        time.sleep(1.5)
        back = publish(producer, f"{tag}-d", 20, 60)
        assert {copies[0] for copies in decisions(fresh_broker.address, back).values()} == {first}
        log = (tmp_path / "router.log").read_text()
        assert f"switched model {first} → {second}" in log and f"switched model {second} → {first}" in log
    finally:
        producer.close()
        router.stop()
