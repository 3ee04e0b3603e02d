"""Replies and their statuses: what a valid Reply is, the order of states, the failures in Dutch. Pure."""

from __future__ import annotations

from collections.abc import Collection

from google.protobuf.timestamp_pb2 import Timestamp

from services.contract import codec
from services.contract.handling import CONTACT_DATA
from services.contract.vocabulary import TRIAGE

State = codec.ReplyState
Failure = codec.ReplyFailure

# The longest reply text we accept; each channel may allow less (a tweet: 280 characters).
MAX_REPLY_CHARS = 4096
# A reply id is the caller's idempotency key and part of Redis keys: short and plain.
MAX_REPLY_ID_CHARS = 128

# States only move forward; FAILED is final. READ may follow SENT directly (a receipt can be skipped).
_RANK = {State.REPLY_STATE_QUEUED: 1, State.REPLY_STATE_SENT: 2, State.REPLY_STATE_DELIVERED: 3,
         State.REPLY_STATE_READ: 4}

# Why a reply failed, for the staff member who wrote it (shown in the console, carried on the status).
EXPLANATIONS: dict[int, str] = {
    Failure.REPLY_FAILURE_WINDOW_CLOSED: "Het venster voor een vrij bericht is voorbij (WhatsApp 24 uur, "
                                         "Messenger en Instagram 7 dagen). Stuur een goedgekeurd sjabloon.",
    Failure.REPLY_FAILURE_NO_REPLY_CHANNEL: "Dit kanaal kan geen antwoord terugsturen (KCC, of een webformulier "
                                            "zonder e-mailadres). Neem op een andere manier contact op.",
    Failure.REPLY_FAILURE_PERSONAL_DATA_IN_PUBLIC_REPLY: "Een openbaar antwoord mag geen BSN, telefoonnummer, "
                                                         "e-mailadres of IBAN bevatten. Haal het weg of antwoord "
                                                         "privé.",
    Failure.REPLY_FAILURE_UNKNOWN_CONVERSATION: "Voor dit gesprek is geen adres (meer) bekend: het is ouder dan de "
                                                "bewaartermijn of nooit via dit systeem binnengekomen.",
    Failure.REPLY_FAILURE_UNDELIVERABLE: "Het platform kan dit bericht niet bij de inwoner afleveren.",
    Failure.REPLY_FAILURE_UNSUPPORTED: "Het platform accepteert dit soort bericht niet (of het sjabloon is "
                                       "onbekend).",
    Failure.REPLY_FAILURE_TOKEN_INVALID: "Het platform weigert onze toegangssleutel. Beheer moet die vernieuwen; "
                                         "daarna kan het antwoord opnieuw.",
    Failure.REPLY_FAILURE_REFUSED: "Het platform weigert dit bericht (bijvoorbeeld dubbele tekst of afgeschermde "
                                   "reacties).",
    Failure.REPLY_FAILURE_RETRIES_EXHAUSTED: "Het platform was te lang niet bereikbaar; het antwoord is niet "
                                             "verstuurd.",
    Failure.REPLY_FAILURE_OUTCOME_UNKNOWN: "Mogelijk verstuurd: het systeem viel uit terwijl het platform het "
                                           "bericht aannam. Controleer op het platform voordat u opnieuw antwoordt.",
    Failure.REPLY_FAILURE_INVALID: "Het antwoord is niet compleet of te lang.",
    Failure.REPLY_FAILURE_PRIVATE_REPLY_USED: "Op deze reactie is al een privébericht gestuurd; het platform staat "
                                              "er maar één toe.",
}
FAILURE_LABELS: tuple[str, ...] = tuple(codec.reply_failure_label(f) for f in EXPLANATIONS)
STATE_LABELS: tuple[str, ...] = tuple(codec.reply_state_label(s) for s in (*_RANK, State.REPLY_STATE_FAILED))


def advances(current: int, new: int) -> bool:
    """Whether a reply in state `current` may move to `new`: forward only, nothing after FAILED; FAILED from
    any other state (a platform may fail a reply after accepting it: WhatsApp 131026 in a status)."""
    if current == State.REPLY_STATE_FAILED:
        return False
    if new == State.REPLY_STATE_FAILED:
        return True
    return _RANK.get(new, 0) > _RANK.get(current, 0)


class InvalidReply(ValueError):
    """The reply cannot be sent as it is; the message says why (for the caller's developer)."""


def check_reply(reply: codec.Reply, departments: Collection[str], now: Timestamp) -> codec.Reply:
    """A copy with created_at filled in where missing; raises InvalidReply."""
    checked = codec.Reply()
    checked.CopyFrom(reply)
    if not checked.reply_id.strip() or len(checked.reply_id) > MAX_REPLY_ID_CHARS or not checked.reply_id.isprintable():
        raise InvalidReply(f"reply_id is required: a printable idempotency key of at most {MAX_REPLY_ID_CHARS} characters")
    if not checked.conversation_id.strip():
        raise InvalidReply("conversation_id is required")
    if checked.channel == codec.Channel.CHANNEL_UNSPECIFIED:
        raise InvalidReply("channel is required")
    if not checked.text.strip() and not checked.template.name:
        raise InvalidReply("a reply needs a text or a template")
    if len(checked.text) > MAX_REPLY_CHARS:
        raise InvalidReply(f"text longer than {MAX_REPLY_CHARS} characters")
    if checked.author_role == codec.AuthorRole.AUTHOR_ROLE_UNSPECIFIED:
        raise InvalidReply("author_role is required (webcare or department)")
    if checked.department not in {*departments, TRIAGE}:
        raise InvalidReply(f"unknown department '{checked.department}'")
    if CONTACT_DATA.search(checked.staff_id):
        raise InvalidReply("staff_id must be a pseudonymous id, not an e-mail address or phone number")
    if not checked.HasField("created_at"):
        checked.created_at.CopyFrom(now)
    return checked


def status_of(reply: codec.Reply, state: int, at: Timestamp, platform_message_id: str = "",
              failure: int = Failure.REPLY_FAILURE_UNSPECIFIED) -> codec.ReplyStatus:
    """The ReplyStatus of `reply` in `state`, with the Dutch explanation of a failure."""
    return codec.ReplyStatus(
        reply_id=reply.reply_id, conversation_id=reply.conversation_id, channel=reply.channel, state=state,
        platform_message_id=platform_message_id, failure=failure, explanation=EXPLANATIONS.get(failure, ""),
        at=at, department=reply.department, author_role=reply.author_role, reply_created_at=reply.created_at,
    )
