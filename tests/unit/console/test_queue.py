"""The console's triage queue and conversation history: pure, from decoded records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.console.queue import (
    ConversationHistory,
    TriageQueue,
    closes_triage,
    triage_item,
)
from services.console.staff import (
    DEPARTMENT_PREFIX,
    OPS,
    WEBCARE,
    Staff,
    roles_from_groups,
    staff_pseudonym,
)
from services.contract import codec

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def triaged(message_id: str, conversation: str = "c1", minutes: int = 0, priority: int = codec.Priority.PRIORITY_NORMAL,
            scores: tuple[tuple[str, float], ...] = (("afval", 0.2), ("verkeer", 0.5), ("burgerzaken", 0.1), ("zorg_wmo", 0.05))):
    return codec.RoutedMessage(
        message=codec.ContactMessage(id=message_id, conversation_id=conversation, channel=codec.Channel.CHANNEL_WHATSAPP,
                                     received_at=codec.timestamp(T0 + timedelta(minutes=minutes)), text=f"tekst {message_id}",
                                     language="nl"),
        decision=codec.RoutingDecision(triage=True, priority=priority, candidates=[
            codec.DepartmentScore(department=d, score=s, category=f"{d}_x") for d, s in scores]),
    )


def test_rows_are_most_urgent_first_then_longest_waiting():
    queue = TriageQueue()
    for routed in (triaged("late", minutes=10), triaged("early", minutes=1),
                   triaged("urgent", minutes=20, priority=codec.Priority.PRIORITY_URGENT)):
        assert queue.add(triage_item(routed))
    assert [i.message_id for i in queue.ordered()] == ["urgent", "early", "late"]
    row = queue.get("urgent").as_row(waiting_office_seconds=61.4)
    assert row["priority"] == "spoed" and row["urgent"] and row["waiting_office_seconds"] == 61
    # The suggestions are the best three departments, best first, with their categories.
    assert [(s["department"], s["category"]) for s in row["suggestions"]] == [
        ("verkeer", "verkeer_x"), ("afval", "afval_x"), ("burgerzaken", "burgerzaken_x")]


def test_a_placed_message_leaves_and_a_replayed_triage_record_does_not_bring_it_back():
    queue = TriageQueue()
    queue.add(triage_item(triaged("m1")))
    assert queue.place("m1") is True and len(queue) == 0
    # On a replay the correction may be read before the triage record it undoes.
    queue.place("m2")
    assert queue.add(triage_item(triaged("m2"))) is False and len(queue) == 0
    assert queue.add(triage_item(triaged("m1"))) is False


def test_the_queue_and_the_memory_of_placed_ids_are_bounded():
    queue = TriageQueue(limit=2, placed_limit=3)
    assert [queue.add(triage_item(triaged(f"m{i}"))) for i in range(3)] == [True, True, False]
    assert queue.dropped == 1
    for i in range(10):
        queue.place(f"p{i}")
    assert len(queue._placed) == 3  # noqa: SLF001 - the bound is the point


def test_webcare_closing_a_conversation_takes_its_rows_out():
    queue = TriageQueue()
    queue.add(triage_item(triaged("a", conversation="c1")))
    queue.add(triage_item(triaged("b", conversation="c2")))
    assert queue.close_conversation("c1") == ["a"]
    assert [i.message_id for i in queue.ordered()] == ["b"]
    closed = codec.HandledEvent(department="triage", action=codec.HandledAction.HANDLED_ACTION_CLOSED)
    assert closes_triage(closed)
    assert not closes_triage(codec.HandledEvent(department="afval", action=codec.HandledAction.HANDLED_ACTION_CLOSED))
    assert not closes_triage(codec.HandledEvent(department="triage", action=codec.HandledAction.HANDLED_ACTION_FIRST_REPLY))


def test_history_keeps_a_conversation_in_order_once_per_message_and_bounded():
    history = ConversationHistory(conversations=2, per_conversation=3)
    for i in range(5):
        history.add(triaged(f"m{i}", conversation="c1", minutes=i))
    assert [m.text for m in history.of("c1")] == ["tekst m2", "tekst m3", "tekst m4"]
    rerouted = triaged("m4", conversation="c1", minutes=4)
    rerouted.decision.triage, rerouted.decision.department = False, "afval"
    history.add(rerouted)
    assert [(m.text, m.destination) for m in history.of("c1")][-1] == ("tekst m4", "afval")
    assert len(history.of("c1")) == 3
    history.add(triaged("x", conversation="c2"))
    history.add(triaged("y", conversation="c3"))
    assert history.of("c1") == []  # the least recently seen conversation went


def test_staff_roles_come_from_groups_and_the_pseudonym_is_stable_and_keyed():
    groups = {"gg-webcare": WEBCARE, "gg-afval": DEPARTMENT_PREFIX + "afval", "gg-beheer": OPS,
              "gg-onbekend": DEPARTMENT_PREFIX + "bestaat_niet"}
    roles = roles_from_groups(["gg-afval", "gg-onbekend", "iets-anders"], groups, {"afval", "verkeer"})
    assert roles == {DEPARTMENT_PREFIX + "afval"}
    staff = Staff("mw-1", "Anna", roles)
    assert not staff.is_webcare and staff.may_see_department("afval") and not staff.may_see_department("verkeer")
    assert staff.home == "/afdeling/afval"
    assert Staff("mw-2", "Olga", frozenset({OPS})).home == "/overzicht"
    first = staff_pseudonym(b"k" * 32, "https://idp", "subject-1")
    assert first == staff_pseudonym(b"k" * 32, "https://idp", "subject-1")
    assert first != staff_pseudonym(b"l" * 32, "https://idp", "subject-1")
    assert first != staff_pseudonym(b"k" * 32, "https://other-idp", "subject-1")
    assert "subject" not in first
