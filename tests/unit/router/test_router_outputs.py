"""Which outputs the router sends again after reading a record a second time."""

from services.router.decision.routing import Outcome
from services.router.outputs import Mark, output_key, parse_mark, plan


def test_marks_round_trip():
    assert parse_mark(None) is None
    assert parse_mark(b"done") == Mark("done")
    assert parse_mark(b"pending|contact.routed.afval|1795386806770") == Mark("pending", "contact.routed.afval", 1795386806770)


def test_done_is_skipped_pending_is_sent_unless_found_and_duplicates_once():
    keys = ["new", "done", "pending-lost", "pending-found", "new"]
    marks = {"done": Mark("done"), "pending-lost": Mark("pending", "t", 1), "pending-found": Mark("pending", "t", 1)}
    assert plan(keys, marks, published={"pending-found"}) == [True, False, True, False, False]


def test_without_the_ledger_everything_is_sent_once_per_batch():
    assert plan(["a", "b", "a"], {}, set()) == [True, True, False]


def test_a_dead_letter_is_identified_by_its_source_record():
    letter = Outcome("contact.deadletter", b"k", b"v", "deadletter", "router.decode", "unknown")
    assert output_key(letter, ("contact.inbound", 2, 41)) == "dl:contact.inbound:2:41"
    routed = Outcome("contact.routed.afval", b"k", b"v", "afval", "rule", "webform", message_id="m-1")
    assert output_key(routed, ("contact.inbound", 2, 42)) == "m-1"


def test_what_this_process_published_lately_is_not_sent_again_without_the_ledger():
    from services.router.outputs import RecentOutputs, plan

    recent = RecentOutputs(size=3)
    recent.add(["a", "b"])
    # Redis refuses (no marks): "a" was published by this process a moment ago, "c" is new.
    assert plan(["a", "c", "c"], {}, set(), recent) == [False, True, False]
    recent.add(["c", "d", "e"])
    assert "a" not in recent and "b" not in recent and {"c", "d", "e"} == {k for k in "cde" if k in recent}
