"""An answer on WhatsApp (Cloud API `POST /{phone-number-id}/messages`). Pure.

Free text only within 24 hours of the citizen's last message (the customer-service window, which only
the citizen's messages reopen); outside it only an approved template (deploy/config/templates.yaml). A
free-text reply outside the window is refused before anything is sent. The reply id travels in
`biz_opaque_callback_data`, so the platform's status webhooks name the reply they are about.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.contract import codec
from services.replies.senders import (
    ChannelSender,
    Context,
    Outgoing,
    Refused,
    Target,
    Template,
    reply_text,
    within,
)

Failure = codec.ReplyFailure
WINDOW_HOURS = 24
MAX_TEXT_CHARS = 4096  # the Cloud API's limit for a text body
MAX_CALLBACK_BYTES = 512  # biz_opaque_callback_data


def template_component(reply: codec.Reply, templates: Mapping[str, Template]) -> dict:
    """The `template` object of an approved template, or Refused (unknown, wrong language or parameters)."""
    wanted = reply.template
    known = templates.get(wanted.name)
    if known is None or (wanted.language or known.language) != known.language:
        raise Refused(Failure.REPLY_FAILURE_UNSUPPORTED, f"template '{wanted.name}' is not approved for this gemeente")
    if len(wanted.parameters) != known.parameters:
        raise Refused(Failure.REPLY_FAILURE_INVALID,
                      f"template '{known.name}' takes {known.parameters} parameter(s), not {len(wanted.parameters)}")
    template: dict = {"name": known.name, "language": {"code": known.language}}
    if known.parameters:
        template["components"] = [{"type": "body", "parameters": [{"type": "text", "text": p} for p in wanted.parameters]}]
    return template


def plan_whatsapp(reply: codec.Reply, target: Target, context: Context) -> Outgoing:
    latest = target.latest
    body: dict = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": latest.recipient}
    if reply.template.name:
        body.update(type="template", template=template_component(reply, context.templates))
        text = " ".join(reply.template.parameters)
    elif within(latest, context.now, WINDOW_HOURS):
        text = reply_text(reply, MAX_TEXT_CHARS)
        body.update(type="text", text={"preview_url": False, "body": text})
        if target.answered.ref:
            body["context"] = {"message_id": target.answered.ref}
    else:
        raise Refused(Failure.REPLY_FAILURE_WINDOW_CLOSED,
                      f"the citizen's last message is more than {WINDOW_HOURS} hours old: only a template may go")
    if len(reply.reply_id.encode()) <= MAX_CALLBACK_BYTES:
        body["biz_opaque_callback_data"] = reply.reply_id
    return Outgoing(api="whatsapp", path=f"{latest.via}/messages", body=body, text=text)


SENDER = ChannelSender(plan=plan_whatsapp, transport="services.ingest.meta.graph:GraphTransport",
                       kinds=frozenset({"whatsapp"}))
