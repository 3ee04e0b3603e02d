"""A gRPC channel that authenticates every call with a bearer token (services/contract/access.py), over
TLS when a CA certificate is given: for our tools, tests and a department's own client."""

from __future__ import annotations

import collections

import grpc

from services.contract.access import bearer


class _CallDetails(
    collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready",
                                            "compression")),
    grpc.ClientCallDetails,
):
    pass


class _Bearer(grpc.UnaryUnaryClientInterceptor):
    def __init__(self, token: str) -> None:
        self.metadata = bearer(token)

    def intercept_unary_unary(self, continuation, details, request):  # noqa: ANN001, ANN201 - gRPC's API
        with_token = _CallDetails(details.method, details.timeout, (*(details.metadata or ()), *self.metadata),
                                  details.credentials, details.wait_for_ready, details.compression)
        return continuation(with_token, request)


def authenticated_channel(
    address: str, token: str, ca_file: str = "", options: tuple[tuple[str, object], ...] = ()
) -> grpc.Channel:
    """`options` are gRPC channel options, e.g. (("grpc.max_send_message_length", n),)."""
    if ca_file:
        with open(ca_file, "rb") as handle:
            channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(handle.read()), options=options)
    else:
        channel = grpc.insecure_channel(address, options=options)
    return grpc.intercept_channel(channel, _Bearer(token))
