"""Who is waiting for an answer: open conversations, first-response times and SLA. Pure.

A conversation waits from the moment the citizen's first unanswered message reached us until the
department reports its first reply (or closes it). Follow-ups while waiting do not restart the clock;
a message after a reply starts a new wait. Every transition is idempotent, so records that are read
again after a crash change nothing: a routed message at or before the conversation's last reply is
already answered, and a reply with nothing waiting answers nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from services.contract import codec
from services.metrics.config import TRIAGE
from services.metrics.office_hours import OfficeHours, epoch_to_datetime


@dataclass(frozen=True)
class Waiting:
    department: str  # a department id, or "triage"
    channel: str
    since: float  # epoch seconds: when the first unanswered message reached us
    message_id: str


@dataclass(frozen=True)
class Response:
    department: str
    channel: str
    office_seconds: float
    wall_seconds: float
    within_sla: bool


@dataclass(frozen=True)
class Backlog:
    open: int
    oldest_seconds: float
    oldest_office_seconds: float
    at_risk: int  # open longer than the at-risk share of the SLA (office time)
    over_sla: int


class ConversationLedger:
    def __init__(self, office_hours: OfficeHours, sla_seconds: dict[str, float], at_risk_fraction: float,
                 persisted: bool = True) -> None:
        self.office_hours = office_hours
        self.sla_seconds = sla_seconds
        self.at_risk_fraction = at_risk_fraction
        self.waiting: dict[str, Waiting] = {}
        self.answered_at: dict[str, float] = {}
        # The conversations changed since drain_changes(), for a caller that persists the ledger; one that
        # rebuilds it from the topics (the console) keeps no such log.
        self.persisted = persisted
        self._dirty: set[str] = set()

    def _changed(self, conversation_id: str) -> None:
        if self.persisted:
            self._dirty.add(conversation_id)

    def message_routed(self, conversation_id: str, department: str, channel: str, message_id: str, at: float) -> None:
        """A message went to a department's topic or to triage (also after a Reroute)."""
        current = self.waiting.get(conversation_id)
        if current is not None:
            if current.department != department:  # moved by staff or by the router: waits there now
                self.waiting[conversation_id] = replace(current, department=department)
                self._changed(conversation_id)
            return
        if at <= self.answered_at.get(conversation_id, float("-inf")):
            return
        self.waiting[conversation_id] = Waiting(department, channel, at, message_id)
        self._changed(conversation_id)

    def first_reply(self, conversation_id: str, department: str, at: float) -> Response | None:
        """The department answered; the response time of the wait it ends (None if nothing waited)."""
        waited = self._answer(conversation_id, at)
        if waited is None:
            return None
        office = self.office_hours.seconds_between(epoch_to_datetime(waited.since), epoch_to_datetime(at))
        credited = department or waited.department
        sla = self.sla_seconds.get(credited, self.sla_seconds.get(waited.department, float("inf")))
        return Response(credited, waited.channel, office, max(0.0, at - waited.since), office <= sla)

    def closed(self, conversation_id: str, at: float) -> Waiting | None:
        return self._answer(conversation_id, at)

    def handed_over(self, conversation_id: str, to_department: str) -> None:
        current = self.waiting.get(conversation_id)
        if current is not None and to_department and current.department != to_department:
            self.waiting[conversation_id] = replace(current, department=to_department)
            self._changed(conversation_id)

    def _answer(self, conversation_id: str, at: float) -> Waiting | None:
        self.answered_at[conversation_id] = max(at, self.answered_at.get(conversation_id, at))
        self._changed(conversation_id)
        current = self.waiting.get(conversation_id)
        if current is None or current.since > at:
            return None  # a message that came after the reply waits on
        del self.waiting[conversation_id]
        return current

    def backlog(self, now: float, departments: list[str]) -> dict[str, Backlog]:
        """Per department (and triage): open conversations, the oldest wait, and how many are at risk."""
        return self._backlog(now, [*departments, TRIAGE], lambda waiting: waiting.department)

    def backlog_by_channel(self, now: float, channels: list[str]) -> dict[str, Backlog]:
        """The same per channel the citizens wrote on (each wait against its own department's SLA)."""
        return self._backlog(now, channels, lambda waiting: waiting.channel)

    def _backlog(self, now: float, groups: list[str], group_of) -> dict[str, Backlog]:  # noqa: ANN001
        ages: dict[str, list[tuple[float, float, float]]] = {g: [] for g in groups}  # (since, office age, sla)
        now_dt = epoch_to_datetime(now)
        for waiting in self.waiting.values():
            office_age = self.office_hours.seconds_between(epoch_to_datetime(waiting.since), now_dt)
            sla = self.sla_seconds.get(waiting.department, float("inf"))
            ages.setdefault(group_of(waiting), []).append((waiting.since, office_age, sla))
        return {
            group: Backlog(
                open=len(items),
                oldest_seconds=max(0.0, now - min(since for since, _, _ in items)) if items else 0.0,
                oldest_office_seconds=max((age for _, age, _ in items), default=0.0),
                at_risk=sum(age > self.at_risk_fraction * sla for _, age, sla in items),
                over_sla=sum(age > sla for _, age, sla in items),
            )
            for group, items in ages.items()
        }

    def forget_answers_before(self, moment: float) -> None:
        """Drop the reply times that no re-read record can be older than (bounded memory)."""
        for conversation_id in [c for c, at in self.answered_at.items() if at < moment]:
            del self.answered_at[conversation_id]
            self._changed(conversation_id)

    def drain_changes(self) -> dict[str, tuple[dict | None, float | None]]:
        """Conversation id → (waiting as a dict or None, answered_at or None), for persisting."""
        changes = {
            c: (asdict(self.waiting[c]) if c in self.waiting else None, self.answered_at.get(c))
            for c in self._dirty
        }
        self._dirty.clear()
        return changes

    def restore(self, conversation_id: str, waiting: dict | None, answered_at: float | None) -> None:
        if waiting is not None:
            self.waiting[conversation_id] = Waiting(**waiting)
        if answered_at is not None:
            self.answered_at[conversation_id] = answered_at


def apply_handled(ledger: ConversationLedger, event: codec.HandledEvent, known_departments: frozenset[str] | set[str]) -> Response | None:
    """What a department's report does to the ledger: a first reply answers the wait (its response time
    is returned), closing ends it, a hand-over moves it. The metrics service and the console both read
    contact.handled this way."""
    at = codec.epoch_seconds(event.occurred_at)
    if event.action == codec.HandledAction.HANDLED_ACTION_FIRST_REPLY:
        return ledger.first_reply(event.conversation_id, event.department if event.department in known_departments else "", at)
    if event.action == codec.HandledAction.HANDLED_ACTION_CLOSED:
        ledger.closed(event.conversation_id, at)
    elif event.action == codec.HandledAction.HANDLED_ACTION_HANDED_OVER and event.to_department in known_departments:
        ledger.handed_over(event.conversation_id, event.to_department)
    return None
