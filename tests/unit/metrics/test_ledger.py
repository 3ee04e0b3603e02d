"""Who waits for an answer: response times in office hours, SLA, backlog, idempotent transitions."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.contract.departments import load_departments
from services.metrics.config import load_kpi_config
from services.metrics.ledger import ConversationLedger
from services.metrics.settings import DEFAULT_KPI_CONFIG_FILE
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

AMS = ZoneInfo("Europe/Amsterdam")
HOUR = 3600.0


def t(*args) -> float:
    return datetime(*args, tzinfo=AMS).timestamp()


@pytest.fixture
def ledger():
    config = load_kpi_config(DEFAULT_KPI_CONFIG_FILE, load_departments(DEFAULT_DEPARTMENTS_FILE))
    return ConversationLedger(config.office_hours, config.sla_seconds, config.at_risk_fraction)


def test_reply_after_a_weekend_counts_office_hours_and_meets_the_sla(ledger):
    ledger.message_routed("c1", "afval", "whatsapp", "m1", t(2026, 11, 20, 16, 30))  # Friday
    response = ledger.first_reply("c1", "afval", t(2026, 11, 23, 9, 0))  # Monday
    assert response.office_seconds == HOUR
    assert response.wall_seconds == pytest.approx(64.5 * HOUR)
    assert response.within_sla and response.channel == "whatsapp"
    assert "c1" not in ledger.waiting


def test_follow_ups_do_not_restart_the_clock_and_a_late_reply_misses_the_sla(ledger):
    ledger.message_routed("c1", "burgerzaken", "email", "m1", t(2026, 11, 23, 9, 0))
    ledger.message_routed("c1", "burgerzaken", "email", "m2", t(2026, 11, 24, 9, 0))
    response = ledger.first_reply("c1", "burgerzaken", t(2026, 11, 24, 12, 0))
    # Monday 09:00-17:00 (7 h) + Tuesday 08:30-12:00 (3.5 h) = 10.5 h > the 8 h SLA of burgerzaken.
    assert response.office_seconds == 10.5 * HOUR
    assert not response.within_sla


def test_rereading_records_after_a_crash_changes_nothing(ledger):
    ledger.message_routed("c1", "afval", "webform", "m1", t(2026, 11, 23, 9, 0))
    assert ledger.first_reply("c1", "afval", t(2026, 11, 23, 10, 0)) is not None
    # The same records again, as after a restart from older offsets:
    ledger.message_routed("c1", "afval", "webform", "m1", t(2026, 11, 23, 9, 0))
    assert ledger.first_reply("c1", "afval", t(2026, 11, 23, 10, 0)) is None
    assert ledger.waiting == {}


def test_a_message_after_the_reply_starts_a_new_wait(ledger):
    ledger.message_routed("c1", "afval", "webform", "m1", t(2026, 11, 23, 9, 0))
    ledger.first_reply("c1", "afval", t(2026, 11, 23, 10, 0))
    ledger.message_routed("c1", "afval", "webform", "m2", t(2026, 11, 23, 11, 0))
    assert ledger.waiting["c1"].message_id == "m2"
    # A re-read reply older than the new message does not answer it.
    assert ledger.first_reply("c1", "afval", t(2026, 11, 23, 10, 0)) is None
    assert "c1" in ledger.waiting


def test_hand_over_keeps_the_citizens_clock_and_moves_the_backlog(ledger):
    ledger.message_routed("c1", "triage", "twitter", "m1", t(2026, 11, 23, 9, 0))
    ledger.handed_over("c1", "verkeer")
    backlog = ledger.backlog(t(2026, 11, 23, 12, 0), ["afval", "verkeer"])
    assert backlog["triage"].open == 0 and backlog["verkeer"].open == 1
    assert backlog["verkeer"].oldest_office_seconds == 3 * HOUR
    response = ledger.first_reply("c1", "verkeer", t(2026, 11, 23, 12, 0))
    assert response.department == "verkeer" and response.office_seconds == 3 * HOUR


def test_closed_leaves_the_backlog_without_a_response_time(ledger):
    ledger.message_routed("c1", "afval", "facebook", "m1", t(2026, 11, 23, 9, 0))
    assert ledger.closed("c1", t(2026, 11, 23, 9, 30)).message_id == "m1"
    assert ledger.backlog(t(2026, 11, 23, 12, 0), ["afval"])["afval"].open == 0


def test_backlog_age_at_risk_and_over_sla(ledger):
    # triage SLA 4 h: 80 % is 3.2 h.
    ledger.message_routed("old", "triage", "email", "m1", t(2026, 11, 23, 8, 30))
    ledger.message_routed("mid", "triage", "email", "m2", t(2026, 11, 23, 9, 30))
    ledger.message_routed("new", "triage", "email", "m3", t(2026, 11, 23, 13, 30))
    backlog = ledger.backlog(t(2026, 11, 23, 14, 0), [])["triage"]
    assert backlog.open == 3
    assert backlog.oldest_seconds == 5.5 * HOUR
    assert backlog.oldest_office_seconds == 4.5 * HOUR  # lunch does not count
    assert (backlog.at_risk, backlog.over_sla) == (2, 1)


def test_state_survives_a_round_trip_through_its_changes(ledger):
    ledger.message_routed("c1", "afval", "kcc", "m1", t(2026, 11, 23, 9, 0))
    ledger.message_routed("c2", "afval", "kcc", "m2", t(2026, 11, 23, 9, 0))
    ledger.first_reply("c2", "afval", t(2026, 11, 23, 9, 5))
    copy = ConversationLedger(ledger.office_hours, ledger.sla_seconds, ledger.at_risk_fraction)
    for conversation, (waiting, answered) in ledger.drain_changes().items():
        copy.restore(conversation, waiting, answered)
    assert copy.waiting == ledger.waiting and copy.answered_at == ledger.answered_at
    assert ledger.drain_changes() == {}
