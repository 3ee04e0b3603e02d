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


def channel_to(address: str, ca_file: str = "", options: tuple[tuple[str, object], ...] = (),
               grpc_module=grpc):  # noqa: ANN001 - grpc or grpc.aio: both have the same two functions
    """A channel to one of our gRPC servers: TLS trusting `ca_file`, or plaintext without one (loopback)."""
    if ca_file:
        with open(ca_file, "rb") as handle:
            return grpc_module.secure_channel(address, grpc.ssl_channel_credentials(handle.read()), options=options)
    return grpc_module.insecure_channel(address, options=options)


def authenticated_channel(
    address: str, token: str, ca_file: str = "", options: tuple[tuple[str, object], ...] = ()
) -> grpc.Channel:
    """`options` are gRPC channel options, e.g. (("grpc.max_send_message_length", n),)."""
    return grpc.intercept_channel(channel_to(address, ca_file, options), _Bearer(token))
