"""An answer to a web form: by e-mail when the form carried an address (services/ingest/email/reply.py),
from the gemeente's reply address; otherwise refused with no_reply_channel. Pure."""

from __future__ import annotations

from services.contract import codec
from services.ingest.email.reply import reply_mail
from services.replies.senders import ChannelSender, Context, Outgoing, Target


def plan_webform(reply: codec.Reply, target: Target, context: Context) -> Outgoing:
    answered = target.answered
    # A web form was written to no mailbox: the answer comes from the gemeente's REPLY_FROM_ADDRESS.
    return reply_mail(reply, answered.recipient, context.reply_from, answered.subject)


SENDER = ChannelSender(plan=plan_webform, transport="services.ingest.email.relay:SmtpTransport",
                       kinds=frozenset({"webform"}))
