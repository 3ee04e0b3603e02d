"""The gRPC server every service of ours starts: bounded messages, and requests checked before a handler
sees them.

* a request larger than MAX_REQUEST_BYTES is refused by gRPC itself (RESOURCE_EXHAUSTED);
* bytes that are not the method's protobuf message are INVALID_ARGUMENT, not UNKNOWN;
* a string field over its limit (services/contract/limits.py) is INVALID_ARGUMENT with the field's name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import grpc
from prometheus_client import Counter

from services.contract.limits import MAX_REQUEST_BYTES, too_long

REFUSED = Counter(
    "contact_grpc_requests_refused_total", "gRPC requests refused before their handler ran, by reason.", ["reason"]
)
SERVER_OPTIONS = (
    ("grpc.max_receive_message_length", MAX_REQUEST_BYTES),
    ("grpc.max_send_message_length", MAX_REQUEST_BYTES),
)
_UNREADABLE = object()


class RequestGuard(grpc.aio.ServerInterceptor):
    """Checks every unary request: readable protobuf, every string field within its limit."""

    async def intercept_service(self, continuation, handler_call_details):  # noqa: ANN001, ANN201 - gRPC's API
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None or handler.request_deserializer is None:
            return handler
        deserialize: Callable = handler.request_deserializer
        behaviour = handler.unary_unary

        def lenient(data: bytes) -> object:
            try:
                return deserialize(data)
            except Exception:  # noqa: BLE001 - protobuf's DecodeError and friends: answered below
                return _UNREADABLE

        async def checked(request, context):  # noqa: ANN001, ANN202
            if request is _UNREADABLE:
                REFUSED.labels("unreadable").inc()
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the request is not this method's message")
            reason = too_long(request)
            if reason is not None:
                REFUSED.labels("too_long").inc()
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, reason)
            return await behaviour(request, context)

        return grpc.unary_unary_rpc_method_handler(
            checked, request_deserializer=lenient, response_serializer=handler.response_serializer
        )


def create_server(interceptors: Sequence[grpc.aio.ServerInterceptor] = ()) -> grpc.aio.Server:
    return grpc.aio.server(interceptors=[RequestGuard(), *interceptors], options=SERVER_OPTIONS)
