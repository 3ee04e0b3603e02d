"""The department view's replies: forward only, bounded, a webcare reply shown with the conversation's
department, a reply that left ends the wait while a failed one leaves it waiting with its reason."""

from __future__ import annotations

from datetime import timedelta

from services.console.replies import ReplyBoard
from services.contract import codec, replies
from tests.unit.console.test_board import MONDAY_9, board, routed

State = codec.ReplyState
DEPARTMENTS = frozenset({"afval", "verkeer"})


def status(reply_id: str, state: int, minutes: int = 0, conversation: str = "c1", department: str = "afval",
           failure: int = codec.ReplyFailure.REPLY_FAILURE_UNSPECIFIED, written: int = 0) -> codec.ReplyStatus:
    return codec.ReplyStatus(
        reply_id=reply_id, conversation_id=conversation, channel=codec.Channel.CHANNEL_WHATSAPP, state=state,
        department=department, author_role=codec.AuthorRole.AUTHOR_ROLE_DEPARTMENT, failure=failure,
        explanation=replies.EXPLANATIONS.get(failure, ""), at=codec.timestamp(MONDAY_9 + timedelta(minutes=minutes)),
        reply_created_at=codec.timestamp(MONDAY_9 + timedelta(minutes=written)))


def test_a_reply_moves_forward_only_and_news_read_twice_changes_nothing():
    shown = ReplyBoard(DEPARTMENTS)
    assert shown.apply(status("r1", State.REPLY_STATE_QUEUED)) == {"afval"}
    assert shown.apply(status("r1", State.REPLY_STATE_READ, 3)) == {"afval"}  # read may overtake delivered
    assert shown.apply(status("r1", State.REPLY_STATE_DELIVERED, 2)) == set()
    assert shown.apply(status("r1", State.REPLY_STATE_READ, 3)) == set()
    [row] = shown.of_department("afval")
    assert (row["state"], row["state_name"]) == ("read", "gelezen")
    assert shown.of_department("verkeer") == []


def test_a_failure_is_final_and_carries_its_dutch_reason():
    shown = ReplyBoard(DEPARTMENTS)
    shown.apply(status("r1", State.REPLY_STATE_QUEUED))
    shown.apply(status("r1", State.REPLY_STATE_FAILED, 1, failure=codec.ReplyFailure.REPLY_FAILURE_WINDOW_CLOSED))
    assert shown.apply(status("r1", State.REPLY_STATE_SENT, 2)) == set()
    [row] = shown.of_department("afval")
    assert row["state"] == "failed" and "sjabloon" in row["explanation"]


def test_a_webcare_reply_shows_with_the_department_the_conversation_waits_in():
    shown = ReplyBoard(DEPARTMENTS)
    assert shown.apply(status("r1", State.REPLY_STATE_QUEUED, department="triage"), "verkeer") == {"verkeer"}
    assert [r["reply_id"] for r in shown.of_department("verkeer")] == ["r1"]
    assert shown.apply(status("r2", State.REPLY_STATE_QUEUED, conversation="c2", department="")) == set()


def test_memory_is_bounded_and_the_newest_written_reply_is_the_conversations():
    shown = ReplyBoard(DEPARTMENTS, remembered=3)
    shown.apply(status("old", State.REPLY_STATE_QUEUED, written=0))
    shown.apply(status("new", State.REPLY_STATE_QUEUED, written=5))
    shown.apply(status("old", State.REPLY_STATE_READ, 9))  # an older reply's receipt: still not the newest
    assert shown.latest_of("c1").reply_id == "new"
    for n in range(3):
        shown.apply(status(f"x{n}", State.REPLY_STATE_QUEUED, conversation=f"c{n + 10}"))
    assert len(shown) == 3 and shown.latest_of("c1") is None
    assert [r["reply_id"] for r in shown.of_department("afval")] == ["x2", "x1", "x0"]


def test_a_reply_that_left_ends_the_wait_and_a_failed_one_stays_beside_the_waiting_conversation():
    b = board()
    b.routed(routed("m1", "c1", "afval", MONDAY_9))
    b.routed(routed("m2", "c2", "afval", MONDAY_9))
    b.reply_status(status("r1", State.REPLY_STATE_QUEUED, 1, conversation="c1", written=1))
    b.reply_status(status("r2", State.REPLY_STATE_FAILED, 1, conversation="c2", written=1,
                          failure=codec.ReplyFailure.REPLY_FAILURE_UNDELIVERABLE))
    now = (MONDAY_9 + timedelta(minutes=10)).timestamp()
    rows = {r["conversation_id"]: r for r in b.rows("afval", now)}
    assert rows["c1"]["reply"]["state"] == "queued" and rows["c2"]["reply"]["state"] == "failed"
    assert b.reply_status(status("r1", State.REPLY_STATE_SENT, 2, conversation="c1", written=1)) == {"afval"}
    assert [r["conversation_id"] for r in b.rows("afval", now)] == ["c2"]
    # A follow-up after the answer waits again, without the old answer beside it.
    b.routed(routed("m3", "c1", "afval", MONDAY_9 + timedelta(minutes=5)))
    rows = {r["conversation_id"]: r for r in b.rows("afval", now)}
    assert rows["c1"]["reply"] is None


def test_an_answer_is_shown_with_the_citizens_message_it_followed():
    b = board()
    for message in (routed("m1", "c1", "afval", MONDAY_9, "eerste vraag"),
                    routed("m2", "c1", "afval", MONDAY_9 + timedelta(minutes=30), "later bericht")):
        b.history.add(message)
        b.routed(message)
    b.reply_status(status("r1", State.REPLY_STATE_SENT, 11, conversation="c1", written=10))
    [answer] = b.answers("afval")
    assert answer["reply_id"] == "r1" and answer["text"] == "eerste vraag"
