"""The webcare console's view of the work: the triage queue and each conversation's recent messages.

Pure: records in (already decoded), rows out. The console rebuilds this view from the topics at start-up
and keeps it up to date from them, so every replica shows the same queue; nothing here is the source of
truth (the topics are), so a bound that drops a row loses no message, only its place on a screen.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timezone

from services.contract import codec
from services.contract.vocabulary import TRIAGE

# The suggestions shown as buttons: the router's best departments, best first.
SUGGESTIONS = 3
# Texts are masked by the router already; this only keeps a wall screen's rows short.
PREVIEW_CHARS = 600

PRIORITY_LABELS = {
    codec.Priority.PRIORITY_URGENT: "spoed",
    codec.Priority.PRIORITY_HIGH: "hoog",
    codec.Priority.PRIORITY_NORMAL: "normaal",
}


@dataclass(frozen=True)
class Suggestion:
    department: str
    category: str
    score: float


@dataclass(frozen=True)
class TriageItem:
    """One triaged message as the console shows it: masked text only (the router masked it)."""

    message_id: str
    conversation_id: str
    channel: str
    priority: int
    received_at: datetime
    language: str
    subject: str
    text: str
    suggestions: tuple[Suggestion, ...]
    reasons: tuple[str, ...]

    def as_row(self, waiting_office_seconds: float) -> dict:
        """The JSON the browser renders (with textContent, never as HTML)."""
        return {
            "message_id": self.message_id,
            "conversation_id": self.conversation_id,
            "channel": self.channel,
            "priority": PRIORITY_LABELS.get(self.priority, "normaal"),
            "urgent": self.priority == codec.Priority.PRIORITY_URGENT,
            "received_at": self.received_at.isoformat(),
            "waiting_office_seconds": round(waiting_office_seconds),
            "language": self.language,
            "subject": self.subject,
            "text": self.text[:PREVIEW_CHARS],
            "suggestions": [{"department": s.department, "category": s.category, "score": round(s.score, 2)}
                            for s in self.suggestions],
            "reasons": list(self.reasons),
        }


def triage_item(routed: codec.RoutedMessage) -> TriageItem:
    message, decision = routed.message, routed.decision
    ranked = sorted(decision.candidates, key=lambda c: c.score, reverse=True)
    return TriageItem(
        message_id=message.id,
        conversation_id=message.conversation_id,
        channel=codec.channel_label(message.channel),
        priority=decision.priority or codec.Priority.PRIORITY_NORMAL,
        received_at=message.received_at.ToDatetime(tzinfo=timezone.utc),
        language=message.language,
        subject=message.subject,
        text=message.text,
        suggestions=tuple(Suggestion(c.department, c.category, c.score) for c in ranked[:SUGGESTIONS]),
        reasons=tuple(decision.reasons),
    )


def queue_order(item: TriageItem) -> tuple:
    """Most urgent first, then the longest waiting (office hours pass the same for every row, so the
    earliest received has waited longest), then a stable tie-break."""
    return (-item.priority, item.received_at, item.message_id)


class TriageQueue:
    """Triaged messages not yet placed. `limit` bounds the rows held; `placed_limit` bounds the memory of
    placed message ids, which a replay needs when a correction is read before the triage record it undoes."""

    def __init__(self, limit: int = 5000, placed_limit: int = 50_000) -> None:
        self.limit = limit
        self._items: dict[str, TriageItem] = {}
        self._placed: OrderedDict[str, None] = OrderedDict()
        self._placed_limit = placed_limit
        self.dropped = 0  # rows refused because the queue was full (a metric)

    def __len__(self) -> int:
        return len(self._items)

    def get(self, message_id: str) -> TriageItem | None:
        return self._items.get(message_id)

    def add(self, item: TriageItem) -> bool:
        """True when the row is new and shown."""
        if item.message_id in self._placed or item.message_id in self._items:
            return False
        if len(self._items) >= self.limit:
            self.dropped += 1
            return False
        self._items[item.message_id] = item
        return True

    def place(self, message_id: str) -> bool:
        """The message left triage (a correction, from this console or another tool). True if it was shown."""
        self._placed[message_id] = None
        self._placed.move_to_end(message_id)
        while len(self._placed) > self._placed_limit:
            self._placed.popitem(last=False)
        return self._items.pop(message_id, None) is not None

    def close_conversation(self, conversation_id: str) -> list[str]:
        """Webcare answered and closed the conversation itself: its rows leave the queue."""
        closed = [m for m, item in self._items.items() if item.conversation_id == conversation_id]
        for message_id in closed:
            self.place(message_id)
        return closed

    def ordered(self) -> list[TriageItem]:
        return sorted(self._items.values(), key=queue_order)


def closes_triage(event: codec.HandledEvent) -> bool:
    """A handled event that ends a conversation's time in triage (webcare answered and closed it)."""
    return event.department == TRIAGE and event.action == codec.HandledAction.HANDLED_ACTION_CLOSED


@dataclass(frozen=True)
class EarlierMessage:
    received_at: datetime
    channel: str
    destination: str
    text: str

    def as_row(self) -> dict:
        return {"received_at": self.received_at.isoformat(), "channel": self.channel,
                "destination": self.destination, "text": self.text[:PREVIEW_CHARS]}


class ConversationHistory:
    """The last `per_conversation` routed messages of the last `conversations` conversations seen."""

    def __init__(self, conversations: int = 20_000, per_conversation: int = 20) -> None:
        self._limit = conversations
        self._per = per_conversation
        self._by_conversation: OrderedDict[str, deque[tuple[str, EarlierMessage]]] = OrderedDict()

    def add(self, routed: codec.RoutedMessage) -> None:
        message, decision = routed.message, routed.decision
        destination = TRIAGE if decision.triage or not decision.department else decision.department
        entry = EarlierMessage(message.received_at.ToDatetime(tzinfo=timezone.utc),
                               codec.channel_label(message.channel), destination, message.text)
        messages = self._by_conversation.get(message.conversation_id)
        if messages is None:
            messages = self._by_conversation[message.conversation_id] = deque(maxlen=self._per)
            while len(self._by_conversation) > self._limit:
                self._by_conversation.popitem(last=False)
        else:
            self._by_conversation.move_to_end(message.conversation_id)
            # A rerouted message comes back under its own id: show it once, where it went last.
            for index, (message_id, _) in enumerate(messages):
                if message_id == message.id:
                    del messages[index]
                    break
        messages.append((message.id, entry))

    def of(self, conversation_id: str) -> list[EarlierMessage]:
        return sorted((entry for _, entry in self._by_conversation.get(conversation_id, ())),
                      key=lambda e: e.received_at)
