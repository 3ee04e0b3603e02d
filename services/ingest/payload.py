"""Pure helpers every normaliser shares: reading untrusted JSON with reasons, and what a body yields."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from services.contract import codec


class PayloadError(ValueError):
    """The body is not what the channel's format promises; the reason is returned with a 400."""


# Every kind of event an ingestor acknowledges without publishing: the closed set of the `kind` label of
# contact_ingest_events_ignored_total. Families whose last part comes from the payload (a status, a type,
# a field) list the values the platforms document; anything else is "<family>_other".
_IGNORED_FAMILIES: dict[str, tuple[str, ...]] = {
    "status": ("sent", "delivered", "read", "failed", "deleted", "warning", "played"),  # WhatsApp receipts
    "type": ("audio", "button", "contacts", "document", "image", "interactive", "location", "order", "reaction",
             "request_welcome", "sticker", "system", "text", "unknown", "unsupported", "video"),  # WhatsApp
    "field": ("messages", "feed", "comments", "mentions", "live_comments", "message_echoes", "message_reactions",
              "messaging_postbacks", "messaging_optins", "messaging_referrals", "messaging_seen",
              "message_deliveries", "message_reads", "story_insights", "account_review_update",
              "message_template_status_update", "phone_number_quality_update", "None"),  # Meta change fields
    "event": ("delivery", "read", "reaction", "optin", "referral", "account_linking", "policy_enforcement",
              "unknown"),  # Messenger / Instagram messaging events
    "dm": ("message_create", "None"),  # X direct message event types other than message_create
    "feed": tuple(f"{item}_{verb}" for item in ("comment", "post", "status", "photo", "video", "reaction", "share",
                                                  "like", "None")
                  for verb in ("add", "edited", "remove", "hide", "unhide", "None"))
            + tuple(f"{item}_without_text" for item in ("comment", "post", "status", "photo", "video"))
            + ("own_post",),  # Facebook page feed
}
IGNORED_KINDS: frozenset[str] = frozenset(
    {f"{family}_{value}" for family, values in _IGNORED_FAMILIES.items() for value in values}
    | {f"{family}_other" for family in _IGNORED_FAMILIES}
    | {"own_tweet", "retweet", "own_dm", "empty", "echo", "deleted", "unsupported", "auto_submitted",
       "own_comment", "comment_without_text", "platform_error", "too_old", "other",
       # X Account Activity event arrays other than tweets and DMs
       "favorite", "follow", "unfollow", "block", "unblock", "mute", "unmute", "user_event", "tweet_delete",
       "direct_message_indicate_typing", "direct_message_mark_read", "tweet_create"}
)


def ignored_kind(kind: str) -> str:
    """`kind` if it is in IGNORED_KINDS, else its family's "_other", else "other"."""
    if kind in IGNORED_KINDS:
        return kind
    family = kind.split("_", 1)[0]
    return f"{family}_other" if family in _IGNORED_FAMILIES else "other"


@dataclass(frozen=True)
class ReplyAddress:
    """What an answer to one citizen message needs, and nothing more. Which fields mean what, by kind:

    whatsapp            recipient wa_id, via our phone_number_id, ref the citizen's wamid
    messenger           recipient PSID, via our page id, ref the mid       (instagram_dm: IGSID, IG account)
    facebook_comment    via our page id, ref the comment id                (instagram_comment alike)
    x_dm                recipient the citizen's user id, via our user id, ref the DM event id
    x_mention           via our user id, ref the tweet id
    email               recipient the address, via our mailbox written to, ref the Message-ID, references, subject
    webform             recipient the e-mail address the form carried, ref the submission id, subject
    """

    kind: str
    recipient: str = ""
    via: str = ""
    ref: str = ""
    references: str = ""
    subject: str = ""
    at: float = 0.0  # when the citizen sent it (epoch seconds): the platform's window opens here

    def to_json(self) -> bytes:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "ReplyAddress":
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in json.loads(data).items() if k in fields})


@dataclass(frozen=True)
class Receipt:
    """A platform's word on one of our replies: sent, delivered, read or failed. Named by the platform's id
    of what we sent, by our reply id where the platform echoes it (WhatsApp's biz_opaque_callback_data), or,
    for a watermark (Messenger: everything before it), by the conversation and the time."""

    state: str  # sent | delivered | read | failed
    at: float  # the platform's time (epoch seconds)
    platform_ids: tuple[str, ...] = ()
    reply_id: str = ""
    conversation_id: str = ""
    watermark: float = 0.0
    error_code: int | None = None


RECEIPT_STATES = ("sent", "delivered", "read", "failed")


@dataclass
class Normalised:
    """What a channel's normaliser found in one body."""

    messages: list[codec.ContactMessage] = field(default_factory=list)
    # kind -> count of events acknowledged but not published (e.g. {"status_delivered": 2}).
    ignored: dict[str, int] = field(default_factory=dict)
    # channel message id -> conversation root id, remembered after delivery (tweets, e-mail).
    thread_links: dict[str, str] = field(default_factory=dict)
    # Error codes the platform reported instead of a message (Meta's `errors` arrays), for the log.
    platform_errors: list[int] = field(default_factory=list)
    # ContactMessage.id -> where an answer to it goes; kept encrypted at the edge, never published.
    reply_addresses: dict[str, ReplyAddress] = field(default_factory=dict)
    # The platform's statuses of our replies (services/replies/receipts.py applies them).
    receipts: list[Receipt] = field(default_factory=list)

    def platform_error(self, error: object) -> None:
        """The platform says it could not deliver something: acknowledged (a refusal is retried for days),
        counted as "platform_error", its numeric code logged; its texts are not kept."""
        self.ignore("platform_error")
        code = error.get("code") if isinstance(error, dict) else None
        if isinstance(code, int) and not isinstance(code, bool):
            self.platform_errors.append(code)

    def ignore(self, kind: str) -> None:
        """Count an event acknowledged but not published, under a kind from IGNORED_KINDS (a metric
        label: a kind the platform made up becomes "<family>_other" or "other", never a new series)."""
        kind = ignored_kind(kind)
        self.ignored[kind] = self.ignored.get(kind, 0) + 1


class RateLimited(Exception):
    """A sender that posted too much: answered 429 with Retry-After, nothing published."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many submissions; retry after {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


def parse_json_object(body: bytes) -> dict:
    """JSON body as a dict, or PayloadError saying why not."""
    try:
        document = json.loads(body)
    except UnicodeDecodeError:
        raise PayloadError("body is not UTF-8") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise PayloadError(f"body is not valid JSON: {exc}"[:200]) from None
    if not isinstance(document, dict):
        raise PayloadError("body must be a JSON object")
    return document


def obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be an object")
    return value


def opt_obj(value: Any) -> dict:
    """An optional sub-object: {} when absent or not an object."""
    return value if isinstance(value, dict) else {}


def lst(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{where} must be a list")
    return value


def text(value: Any, where: str, required: bool = True) -> str:
    """A string (numbers are accepted as their decimal text, as platforms mix both for ids)."""
    if value is None and not required:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or (required and str(value) == ""):
        raise PayloadError(f"{where} must be a non-empty string")
    return str(value)


def epoch(value: Any, where: str, millis: bool = False) -> float:
    """A platform timestamp (epoch seconds or milliseconds, number or numeric string) in seconds."""
    if isinstance(value, bool):
        raise PayloadError(f"{where} must be an epoch timestamp")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PayloadError(f"{where} must be an epoch timestamp") from None
    if not 0 <= number < (1e14 if millis else 1e11):
        raise PayloadError(f"{where} is out of range")
    return number / 1000 if millis else number


def split_too_old(
    messages: list[codec.ContactMessage], now: float, max_age_seconds: float
) -> tuple[list[codec.ContactMessage], list[codec.ContactMessage]]:
    """(fresh, too old): a message the platform says was sent longer ago than the dedup window may be a
    replay that dedup no longer remembers, so it is not published. Without a platform time: fresh."""
    fresh, old = [], []
    for message in messages:
        sent = codec.epoch_seconds(message.sent_at) if message.HasField("sent_at") else now
        (old if now - sent > max_age_seconds else fresh).append(message)
    return fresh, old
