"""KPIs from what really left: a reply's statuses."""

from services.contract import codec
from services.metrics.kpi import first_reply_of


def test_a_reply_that_left_is_the_conversations_first_reply_at_the_platforms_time():
    status = codec.ReplyStatus(reply_id="r-1", conversation_id="wa-1", department="afval",
                               state=codec.ReplyState.REPLY_STATE_SENT)
    status.at.FromSeconds(1_780_000_000)
    event = first_reply_of(status)
    assert event.action == codec.HandledAction.HANDLED_ACTION_FIRST_REPLY
    assert (event.conversation_id, event.department, event.occurred_at.seconds) == ("wa-1", "afval", 1_780_000_000)
    assert event.event_id == "reply:r-1", "one event per reply: a status seen twice answers once"
    for other in (codec.ReplyState.REPLY_STATE_QUEUED, codec.ReplyState.REPLY_STATE_DELIVERED,
                  codec.ReplyState.REPLY_STATE_FAILED):
        assert first_reply_of(codec.ReplyStatus(reply_id="r", conversation_id="wa-1", state=other)) is None
