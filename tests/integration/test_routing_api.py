"""The router's gRPC RoutingService and conversation stickiness, against the running router."""

from __future__ import annotations

import asyncio
import time
import uuid

import grpc
import pytest
from gemeente.contact.v1 import routing_pb2, routing_pb2_grpc

from services.contract import codec, topics
from services.runtime.grpc_client import authenticated_channel
from tests.conftest import SECRETS
from tests.helpers import all_decided_topics, read_topics, routed_with_id
from tests.integration.test_end_to_end import metric_value, post_whatsapp
from tools.demo.payloads import whatsapp_message, whatsapp_webhook


@pytest.fixture
def routing(stack):
    _, extra, _ = stack
    with authenticated_channel(f"127.0.0.1:{extra['router_grpc']}", SECRETS["WEBCARE_API_TOKEN"]) as channel:
        yield routing_pb2_grpc.RoutingServiceStub(channel)


def test_classify_for_kcc_agents(routing):
    answer = routing.Classify(routing_pb2.ClassifyRequest(text="Mijn paspoort is verlopen, hoe maak ik een afspraak?"), timeout=10)
    assert answer.department == "burgerzaken" and not answer.triage
    assert answer.top[0].department == "burgerzaken" and len(answer.top) == 3
    assert answer.language == "nl" and answer.reasons
    urgent = routing.Classify(routing_pb2.ClassifyRequest(text="Er is een ongeluk gebeurd, het verkeerslicht is kapot"), timeout=10)
    assert urgent.priority == codec.Priority.PRIORITY_URGENT
    with pytest.raises(grpc.RpcError) as empty:
        routing.Classify(routing_pb2.ClassifyRequest(text="  "), timeout=10)
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_oversized_and_malformed_requests_are_refused_before_any_work(stack):
    """A 3.9 MB subject once held the routing loop for 38 s; bytes that are no ClassifyRequest answered
    UNKNOWN. Both are INVALID_ARGUMENT now, and a request over the message limit is refused by gRPC."""
    _, extra, _ = stack
    with authenticated_channel(f"127.0.0.1:{extra['router_grpc']}", SECRETS["WEBCARE_API_TOKEN"],
                               options=(("grpc.max_send_message_length", 8 << 20),)) as channel:
        routing = routing_pb2_grpc.RoutingServiceStub(channel)
        with pytest.raises(grpc.RpcError) as long_subject:
            routing.Classify(routing_pb2.ClassifyRequest(text="kliko vol", subject="x" * 600), timeout=10)
        assert long_subject.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "subject" in long_subject.value.details()
        with pytest.raises(grpc.RpcError) as huge:
            routing.Classify(routing_pb2.ClassifyRequest(text="kliko vol", subject="x" * 3_900_000), timeout=10)
        assert huge.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        raw = channel.unary_unary("/gemeente.contact.v1.RoutingService/Classify",
                                  request_serializer=lambda b: b, response_deserializer=lambda b: b)
        with pytest.raises(grpc.RpcError) as garbage:
            raw(b"\xff\xff\xff\xff not a protobuf", timeout=10)
        assert garbage.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        # Still answering within bounds.
        assert routing.Classify(routing_pb2.ClassifyRequest(text="Mijn kliko is niet geleegd"), timeout=10).department


def test_staff_reroute_a_triaged_message_and_its_conversation_follows(stack, broker, routing):
    urls, _, _ = stack
    sender = "316" + str(uuid.uuid4().int)[:8]
    first = whatsapp_message(sender, text="Hallo, ik heb een vraag")
    assert asyncio.run(post_whatsapp(urls["whatsapp"], whatsapp_webhook([first]))) == 200
    first_id = codec.message_id(codec.Channel.CHANNEL_WHATSAPP, first["id"])
    [triaged] = routed_with_id(broker.address, [topics.TRIAGE], first_id)

    moved = routing.Reroute(routing_pb2.RerouteRequest(
        message_id=first_id, department="burgerzaken", staff_id="webcare-7", note="vraag over paspoort"), timeout=10)
    assert moved.previous_destination == "triage"
    assert moved.routed.decision.method == codec.RoutingMethod.ROUTING_METHOD_MANUAL
    [record] = routed_with_id(broker.address, [topics.routed_topic("burgerzaken")], first_id)
    assert record.key == triaged.key
    corrections = read_topics(broker.address, [topics.CORRECTIONS], until=lambda recs: any(
        codec.Correction.FromString(r.value).message_id == first_id for r in recs))
    correction = next(codec.Correction.FromString(r.value) for r in corrections
                      if codec.Correction.FromString(r.value).message_id == first_id)
    assert (correction.previous_destination, correction.department, correction.staff_id) == ("triage", "burgerzaken", "webcare-7")

    follow_up = whatsapp_message(sender, text="Ok, en wanneer kan ik langskomen?")
    assert asyncio.run(post_whatsapp(urls["whatsapp"], whatsapp_webhook([follow_up]))) == 200
    [sticky] = routed_with_id(broker.address, [topics.routed_topic("burgerzaken")],
                              codec.message_id(codec.Channel.CHANNEL_WHATSAPP, follow_up["id"]))
    decision = codec.decode_routed(sticky.value).decision
    assert decision.method == codec.RoutingMethod.ROUTING_METHOD_STICKY
    assert decision.reasons[0] == "vervolg in gesprek, eerder naar burgerzaken"


def test_urgent_messages_are_counted_by_priority(stack, broker):
    urls, _, _ = stack
    message = whatsapp_message("316" + str(uuid.uuid4().int)[:8], text="Gaslucht in de hele straat, ik ruik gas bij de school!")
    assert asyncio.run(post_whatsapp(urls["whatsapp"], whatsapp_webhook([message]))) == 200
    [record] = routed_with_id(broker.address, all_decided_topics(),
                              codec.message_id(codec.Channel.CHANNEL_WHATSAPP, message["id"]))
    decision = codec.decode_routed(record.value).decision
    assert decision.priority == codec.Priority.PRIORITY_URGENT
    destination = "triage" if decision.triage else decision.department
    for _ in range(50):
        count = metric_value(urls["metrics"], "contact_messages_by_priority_total",
                             {"department": destination, "priority": "urgent"})
        if count >= 1:
            break
        time.sleep(0.2)
    assert count >= 1


def test_reroute_refusals(routing):
    with pytest.raises(grpc.RpcError) as unknown_message:
        routing.Reroute(routing_pb2.RerouteRequest(message_id="nope", department="afval", staff_id="s"), timeout=10)
    assert unknown_message.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as unknown_department:
        routing.Reroute(routing_pb2.RerouteRequest(message_id="nope", department="sport", staff_id="s"), timeout=10)
    assert unknown_department.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_every_call_is_authenticated_and_each_role_calls_only_its_own(stack):
    """Any pod in the namespace could Reroute or report a forged first reply before; now a caller needs a
    token, a role its methods, and a department reports for itself only."""
    from gemeente.contact.v1 import handling_pb2, handling_pb2_grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    _, extra, _ = stack
    address = f"127.0.0.1:{extra['router_grpc']}"
    classify = routing_pb2.ClassifyRequest(text="Mijn kliko is niet geleegd")
    with grpc.insecure_channel(address) as anonymous:
        with pytest.raises(grpc.RpcError) as no_token:
            routing_pb2_grpc.RoutingServiceStub(anonymous).Classify(classify, timeout=10)
        assert no_token.value.code() == grpc.StatusCode.UNAUTHENTICATED
        health = health_pb2_grpc.HealthStub(anonymous).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert health.status == health_pb2.HealthCheckResponse.SERVING  # probes need no token
    with authenticated_channel(address, "x" * 40) as forged:
        with pytest.raises(grpc.RpcError) as unknown:
            routing_pb2_grpc.RoutingServiceStub(forged).Classify(classify, timeout=10)
        assert unknown.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with authenticated_channel(address, SECRETS["KCC_API_TOKEN"]) as kcc:
        assert routing_pb2_grpc.RoutingServiceStub(kcc).Classify(classify, timeout=10).department
        with pytest.raises(grpc.RpcError) as kcc_reroute:
            routing_pb2_grpc.RoutingServiceStub(kcc).Reroute(routing_pb2.RerouteRequest(
                message_id="m", department="afval", staff_id="kcc-1"), timeout=10)
        assert kcc_reroute.value.code() == grpc.StatusCode.PERMISSION_DENIED
    afval_token = dict(p.split("=", 1) for p in SECRETS["DEPARTMENT_API_TOKENS"].split(","))["afval"]
    with authenticated_channel(address, afval_token) as afval:
        handling = handling_pb2_grpc.HandlingServiceStub(afval)
        for_verkeer = codec.HandledEvent(conversation_id=f"wa-{uuid.uuid4()}", department="verkeer",
                                         action=codec.HandledAction.HANDLED_ACTION_FIRST_REPLY, handler_id="t-1")
        with pytest.raises(grpc.RpcError) as other_department:
            handling.ReportHandled(handling_pb2.ReportHandledRequest(event=for_verkeer), timeout=10)
        assert other_department.value.code() == grpc.StatusCode.PERMISSION_DENIED
        for_afval = codec.HandledEvent(conversation_id=f"wa-{uuid.uuid4()}", department="afval",
                                       action=codec.HandledAction.HANDLED_ACTION_CLOSED, handler_id="t-1")
        assert handling.ReportHandled(handling_pb2.ReportHandledRequest(event=for_afval), timeout=10).event_id
