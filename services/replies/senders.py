"""The reply senders' one small interface, and the checks every channel shares. Pure.

Each channel that can answer declares a `ChannelSender` in its own package (`services/ingest/<channel>/reply.py`,
named by `Replies.sender` in the channel registry), beside its ingestor:

  plan(reply, target, context) -> Outgoing          pure: the platform request, or Refused before anything is sent
  transport: "module:Class"                          the thin I/O, shared per platform (Graph API, X API, SMTP
                                                     relay): Class(settings, session, token).send(outgoing,
                                                     reply_id)
                                                     says Accepted, or raises Retry or Failed

The worker (services/replies/worker.py) does the rest the same way for every channel: the ledger, the
order per conversation, back-off, statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

from services.contract import codec
from services.ingest.payload import ReplyAddress
from services.router.decision.privacy import mask_personal_data

Failure = codec.ReplyFailure

# The platform calls a sender makes: the closed set of the `api` label.
APIS = ("whatsapp", "messenger", "instagram", "comment", "private_reply", "x_dm", "x_tweet", "smtp")
# Why a send is retried: the closed set of the `reason` label of retries.
RETRY_REASONS = ("rate_limited", "pair_rate_limited", "server_error", "timeout", "no_answer", "unreachable", "temporary")
# Of those, the ones after which the platform may have accepted the request all the same.
MAYBE_ACCEPTED = ("timeout", "no_answer")


@dataclass(frozen=True)
class Target:
    """Where the answer goes: the conversation's latest citizen message (its time opens the platform's
    window) and the message answered (threading); both the same when the reply names none."""

    latest: ReplyAddress
    answered: ReplyAddress


@dataclass(frozen=True)
class Template:
    """An approved message template (deploy/config/templates.yaml)."""

    name: str
    language: str
    parameters: int
    description: str = ""


@dataclass(frozen=True)
class Outgoing:
    """One request to a platform, as the pure planner decided it."""

    api: str  # one of APIS
    path: str = ""  # relative to the platform's base URL (HTTP)
    body: Mapping[str, Any] | None = None  # the JSON body (HTTP)
    mail: EmailMessage | None = None  # the message (SMTP)
    text: str = ""  # what the citizen will read (checked for personal data when public)
    public: bool = False
    # Sent at most once ever for this key (a comment's one private reply): claimed before sending.
    once_key: str = ""
    # Our own id of the message, known before sending (e-mail's Message-ID): the ledger keeps it.
    own_id: str = ""


class Refused(Exception):
    """Decided before anything was sent: the reply cannot go (window closed, no address, ...)."""

    def __init__(self, failure: int, detail: str = "") -> None:
        super().__init__(detail or codec.reply_failure_label(failure))
        self.failure = failure


class Retry(Exception):
    """A temporary refusal or no answer: try again after `after_seconds` (None: the back-off decides)."""

    def __init__(self, reason: str, after_seconds: float | None = None, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason if reason in RETRY_REASONS else "temporary"
        self.after_seconds = after_seconds


class Failed(Exception):
    """The platform refused for good; `alert` when an operator must act (an expired token)."""

    def __init__(self, failure: int, detail: str, alert: bool = False) -> None:
        super().__init__(detail)
        self.failure = failure
        self.alert = alert


@dataclass(frozen=True)
class Accepted:
    platform_message_id: str


class Transport(Protocol):
    async def send(self, outgoing: Outgoing, reply_id: str) -> Accepted: ...


@dataclass(frozen=True)
class Context:
    """What a planner may know besides the reply and its target: the time and the gemeente's configuration."""

    now: float
    templates: Mapping[str, Template] = field(default_factory=dict)
    # The gemeente's address for answers to messages written to no mailbox (a web form): REPLY_FROM_ADDRESS.
    reply_from: str = ""


Planner = Callable[[codec.Reply, Target, Context], Outgoing]


@dataclass(frozen=True)
class ChannelSender:
    """What a channel package declares as SENDER: its pure planner and how to build its transport."""

    plan: Planner
    transport: str  # "module:Class" of its Transport, resolved by the worker (so this stays pure)
    # Kinds of ReplyAddress this sender answers (a kind from elsewhere is a bug, refused as unknown).
    kinds: frozenset[str] = field(default_factory=frozenset)


def plan_reply(sender: ChannelSender, reply: codec.Reply, target: Target | None, context: Context) -> Outgoing:
    """The request for `reply`, or Refused: no address kept, or a public answer with personal data."""
    if target is None or target.latest.kind not in sender.kinds:
        raise Refused(Failure.REPLY_FAILURE_UNKNOWN_CONVERSATION)
    outgoing = sender.plan(reply, target, context)
    if outgoing.public and mask_personal_data(outgoing.text).counts:
        raise Refused(Failure.REPLY_FAILURE_PERSONAL_DATA_IN_PUBLIC_REPLY,
                      "a public reply may not carry a BSN, phone number, e-mail address or IBAN")
    return outgoing


def within(address: ReplyAddress, now: float, hours: float) -> bool:
    """Whether the citizen's message at `address` is less than `hours` old."""
    return now - address.at < hours * 3600


def reply_text(reply: codec.Reply, limit: int) -> str:
    """The reply's text, or Refused when there is none or it is longer than the platform takes."""
    text = reply.text.strip()
    if not text:
        raise Refused(Failure.REPLY_FAILURE_INVALID, "this channel needs a text")
    if len(text) > limit:
        raise Refused(Failure.REPLY_FAILURE_INVALID, f"longer than the {limit} characters the platform takes")
    return text
