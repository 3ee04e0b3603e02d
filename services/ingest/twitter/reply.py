"""An answer on X (API v2). Pure.

A DM is answered with a DM (`POST /2/dm_conversations/with/{participant_id}/messages`); a mention or a
reply to us in public with a reply tweet (`POST /2/tweets`, `reply.in_reply_to_tweet_id`), which is
checked for personal data before it goes (services/replies/senders.py).
"""

from __future__ import annotations

from services.contract import codec
from services.replies.senders import ChannelSender, Context, Outgoing, Refused, Target, reply_text

Failure = codec.ReplyFailure
MAX_TWEET_CHARS = 280
MAX_DM_CHARS = 10_000


def plan_x(reply: codec.Reply, target: Target, context: Context) -> Outgoing:
    if reply.template.name and not reply.text.strip():
        raise Refused(Failure.REPLY_FAILURE_UNSUPPORTED, "templates are for WhatsApp; write a text")
    answered = target.answered
    if answered.kind == "x_dm":
        text = reply_text(reply, MAX_DM_CHARS)
        return Outgoing(api="x_dm", path=f"2/dm_conversations/with/{answered.recipient}/messages",
                        body={"text": text}, text=text)
    text = reply_text(reply, MAX_TWEET_CHARS)
    return Outgoing(api="x_tweet", path="2/tweets", body={"text": text, "reply": {"in_reply_to_tweet_id": answered.ref}},
                    text=text, public=True)


SENDER = ChannelSender(plan=plan_x, transport="services.ingest.twitter.xapi:XTransport",
                       kinds=frozenset({"x_dm", "x_mention"}))
