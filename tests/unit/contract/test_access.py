"""Who may call what: tokens to roles, roles to methods, departments to their own reports."""

import pytest
from google.protobuf.descriptor import FileDescriptor

from gemeente.contact.v1 import handling_pb2, ingest_pb2, replies_pb2, routing_pb2
from services.contract import codec
from services.contract.access import (
    DEPARTMENT,
    KCC,
    PERMISSIONS,
    WEBCARE,
    AccessRefused,
    Caller,
    TokenTable,
    authorise,
    is_open,
    parse_department_tokens,
)

TOKENS = TokenTable.build({KCC: "k" * 32, WEBCARE: "w" * 32}, {"afval": "a" * 32})
REPORT = "/gemeente.contact.v1.HandlingService/ReportHandled"


def methods(module) -> set[str]:
    file: FileDescriptor = module.DESCRIPTOR
    return {f"/{service.full_name}/{method.name}" for service in file.services_by_name.values()
            for method in service.methods}


def test_every_method_we_serve_names_who_may_call_it():
    served = methods(routing_pb2) | methods(handling_pb2) | methods(ingest_pb2) | methods(replies_pb2)
    assert served == set(PERMISSIONS)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic " + "w" * 32, "Bearer " + "x" * 32, "bearer " + "w" * 31])
def test_a_missing_or_unknown_token_is_unauthenticated(header):
    with pytest.raises(AccessRefused) as refused:
        TOKENS.caller(header)
    assert refused.value.unauthenticated


def test_tokens_name_their_role():
    assert TOKENS.caller("Bearer " + "w" * 32) == Caller(WEBCARE)
    assert TOKENS.caller("bearer " + "a" * 32) == Caller(DEPARTMENT, "afval")


def test_roles_call_only_their_methods():
    authorise("/gemeente.contact.v1.RoutingService/Classify", Caller(KCC), routing_pb2.ClassifyRequest())
    authorise("/gemeente.contact.v1.IngestService/Submit", Caller(KCC), ingest_pb2.SubmitRequest())
    for method, caller in [("/gemeente.contact.v1.RoutingService/Reroute", Caller(KCC)),
                           ("/gemeente.contact.v1.IngestService/Submit", Caller(WEBCARE)),
                           ("/gemeente.contact.v1.RoutingService/Classify", Caller(DEPARTMENT, "afval"))]:
        with pytest.raises(AccessRefused) as refused:
            authorise(method, caller, None)
        assert not refused.value.unauthenticated


def test_a_department_reports_for_itself_only():
    own = handling_pb2.ReportHandledRequest(event=codec.HandledEvent(department="afval"))
    other = handling_pb2.ReportHandledRequest(event=codec.HandledEvent(department="verkeer"))
    authorise(REPORT, Caller(DEPARTMENT, "afval"), own)
    authorise(REPORT, Caller(WEBCARE), other)
    with pytest.raises(AccessRefused, match="own department"):
        authorise(REPORT, Caller(DEPARTMENT, "afval"), other)


def test_weak_shared_or_misconfigured_tokens_are_refused_at_start():
    with pytest.raises(ValueError, match="shorter"):
        TokenTable.build({KCC: "short"}, {})
    with pytest.raises(ValueError, match="share"):
        TokenTable.build({KCC: "s" * 32, WEBCARE: "s" * 32}, {})
    with pytest.raises(ValueError, match="not a department"):
        parse_department_tokens("afvalbak=" + "a" * 32, frozenset({"afval"}))


def test_health_and_reflection_are_open():
    assert is_open("/grpc.health.v1.Health/Check")
    assert is_open("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    assert not is_open("/gemeente.contact.v1.RoutingService/Classify")
