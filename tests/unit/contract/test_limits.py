"""Every string field of every request our gRPC servers accept has a length limit."""

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from grpc_health.v1 import health_pb2

from gemeente.contact.v1 import handling_pb2, ingest_pb2, replies_pb2, routing_pb2
from services.contract import codec
from services.contract.limits import DEFAULT_MAX_CHARS, MAX_CHARS, too_long


def request_types() -> list[Descriptor]:
    found = []
    for module in (routing_pb2, handling_pb2, ingest_pb2, replies_pb2, health_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            found += [method.input_type for method in service.methods]
    return found


def string_fields(descriptor: Descriptor, seen: set) -> set[str]:
    if descriptor.full_name in seen or descriptor.full_name.startswith("google.protobuf."):
        return set()
    seen.add(descriptor.full_name)
    names = set()
    for field in descriptor.fields:
        if field.type == FieldDescriptor.TYPE_STRING:
            names.add(field.full_name)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            names |= string_fields(field.message_type, seen)
    return names


def test_every_request_string_field_has_a_limit():
    seen: set = set()
    fields = set().union(*(string_fields(d, seen) for d in request_types()))
    assert len(request_types()) >= 5
    assert fields - MAX_CHARS.keys() == set(), "add these to MAX_CHARS in services/contract/limits.py"
    assert MAX_CHARS.keys() <= fields, "stale entries in MAX_CHARS"


def test_too_long_names_the_field_nested_ones_too():
    assert too_long(routing_pb2.ClassifyRequest(text="kliko vol", subject="x" * 501)) == (
        "subject is longer than 500 characters")
    assert too_long(routing_pb2.ClassifyRequest(text="kliko vol", subject="x" * 500)) is None
    event = codec.HandledEvent(handler_id="h" * 65)
    assert "handler_id" in too_long(handling_pb2.ReportHandledRequest(event=event))
    assert DEFAULT_MAX_CHARS < 1000
