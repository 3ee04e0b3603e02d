"""The gRPC server every service of ours starts: callers authenticated, bounded messages, and requests
checked before a handler sees them.

* a call without a known bearer token is UNAUTHENTICATED, a role calling what it may not (or a department
  reporting for another) PERMISSION_DENIED (services/contract/access.py); health and reflection are open;
* a request larger than MAX_REQUEST_BYTES is refused by gRPC itself (RESOURCE_EXHAUSTED);
* bytes that are not the method's protobuf message are INVALID_ARGUMENT, not UNKNOWN;
* a string field over its limit (services/contract/limits.py) is INVALID_ARGUMENT with the field's name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from pathlib import Path

import grpc
from prometheus_client import Counter

from services.contract.access import (
    KCC,
    WEBCARE,
    AccessRefused,
    Caller,
    TokenTable,
    authorise,
    is_open,
    parse_department_tokens,
)
from services.contract.limits import MAX_REQUEST_BYTES, too_long
from services.runtime.settings import GrpcServerSettings, RoutingApiSettings

REFUSED = Counter(
    "contact_grpc_requests_refused_total", "gRPC requests refused before their handler ran, by reason.", ["reason"]
)
SERVER_OPTIONS = (
    ("grpc.max_receive_message_length", MAX_REQUEST_BYTES),
    ("grpc.max_send_message_length", MAX_REQUEST_BYTES),
)
_UNREADABLE = object()
# Who is calling, for a handler whose answer depends on it (ReplyService: a department's conversations only).
CALLER: ContextVar[Caller] = ContextVar("grpc_caller")


class RequestGuard(grpc.aio.ServerInterceptor):
    """Checks every unary request: its caller, readable protobuf, every string field within its limit."""

    def __init__(self, tokens: TokenTable) -> None:
        self.tokens = tokens

    async def intercept_service(self, continuation, handler_call_details):  # noqa: ANN001, ANN201 - gRPC's API
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or is_open(method):
            return handler
        metadata = dict(handler_call_details.invocation_metadata or ())
        try:
            caller = self.tokens.caller(metadata.get("authorization"))
        except AccessRefused as refused:
            return _refusal(handler, grpc.StatusCode.UNAUTHENTICATED, "unauthenticated", str(refused))
        if handler.unary_unary is None or handler.request_deserializer is None:
            return _refusal(handler, grpc.StatusCode.UNIMPLEMENTED, "not_unary", "only unary calls are served")
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
            try:
                authorise(method, caller, request)
            except AccessRefused as refused:
                REFUSED.labels("permission_denied").inc()
                await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(refused))
            CALLER.set(caller)
            return await behaviour(request, context)

        return grpc.unary_unary_rpc_method_handler(
            checked, request_deserializer=lenient, response_serializer=handler.response_serializer
        )


def _refusal(handler, code: grpc.StatusCode, reason: str, details: str):  # noqa: ANN001, ANN202
    """A handler that refuses without reading the request."""

    async def refuse(_request, context):  # noqa: ANN001, ANN202
        REFUSED.labels(reason).inc()
        await context.abort(code, details)

    return grpc.unary_unary_rpc_method_handler(
        refuse, request_deserializer=lambda data: None, response_serializer=handler.response_serializer
    )


def create_server(tokens: TokenTable, interceptors: Sequence[grpc.aio.ServerInterceptor] = ()) -> grpc.aio.Server:
    return grpc.aio.server(interceptors=[RequestGuard(tokens), *interceptors], options=SERVER_OPTIONS)


class CertificateFiles:
    """The PEM pair of a gRPC port, read again when it changes on disk: cert-manager renews the certificate
    in the mounted Secret well before it expires, and the next TLS handshake gets the new one without a
    restart (gRPC asks `fetch` before every handshake; None keeps the current certificate)."""

    def __init__(self, cert_file: str, key_file: str) -> None:
        self._files = (Path(cert_file), Path(key_file))
        self._seen: tuple[int, ...] | None = None

    def _stamp(self) -> tuple[int, ...]:
        # Kubernetes swaps a Secret volume's files by a symlink: stat() follows it to the new file.
        return tuple(path.stat().st_mtime_ns for path in self._files)

    def read(self) -> grpc.ServerCertificateConfiguration:
        self._seen = self._stamp()
        cert, key = (path.read_bytes() for path in self._files)
        return grpc.ssl_server_certificate_configuration([(key, cert)])

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        try:
            if self._stamp() == self._seen:
                return None
            return self.read()
        except (OSError, ValueError):
            return None  # mid-swap or unreadable: keep serving the certificate in hand


def add_port(server: grpc.aio.Server, address: str, cert_file: str = "", key_file: str = "") -> None:
    """TLS when a certificate and key are given (on Kubernetes: cert-manager's Secret, mounted; renewals
    are picked up without a restart), plaintext otherwise (`make run` on loopback)."""
    if cert_file and key_file:
        files = CertificateFiles(cert_file, key_file)
        server.add_secure_port(address, grpc.dynamic_ssl_server_credentials(files.read(), files.fetch))
    else:
        server.add_insecure_port(address)


def token_table(settings: GrpcServerSettings, departments: frozenset[str] = frozenset()) -> TokenTable:
    """The callers this server knows, from its settings (the environment). A server without its roles'
    tokens does not start: it would have to serve everyone or no one."""
    by_role = {KCC: settings.kcc_api_token.get_secret_value()}
    department_tokens: dict[str, str] = {}
    if isinstance(settings, RoutingApiSettings):
        by_role[WEBCARE] = settings.webcare_api_token.get_secret_value()
        department_tokens = parse_department_tokens(settings.department_api_tokens.get_secret_value(), departments)
    missing = [f"{role.upper()}_API_TOKEN" for role, token in by_role.items() if not token]
    if missing:
        raise ValueError(f"set {', '.join(missing)}: the gRPC server authenticates every caller")
    return TokenTable.build(by_role, department_tokens)
