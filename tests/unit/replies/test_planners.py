"""Each channel's pure planner: the platform request an answer becomes, or why it is refused before sending."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from services.contract import codec
from services.ingest.email.normalise import email_to_contact, parse_email
from services.ingest.email.reply import SENDER as EMAIL
from services.ingest.facebook.reply import SENDER as FACEBOOK
from services.ingest.instagram.reply import SENDER as INSTAGRAM
from services.ingest.payload import ReplyAddress
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.twitter.reply import SENDER as X
from services.ingest.webform.reply import SENDER as WEBFORM
from services.ingest.whatsapp.normalise import whatsapp_webhook_to_contacts
from services.ingest.whatsapp.reply import SENDER as WHATSAPP
from services.replies.senders import Context, Refused, Target, Template, plan_reply
from services.replies.templates import load_templates
from services.runtime.settings import REPO_ROOT
from tests.paths import FIXTURES

Failure = codec.ReplyFailure
NOW = 1_780_000_000.0
HOUR = 3600
TEMPLATES = {"antwoord_beschikbaar": Template("antwoord_beschikbaar", "nl", 1)}
CONTEXT = Context(NOW, TEMPLATES, "contact@gemeente.example")


def reply(text: str = "Dank voor uw melding, we komen morgen langs.", **fields) -> codec.Reply:
    message = codec.Reply(reply_id="r-1", conversation_id="wa-abc", text=text, department="afval",
                          author_role=codec.AuthorRole.AUTHOR_ROLE_DEPARTMENT, **fields)
    message.created_at.FromSeconds(int(NOW))
    return message


def at(address: ReplyAddress, hours_ago: float) -> Target:
    aged = ReplyAddress(**{**address.__dict__, "at": NOW - hours_ago * HOUR})
    return Target(aged, aged)


def refusal(sender, message, target) -> int:
    with pytest.raises(Refused) as refused:
        plan_reply(sender, message, target, CONTEXT)
    return refused.value.failure


WA = ReplyAddress("whatsapp", recipient="16505551234", via="106540352242922", ref="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=")


def test_a_whatsapp_address_comes_from_the_platforms_own_webhook_and_never_reaches_the_message():
    payload = json.loads((FIXTURES / "whatsapp" / "text.json").read_text())
    result = whatsapp_webhook_to_contacts(payload, datetime(2026, 11, 23, tzinfo=timezone.utc), Pseudonymizer(b"k" * 24))
    [message] = result.messages
    address = result.reply_addresses[message.id]
    assert (address.kind, address.recipient, address.ref) == ("whatsapp", "16505551234", message.channel_message_id)
    assert address.via == payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"]
    assert address.at == message.sent_at.seconds
    assert b"16505551234" not in message.SerializeToString()


def test_whatsapp_inside_the_window_is_a_quoted_text_carrying_the_reply_id():
    outgoing = plan_reply(WHATSAPP, reply(), at(WA, 23), CONTEXT)
    assert outgoing.path == "106540352242922/messages"
    assert outgoing.body["to"] == "16505551234"
    assert outgoing.body["type"] == "text" and outgoing.body["text"]["body"].startswith("Dank voor uw melding")
    assert outgoing.body["context"] == {"message_id": WA.ref}
    assert outgoing.body["biz_opaque_callback_data"] == "r-1"


def test_whatsapp_free_text_outside_the_window_is_refused_before_sending():
    assert refusal(WHATSAPP, reply(), at(WA, 25)) == Failure.REPLY_FAILURE_WINDOW_CLOSED


def test_whatsapp_outside_the_window_takes_an_approved_template_only():
    template = codec.ReplyTemplate(name="antwoord_beschikbaar", language="nl", parameters=["uw container"])
    outgoing = plan_reply(WHATSAPP, reply(text="", template=template), at(WA, 72), CONTEXT)
    assert outgoing.body["type"] == "template"
    assert outgoing.body["template"] == {
        "name": "antwoord_beschikbaar", "language": {"code": "nl"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "uw container"}]}]}
    unknown = codec.ReplyTemplate(name="zelf_verzonnen", language="nl")
    assert refusal(WHATSAPP, reply(text="", template=unknown), at(WA, 72)) == Failure.REPLY_FAILURE_UNSUPPORTED
    wrong_count = codec.ReplyTemplate(name="antwoord_beschikbaar", language="nl")
    assert refusal(WHATSAPP, reply(text="", template=wrong_count), at(WA, 72)) == Failure.REPLY_FAILURE_INVALID


def test_the_shipped_templates_file_reads():
    templates = load_templates(REPO_ROOT / "deploy" / "config" / "templates.yaml")
    assert templates and all(t.language and t.parameters >= 0 for t in templates.values())


FB_DM = ReplyAddress("messenger", recipient="6783456789", via="1234567890", ref="m_abc")


@pytest.mark.parametrize(("hours", "expected"), [
    (2, {"messaging_type": "RESPONSE"}),
    (3 * 24, {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}),
])
def test_messenger_answers_inside_24_hours_and_with_the_human_agent_tag_up_to_7_days(hours, expected):
    outgoing = plan_reply(FACEBOOK, reply(), at(FB_DM, hours), CONTEXT)
    assert outgoing.path == "1234567890/messages"
    assert outgoing.body["recipient"] == {"id": "6783456789"}
    assert {k: outgoing.body[k] for k in expected} == expected
    assert "tag" not in outgoing.body or expected.get("tag")


def test_messenger_after_7_days_is_refused():
    assert refusal(FACEBOOK, reply(), at(FB_DM, 8 * 24)) == Failure.REPLY_FAILURE_WINDOW_CLOSED


IG_COMMENT = ReplyAddress("instagram_comment", via="17841400000000000", ref="17858893269000001")


def test_a_comment_is_answered_in_public_or_once_in_private():
    public = plan_reply(INSTAGRAM, reply(), at(IG_COMMENT, 30), CONTEXT)
    assert (public.path, public.body, public.public) == ("17858893269000001/replies", {"message": reply().text}, True)
    private = plan_reply(INSTAGRAM, reply(visibility=codec.ReplyVisibility.REPLY_VISIBILITY_PRIVATE),
                         at(IG_COMMENT, 30), CONTEXT)
    assert private.body["recipient"] == {"comment_id": "17858893269000001"}
    assert private.once_key == "private-reply:17858893269000001" and not private.public
    late = reply(visibility=codec.ReplyVisibility.REPLY_VISIBILITY_PRIVATE)
    assert refusal(INSTAGRAM, late, at(IG_COMMENT, 8 * 24)) == Failure.REPLY_FAILURE_WINDOW_CLOSED
    fb = plan_reply(FACEBOOK, reply(), at(ReplyAddress("facebook_comment", via="1", ref="1_2"), 1), CONTEXT)
    assert fb.path == "1_2/comments"


@pytest.mark.parametrize("personal", ["Bel ons op 06-12345678.", "Mail naar jan@example.nl", "BSN 111222333",
                                      "Betaal op NL91ABNA0417164300"])
def test_a_public_reply_with_personal_data_is_refused(personal):
    assert refusal(INSTAGRAM, reply(personal), at(IG_COMMENT, 1)) == Failure.REPLY_FAILURE_PERSONAL_DATA_IN_PUBLIC_REPLY
    mention = ReplyAddress("x_mention", via="9", ref="1790000000000000000")
    assert refusal(X, reply(personal), at(mention, 1)) == Failure.REPLY_FAILURE_PERSONAL_DATA_IN_PUBLIC_REPLY
    # In private the same text is the citizen's own business.
    assert plan_reply(FACEBOOK, reply(personal), at(FB_DM, 1), CONTEXT).body["message"]["text"] == personal


def test_x_answers_a_dm_with_a_dm_and_a_mention_with_a_reply_tweet():
    dm = plan_reply(X, reply(), at(ReplyAddress("x_dm", recipient="2244994945", via="9", ref="1"), 1), CONTEXT)
    assert (dm.api, dm.path, dm.body) == ("x_dm", "2/dm_conversations/with/2244994945/messages", {"text": reply().text})
    tweet = plan_reply(X, reply(), at(ReplyAddress("x_mention", via="9", ref="1790000000000000000"), 1), CONTEXT)
    assert tweet.path == "2/tweets"
    assert tweet.body == {"text": reply().text, "reply": {"in_reply_to_tweet_id": "1790000000000000000"}}
    too_long = reply("a" * 281)
    assert refusal(X, too_long, at(ReplyAddress("x_mention", via="9", ref="1"), 1)) == Failure.REPLY_FAILURE_INVALID


def test_an_email_answer_threads_under_the_citizens_mail_from_the_mailbox_written_to():
    raw = (FIXTURES / "email" / "inline_reply.eml").read_bytes()
    message = parse_email(raw)
    result = email_to_contact(message, datetime(2026, 11, 23, tzinfo=timezone.utc), Pseudonymizer(b"k" * 24), {},
                              mailbox="contact@gemeente.example")
    [contact] = result.messages
    address = result.reply_addresses[contact.id]
    outgoing = plan_reply(EMAIL, reply(), Target(address, address), CONTEXT)
    mail = outgoing.mail
    assert mail["To"] == message["From"].addresses[0].addr_spec
    assert mail["From"] == "contact@gemeente.example"
    assert mail["In-Reply-To"] == contact.channel_message_id
    assert mail["References"].split()[-1] == contact.channel_message_id
    assert mail["Subject"].startswith(("Re:", "RE:", "re:", "Antw:"))
    assert mail["Message-ID"] == outgoing.own_id
    again = plan_reply(EMAIL, reply(), Target(address, address), CONTEXT)
    assert again.own_id == outgoing.own_id, "every attempt carries the same Message-ID"
    assert mail.get_content().startswith("Dank voor uw melding")


def test_a_web_form_is_answered_by_mail_when_it_carried_an_address_and_refused_otherwise():
    with_address = ReplyAddress("webform", recipient="inwoner@example.nl", ref="s1", subject="Lantaarnpaal")
    mail = plan_reply(WEBFORM, reply(), Target(with_address, with_address), CONTEXT).mail
    assert (mail["To"], mail["From"], mail["Subject"]) == ("inwoner@example.nl", "contact@gemeente.example",
                                                           "Re: Lantaarnpaal")
    without = ReplyAddress("webform", ref="s2")
    assert refusal(WEBFORM, reply(), Target(without, without)) == Failure.REPLY_FAILURE_NO_REPLY_CHANNEL


def test_no_address_kept_or_an_address_of_another_channel_is_an_unknown_conversation():
    assert refusal(WHATSAPP, reply(), None) == Failure.REPLY_FAILURE_UNKNOWN_CONVERSATION
    assert refusal(WHATSAPP, reply(), at(FB_DM, 1)) == Failure.REPLY_FAILURE_UNKNOWN_CONVERSATION


def test_the_registry_names_each_channels_conversation_prefix_as_its_normaliser_writes_it():
    from services.ingest.channels import CHANNELS, channel_of_conversation

    prefixes = [c.conversation_prefix for c in CHANNELS]
    assert all(prefixes) and not any(a != b and b.startswith(a) for a in prefixes for b in prefixes)
    for channel in CHANNELS:
        module = channel.normaliser.split(":")[0].replace(".", "/") + ".py"
        sources = (REPO_ROOT / module).read_text() + (REPO_ROOT / "services/ingest/meta/messaging.py").read_text()
        assert f'"{channel.conversation_prefix}"' in sources, channel.name
        assert channel_of_conversation(channel.conversation_prefix + "abc") is channel
    assert channel_of_conversation("xx-abc") is None
