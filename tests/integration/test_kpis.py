"""KPIs from the real topics: departments report replies (gRPC and CLI), response times and backlog
follow, state survives a restart of the metrics service, and a burst raises a spike alert."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from gemeente.contact.v1 import handling_pb2, handling_pb2_grpc
from kafka import KafkaProducer

from services.contract import codec, topics
from services.runtime.grpc_client import authenticated_channel
from services.runtime.settings import REPO_ROOT
from tests.conftest import SECRETS, service_env
from tests.helpers import read_topics, routed_with_id
from tests.integration.test_end_to_end import metric_value, post_whatsapp
from tools.demo.payloads import whatsapp_message, whatsapp_webhook

FIRST_REPLY = codec.HandledAction.HANDLED_ACTION_FIRST_REPLY


def eventually(read: Callable[[], float], accept: Callable[[float], bool], timeout: float = 20.0) -> float:
    deadline = time.monotonic() + timeout
    value = read()
    while not accept(value) and time.monotonic() < deadline:
        time.sleep(0.25)
        value = read()
    return value


@pytest.fixture
def handling(stack):
    _, extra, _ = stack
    with authenticated_channel(f"127.0.0.1:{extra['router_grpc']}", SECRETS["WEBCARE_API_TOKEN"]) as channel:
        yield handling_pb2_grpc.HandlingServiceStub(channel)


def routed_conversation(stack, broker, text: str) -> codec.RoutedMessage:
    urls, _, _ = stack
    message = whatsapp_message("316" + str(uuid.uuid4().int)[:8], text=text)
    assert asyncio.run(post_whatsapp(urls["whatsapp"], whatsapp_webhook([message]))) == 200
    [record] = routed_with_id(broker.address, [topics.routed_topic("afval")],
                              codec.message_id(codec.Channel.CHANNEL_WHATSAPP, message["id"]))
    return codec.decode_routed(record.value)


def test_a_reply_reported_over_grpc_ends_the_wait_and_is_timed(stack, broker, handling):
    urls, _, _ = stack
    metrics = urls["metrics"]

    def backlog() -> float:
        return metric_value(metrics, "contact_backlog_open_conversations", {"department": "afval"})

    def responses() -> float:
        return sum(metric_value(metrics, "contact_first_responses_total",
                                {"department": "afval", "channel": "whatsapp", "sla": sla}) for sla in ("met", "missed"))

    before_backlog, before_responses = backlog(), responses()
    routed = routed_conversation(stack, broker, "Mijn groene container is niet geleegd")
    assert eventually(backlog, lambda v: v >= before_backlog + 1) >= before_backlog + 1

    answer = handling.ReportHandled(handling_pb2.ReportHandledRequest(event=codec.HandledEvent(
        conversation_id=routed.message.conversation_id, message_id=routed.message.id,
        department="afval", action=FIRST_REPLY, handler_id="team-afval-1")), timeout=10)
    assert len(answer.event_id) == 36
    assert eventually(responses, lambda v: v >= before_responses + 1) == before_responses + 1
    assert eventually(backlog, lambda v: v <= before_backlog) == before_backlog
    assert metric_value(metrics, "contact_first_response_office_seconds_count",
                        {"department": "afval", "channel": "whatsapp"}) >= 1

    # Sent twice (a retry with the same event id): counted as an event, but the wait ended once.
    handling.ReportHandled(handling_pb2.ReportHandledRequest(event=codec.HandledEvent(
        event_id=answer.event_id, conversation_id=routed.message.conversation_id,
        department="afval", action=FIRST_REPLY)), timeout=10)
    time.sleep(2)
    assert responses() == before_responses + 1

    with pytest.raises(grpc.RpcError) as refused:
        handling.ReportHandled(handling_pb2.ReportHandledRequest(event=codec.HandledEvent(
            conversation_id="c", department="riolering", action=FIRST_REPLY)), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "riolering" in refused.value.details()


def test_the_cli_publishes_a_hand_over_and_the_backlog_moves(stack, broker):
    urls, _, _ = stack
    metrics = urls["metrics"]
    routed = routed_conversation(stack, broker, "De papiercontainer in onze straat zit vol")

    def open_in(department: str) -> float:
        return metric_value(metrics, "contact_backlog_open_conversations", {"department": department})

    assert eventually(lambda: open_in("afval"), lambda v: v >= 1) >= 1
    before_verkeer = open_in("verkeer")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "gemeente-handling"), "handed_over", "--conversation", routed.message.conversation_id,
         "--department", "afval", "--to-department", "verkeer", "--handler", "team-afval-3"],
        cwd=REPO_ROOT, env=service_env(KAFKA_BOOTSTRAP_SERVERS=broker.address), capture_output=True, text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    event_id = done.stdout.strip()
    records = read_topics(broker.address, [topics.HANDLED], until=lambda recs: any(
        codec.decode_handled(r.value).event_id == event_id for r in recs))
    [event] = [e for r in records if (e := codec.decode_handled(r.value)).event_id == event_id]
    assert (event.department, event.to_department, event.handler_id) == ("afval", "verkeer", "team-afval-3")
    assert eventually(lambda: open_in("verkeer"), lambda v: v >= before_verkeer + 1) == before_verkeer + 1

    invalid = subprocess.run(
        [sys.executable, "-m", "tools.handling", "closed", "--conversation", "x", "--department", "afval",
         "--handler", "piet@gemeente.nl"],
        cwd=REPO_ROOT, env=service_env(KAFKA_BOOTSTRAP_SERVERS=broker.address), capture_output=True, text=True,
        timeout=60,
    )
    assert invalid.returncode == 2 and "pseudonymous" in invalid.stderr


def test_the_backlog_survives_a_restart_of_the_metrics_service(stack, broker):
    urls, _, processes = stack
    metrics = urls["metrics"]
    routed_conversation(stack, broker, "Het grofvuil is niet opgehaald vandaag")
    waiting = eventually(
        lambda: metric_value(metrics, "contact_backlog_open_conversations", {"department": "afval"}), lambda v: v >= 1
    )
    processes["metrics"].restart()
    processes["metrics"].wait_ready(metrics + "/readyz")
    after = eventually(
        lambda: metric_value(metrics, "contact_backlog_open_conversations", {"department": "afval"}),
        lambda v: v >= waiting,
    )
    assert after >= waiting  # others may have been added meanwhile; none lost


def test_a_burst_about_one_theme_raises_one_spike_alert(stack, broker):
    """Four days of ordinary history and then a burst, written as routed messages with their times."""
    urls, _, _ = stack
    producer = KafkaProducer(bootstrap_servers=broker.address, acks="all")
    now = time.time()
    ordinary = ["Wanneer wordt het oud papier opgehaald?", "Mijn kliko is kapot", "Waar is de milieustraat?"]
    burst = [f"Overal zwerfkeien van het nieuwe {place}, wie ruimt die op?" for place in
             ("plein", "schoolplein", "speelplein", "marktplein", "kerkplein")]
    messages = [(now - day * 86400 - 3600 * hour, ordinary[(day + hour) % 3])
                for day in range(1, 5) for hour in range(3)]
    messages += [(now - 60 * minute, burst[minute % len(burst)]) for minute in range(15)]
    ids = []
    for at, text in messages:
        message_id = str(uuid.uuid4())
        ids.append(message_id)
        routed = codec.RoutedMessage(
            message=codec.ContactMessage(id=message_id, channel=codec.Channel.CHANNEL_WEBFORM,
                                         conversation_id=str(uuid.uuid4()), received_at=codec.timestamp_from_epoch(at),
                                         text=text),
            decision=codec.RoutingDecision(department="openbare_ruimte", confidence=0.9,
                                           method=codec.RoutingMethod.ROUTING_METHOD_MODEL),
            routed_at=codec.timestamp_from_epoch(at + 0.05),
        )
        producer.send(topics.routed_topic("openbare_ruimte"), key=routed.message.conversation_id.encode(),
                      value=routed.SerializeToString())
    producer.flush()
    producer.close()

    def ours(records) -> list[codec.SpikeAlert]:
        alerts = [codec.SpikeAlert.FromString(r.value) for r in records]
        return [a for a in alerts if set(a.example_message_ids) & set(ids[-15:])]

    def themed(records) -> list[codec.SpikeAlert]:
        return [a for a in ours(records) if a.theme != "*"]

    # The spike check runs on the metrics service's refresh; on a busy CI machine that can take a while.
    alerts = themed(read_topics(broker.address, [topics.ALERTS], until=lambda recs: bool(themed(recs)), timeout=90))
    assert len(alerts) == 1, [a.theme for a in alerts]  # one burst, one alert, however many words rose
    [alert] = alerts
    assert alert.department == "openbare_ruimte" and "zwerfkeien" in alert.theme
    assert alert.count >= 12 and alert.window_seconds == 86400
    assert metric_value(urls["metrics"], "contact_spike_messages",
                        {"department": "openbare_ruimte", "category": alert.category or "mixed"}) >= 12
