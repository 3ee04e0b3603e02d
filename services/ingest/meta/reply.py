"""An answer on Messenger or Instagram (Graph Send API, comment replies). Pure; shared by both channels.

A private conversation: `messaging_type: RESPONSE` within 24 hours of the citizen's last message, a
person's answer with `MESSAGE_TAG` + `HUMAN_AGENT` up to 7 days (replies here are always written by staff),
refused after that. A comment: in public as a reply to the comment (checked for personal data first), or,
when the reply asks for it, one private reply to the comment within 7 days (`recipient.comment_id`).
"""

from __future__ import annotations

from services.contract import codec
from services.replies.senders import Context, Outgoing, Refused, Target, reply_text, within

Failure = codec.ReplyFailure
Visibility = codec.ReplyVisibility
STANDARD_WINDOW_HOURS = 24
HUMAN_AGENT_WINDOW_HOURS = 7 * 24
PRIVATE_REPLY_WINDOW_HOURS = 7 * 24


def plan_private_message(reply: codec.Reply, target: Target, now: float, api: str, max_chars: int) -> Outgoing:
    latest = target.latest
    text = reply_text(reply, max_chars)
    if within(latest, now, STANDARD_WINDOW_HOURS):
        window = {"messaging_type": "RESPONSE"}
    elif within(latest, now, HUMAN_AGENT_WINDOW_HOURS):
        window = {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    else:
        raise Refused(Failure.REPLY_FAILURE_WINDOW_CLOSED, "the citizen's last message is more than 7 days old")
    body = {"recipient": {"id": latest.recipient}, **window, "message": {"text": text}}
    return Outgoing(api=api, path=f"{latest.via}/messages", body=body, text=text)


def plan_comment_reply(reply: codec.Reply, target: Target, now: float, public_path: str, max_chars: int) -> Outgoing:
    comment = target.answered
    text = reply_text(reply, max_chars)
    if reply.visibility == Visibility.REPLY_VISIBILITY_PRIVATE:
        if not within(comment, now, PRIVATE_REPLY_WINDOW_HOURS):
            raise Refused(Failure.REPLY_FAILURE_WINDOW_CLOSED, "a private reply to a comment is possible for 7 days")
        body = {"recipient": {"comment_id": comment.ref}, "message": {"text": text}}
        return Outgoing(api="private_reply", path=f"{comment.via}/messages", body=body, text=text,
                        once_key=f"private-reply:{comment.ref}")
    return Outgoing(api="comment", path=public_path.format(comment=comment.ref), body={"message": text}, text=text,
                    public=True)


def meta_planner(dm_kind: str, dm_api: str, comment_kind: str, public_path: str, max_chars: int):  # noqa: ANN201
    """The planner of one Meta channel: its private messages and its comments."""

    def plan(reply: codec.Reply, target: Target, context: Context) -> Outgoing:
        if reply.template.name and not reply.text.strip():
            raise Refused(Failure.REPLY_FAILURE_UNSUPPORTED, "templates are for WhatsApp; write a text")
        if target.answered.kind == comment_kind:
            return plan_comment_reply(reply, target, context.now, public_path, max_chars)
        if target.latest.kind == dm_kind and target.answered.kind == dm_kind:
            return plan_private_message(reply, target, context.now, dm_api, max_chars)
        raise Refused(Failure.REPLY_FAILURE_UNKNOWN_CONVERSATION)

    return plan
