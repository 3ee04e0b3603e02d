"""Who may call which gRPC method. Pure: tokens in, a caller or a refusal out.

Callers present `authorization: Bearer <token>`. Each token belongs to one role, from the environment
(a Kubernetes Secret), never from the repository:

  kcc         KCC_API_TOKEN            Classify (where does this caller belong?) and Submit (log a contact)
  webcare     WEBCARE_API_TOKEN        Classify, Reroute, ReportHandled for any department, replies to any conversation
  department  DEPARTMENT_API_TOKENS    ReportHandled for its own department only ("afval=<token>,..."); replies
                                       (ReplyService) to conversations routed to its department

Health checks and reflection stay open: the kubelet probes health, and the API's shape is public.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass

KCC_TOKEN = "KCC_API_TOKEN"
WEBCARE_TOKEN = "WEBCARE_API_TOKEN"
DEPARTMENT_TOKENS = "DEPARTMENT_API_TOKENS"
API_SECRETS = (KCC_TOKEN, WEBCARE_TOKEN, DEPARTMENT_TOKENS)
# A token shorter than this is refused at start-up: it could be guessed.
MIN_TOKEN_CHARS = 24

KCC, WEBCARE, DEPARTMENT = "kcc", "webcare", "department"
_V1 = "/gemeente.contact.v1."
PERMISSIONS: dict[str, frozenset[str]] = {
    f"{_V1}RoutingService/Classify": frozenset({KCC, WEBCARE}),
    f"{_V1}RoutingService/Reroute": frozenset({WEBCARE}),
    f"{_V1}HandlingService/ReportHandled": frozenset({WEBCARE, DEPARTMENT}),
    f"{_V1}IngestService/Submit": frozenset({KCC}),
    f"{_V1}ReplyService/Send": frozenset({WEBCARE, DEPARTMENT}),
    f"{_V1}ReplyService/Status": frozenset({WEBCARE, DEPARTMENT}),
}
OPEN_SERVICES = ("/grpc.health.v1.Health/", "/grpc.reflection.v1alpha.ServerReflection/",
                 "/grpc.reflection.v1.ServerReflection/")


@dataclass(frozen=True)
class Caller:
    role: str
    department: str = ""  # for the department role: which one


class AccessRefused(Exception):
    def __init__(self, unauthenticated: bool, reason: str) -> None:
        super().__init__(reason)
        self.unauthenticated = unauthenticated


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def parse_department_tokens(value: str, departments: frozenset[str]) -> dict[str, str]:
    """"afval=<token>,verkeer=<token>" → {department: token}; a department not configured is an error."""
    tokens: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        department, separator, token = part.partition("=")
        if not separator or department not in departments:
            raise ValueError(f"{DEPARTMENT_TOKENS}: '{department}' is not a department id=token pair")
        tokens[department] = token
    return tokens


@dataclass(frozen=True)
class TokenTable:
    """sha-256 of each token → its caller. Looking up a digest, not the token, keeps comparisons constant
    in time with respect to the secret."""

    callers: Mapping[bytes, Caller]

    @classmethod
    def build(cls, by_role: Mapping[str, str], department_tokens: Mapping[str, str]) -> "TokenTable":
        callers: dict[bytes, Caller] = {}
        named = [(token, Caller(role)) for role, token in by_role.items() if token]
        named += [(token, Caller(DEPARTMENT, department)) for department, token in department_tokens.items()]
        for token, caller in named:
            if len(token) < MIN_TOKEN_CHARS:
                raise ValueError(f"the {caller.role} token is shorter than {MIN_TOKEN_CHARS} characters")
            if _digest(token) in callers:
                raise ValueError("two roles share a token: each role needs its own")
            callers[_digest(token)] = caller
        return cls(callers)

    def caller(self, authorization: str | None) -> Caller:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AccessRefused(True, "a bearer token is required (metadata 'authorization: Bearer <token>')")
        digest = _digest(token.strip())
        for known, caller in self.callers.items():
            if hmac.compare_digest(known, digest):
                return caller
        raise AccessRefused(True, "unknown token")


def is_open(method: str) -> bool:
    return method.startswith(OPEN_SERVICES)


def authorise(method: str, caller: Caller, request: object) -> None:
    """Raise AccessRefused (permission denied) unless `caller` may call `method` with this request."""
    allowed = PERMISSIONS.get(method, frozenset())
    if caller.role not in allowed:
        raise AccessRefused(False, f"the {caller.role} role may not call {method.rsplit('/', 1)[-1]}")
    if caller.role == DEPARTMENT and method.endswith("/ReportHandled"):
        event = getattr(request, "event", None)
        if event is None or event.department != caller.department:
            raise AccessRefused(False, f"a department may report handling for its own department only "
                                       f"({caller.department})")
    if (caller.role == DEPARTMENT and method.endswith("/ReplyService/Send")
            and request.reply.department != caller.department):  # type: ignore[attr-defined]
        raise AccessRefused(False, f"a department answers for its own department only ({caller.department})")


def secret_value(name: str, departments: list[str], token: Callable[[str], str]) -> str:
    """A value for secret `name` made with `token(label)`: DEPARTMENT_API_TOKENS holds one per department."""
    if name == DEPARTMENT_TOKENS:
        return ",".join(f"{department}={token(department)}" for department in departments)
    return token(name)


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    """gRPC call metadata that authenticates with `token`: `stub.Method(request, metadata=bearer(token))`."""
    return (("authorization", f"Bearer {token}"),)
