"""A department's open conversations as its staff see them: who waits for a first answer, oldest first,
with the SLA clock in office hours. Pure.

The waiting itself is the metrics service's ConversationLedger (the same rules: follow-ups do not restart
the clock, a message after a reply starts a new wait, replays change nothing), fed from the same topics;
the board adds what staff need to recognise a conversation (channel, the last message, masked).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.console.queue import ConversationHistory
from services.console.replies import ReplyBoard
from services.contract import codec
from services.contract.vocabulary import TRIAGE
from services.metrics.kpi import first_reply_of
from services.metrics.ledger import ConversationLedger, apply_handled
from services.metrics.office_hours import OfficeHours, epoch_to_datetime

# How long a reply time is remembered against re-read records (as the metrics service's default).
ANSWER_MEMORY_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class SlaClock:
    office_seconds: float
    sla_seconds: float
    at_risk_fraction: float

    @property
    def state(self) -> str:
        """'op_tijd', 'bijna' (past the at-risk share of the SLA) or 'te_laat'."""
        if self.office_seconds > self.sla_seconds:
            return "te_laat"
        if self.office_seconds > self.at_risk_fraction * self.sla_seconds:
            return "bijna"
        return "op_tijd"


class DepartmentBoard:
    def __init__(self, office_hours: OfficeHours, sla_seconds: dict[str, float], at_risk_fraction: float,
                 departments: frozenset[str], history: ConversationHistory) -> None:
        # Not persisted: the topics are the console's state, so the ledger keeps no change log (bounded memory).
        self.ledger = ConversationLedger(office_hours, sla_seconds, at_risk_fraction, persisted=False)
        self.office_hours = office_hours
        self.departments = departments
        self.known = departments | {TRIAGE}
        self.history = history
        self.replies = ReplyBoard(departments)

    def routed(self, routed: codec.RoutedMessage) -> set[str]:
        """A message reached a department (or triage); the destinations whose lists changed."""
        message, decision = routed.message, routed.decision
        destination = TRIAGE if decision.triage or decision.department not in self.departments else decision.department
        before = self.ledger.waiting.get(message.conversation_id)
        self.ledger.message_routed(message.conversation_id, destination, codec.channel_label(message.channel),
                                   message.id, codec.epoch_seconds(message.received_at))
        return {destination} | ({before.department} if before is not None else set())

    def handled(self, event: codec.HandledEvent) -> set[str]:
        """A department's report; the destinations whose lists changed."""
        before = self.ledger.waiting.get(event.conversation_id)
        apply_handled(self.ledger, event, self.known)
        after = self.ledger.waiting.get(event.conversation_id)
        return {w.department for w in (before, after) if w is not None}

    def reply_status(self, status: codec.ReplyStatus) -> set[str]:
        """A reply's status; the destinations whose lists changed. A reply that really left answers the
        conversation's wait, as a first_reply report does (the metrics service's rule, kpi.first_reply_of)."""
        changed = self.replies.apply(status, self.department_of(status.conversation_id))
        answered = first_reply_of(status)
        if answered is not None:
            changed |= self.handled(answered)
        return changed

    def answers(self, department: str) -> list[dict]:
        """The department's newest replies with their status, each with the citizen's last message before
        it (masked, as routed) so staff recognise the conversation."""
        rows = self.replies.of_department(department)
        for row in rows:
            before = [m for m in self.history.of(row["conversation_id"]) if m.received_at.timestamp() <= row["written_at"]]
            row["text"] = before[-1].text if before else ""
        return rows

    def department_of(self, conversation_id: str) -> str | None:
        waiting = self.ledger.waiting.get(conversation_id)
        return waiting.department if waiting else None

    def rows(self, department: str, now: float) -> list[dict]:
        """The conversations waiting in `department`, oldest first."""
        now_dt = epoch_to_datetime(now)
        sla = self.ledger.sla_seconds.get(department, float("inf"))
        rows = []
        for conversation_id, waiting in self.ledger.waiting.items():
            if waiting.department != department:
                continue
            office = self.office_hours.seconds_between(epoch_to_datetime(waiting.since), now_dt)
            clock = SlaClock(office, sla, self.ledger.at_risk_fraction)
            earlier = self.history.of(conversation_id)
            reply = self.replies.latest_of(conversation_id)
            rows.append({
                "conversation_id": conversation_id,
                "message_id": waiting.message_id,
                "channel": waiting.channel,
                "since": epoch_to_datetime(waiting.since).isoformat(),
                "office_seconds": round(office),
                "sla_seconds": round(sla) if sla != float("inf") else None,
                "sla": clock.state,
                "text": earlier[-1].text if earlier else "",
                "messages": len(earlier),
                # An answer on its way or one that failed: the conversation still waits for one that left.
                "reply": reply.as_row() if reply is not None and reply.written_at >= waiting.since else None,
            })
        return sorted(rows, key=lambda r: (r["since"], r["conversation_id"]))

    def forget_old_answers(self, now: float) -> None:
        self.ledger.forget_answers_before(now - ANSWER_MEMORY_SECONDS)
