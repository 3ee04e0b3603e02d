"""A department's waiting conversations with their SLA clocks (the metrics service's ledger rules)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.console.board import DepartmentBoard, SlaClock
from services.console.queue import ConversationHistory
from services.contract import codec
from services.contract.departments import load_departments
from services.metrics.config import load_kpi_config
from services.metrics.settings import DEFAULT_KPI_CONFIG_FILE
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=AMSTERDAM)  # a working Monday


def board() -> DepartmentBoard:
    departments = load_departments(DEFAULT_DEPARTMENTS_FILE)
    kpi = load_kpi_config(DEFAULT_KPI_CONFIG_FILE, departments)
    return DepartmentBoard(kpi.office_hours, kpi.sla_seconds, kpi.at_risk_fraction,
                           frozenset(d.id for d in departments), ConversationHistory())


def routed(message_id: str, conversation: str, department: str, at: datetime, text: str = "tekst") -> codec.RoutedMessage:
    return codec.RoutedMessage(
        message=codec.ContactMessage(id=message_id, conversation_id=conversation, channel=codec.Channel.CHANNEL_EMAIL,
                                     received_at=codec.timestamp(at), text=text),
        decision=codec.RoutingDecision(department=department, triage=not department))


def handled(conversation: str, action: int, at: datetime, department: str = "afval", to: str = "") -> codec.HandledEvent:
    return codec.HandledEvent(conversation_id=conversation, department=department, action=action, to_department=to,
                              occurred_at=codec.timestamp(at))


def test_waiting_conversations_oldest_first_with_the_last_message_and_the_clock():
    b = board()
    for message in (routed("m1", "c1", "afval", MONDAY_9 + timedelta(hours=1), "later"),
                    routed("m2", "c2", "afval", MONDAY_9, "eerder"),
                    routed("m3", "c3", "verkeer", MONDAY_9)):
        b.history.add(message)
        assert b.routed(message) == {message.decision.department}
    now = (MONDAY_9 + timedelta(hours=2)).timestamp()
    rows = b.rows("afval", now)
    assert [r["conversation_id"] for r in rows] == ["c2", "c1"]
    assert rows[0]["office_seconds"] == 7200 and rows[0]["text"] == "eerder" and rows[0]["sla"] == "op_tijd"
    assert [r["conversation_id"] for r in b.rows("verkeer", now)] == ["c3"]


def test_a_first_reply_or_closing_ends_the_wait_a_hand_over_moves_it_and_a_follow_up_waits_again():
    b = board()
    b.routed(routed("m1", "c1", "afval", MONDAY_9))
    b.routed(routed("m2", "c2", "afval", MONDAY_9))
    assert b.handled(handled("c1", codec.HandledAction.HANDLED_ACTION_FIRST_REPLY, MONDAY_9 + timedelta(minutes=5))) == {"afval"}
    assert b.handled(handled("c2", codec.HandledAction.HANDLED_ACTION_HANDED_OVER, MONDAY_9, to="verkeer")) == {"afval", "verkeer"}
    now = (MONDAY_9 + timedelta(hours=1)).timestamp()
    assert b.rows("afval", now) == [] and [r["conversation_id"] for r in b.rows("verkeer", now)] == ["c2"]
    # A record read again after the reply changes nothing; a new message after it waits again.
    b.routed(routed("m1", "c1", "afval", MONDAY_9))
    assert b.rows("afval", now) == []
    b.routed(routed("m3", "c1", "afval", MONDAY_9 + timedelta(minutes=30)))
    assert [r["message_id"] for r in b.rows("afval", now)] == ["m3"]
    assert b.ledger._dirty == set()  # noqa: SLF001 - the console persists nothing, so keeps no change log


def test_the_sla_clock_states():
    assert SlaClock(10, 100, 0.8).state == "op_tijd"
    assert SlaClock(81, 100, 0.8).state == "bijna"
    assert SlaClock(101, 100, 0.8).state == "te_laat"
