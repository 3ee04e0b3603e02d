"""Facebook (Messenger, page feed) and Instagram (DMs, comments) payloads → ContactMessage."""

import json
from datetime import datetime, timezone

import pytest

from services.contract import codec
from services.ingest.facebook.normalise import facebook_webhook_to_contacts
from services.ingest.instagram.normalise import instagram_webhook_to_contacts
from services.ingest.payload import PayloadError
from services.ingest.pseudonym import Pseudonymizer
from tests.paths import FIXTURES

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
PSEUDO = Pseudonymizer(b"unit-test-pseudonym-key")


def facebook(name):
    return facebook_webhook_to_contacts(json.loads((FIXTURES / "facebook" / name).read_text()), NOW, PSEUDO)


def instagram(name):
    return instagram_webhook_to_contacts(json.loads((FIXTURES / "instagram" / name).read_text()), NOW, PSEUDO)


def test_messenger_text():
    [message] = facebook("messenger_text.json").messages
    assert message.channel == codec.Channel.CHANNEL_FACEBOOK
    assert message.channel_message_id.startswith("m_AG5Hz2")
    assert message.text.startswith("Goedemiddag, de lantaarnpaal")
    assert message.sent_at.ToMilliseconds() == 1763807399876
    assert message.conversation_id.startswith("fb-")
    assert message.author_id == PSEUDO.pseudonym("facebook-user", "6543210987654321")
    assert b"6543210987654321" not in message.SerializeToString()


def test_messenger_reply_with_attachment_stays_in_the_conversation():
    first = facebook("messenger_text.json").messages[0]
    [reply] = facebook("messenger_attachment_reply.json").messages
    assert reply.conversation_id == first.conversation_id
    assert reply.in_reply_to == first.channel_message_id
    [attachment] = reply.attachments
    assert attachment.kind == "image" and attachment.reference.startswith("https://scontent")


def test_echoes_and_deliveries_are_dropped_postbacks_kept():
    result = facebook("messenger_echo_delivery_postback.json")
    assert result.ignored == {"echo": 1}
    [delivery] = result.receipts  # of our own replies: services/replies/receipts.py
    assert delivery.state == "delivered" and (delivery.platform_ids or delivery.watermark)
    assert delivery.conversation_id.startswith("fb-")
    [postback] = result.messages
    assert postback.text == "Afspraak paspoort" and postback.metadata["type"] == "postback"


def test_feed_comment_is_a_message_reactions_and_own_comments_are_not():
    result = facebook("feed_comment.json")
    [comment] = result.messages
    assert comment.text == "Wanneer wordt het grofvuil in onze straat eindelijk opgehaald?"
    assert comment.display_name == "Marieke Jansen"
    assert comment.channel_message_id == "998877665544332_1234567890123456"
    assert comment.sent_at.seconds == 1763807695
    assert result.ignored == {"feed_reaction_add": 1, "feed_own_post": 1}


def test_instagram_direct_message_and_deleted_message():
    result = instagram("direct_message.json")
    [message] = result.messages
    assert message.channel == codec.Channel.CHANNEL_INSTAGRAM
    assert message.text == "Hoe vraag ik een parkeervergunning aan?"
    assert message.conversation_id.startswith("ig-")
    assert result.ignored == {"deleted": 1}


def test_instagram_comment_without_the_username():
    result = instagram("comments.json")
    [comment] = result.messages
    assert comment.text.startswith("@gemeenteutrecht het fietspad")
    assert comment.display_name == ""
    assert b"burger_utrecht" not in comment.SerializeToString()
    assert result.ignored == {"own_comment": 1, "field_mentions": 1}


@pytest.mark.parametrize(
    ("normaliser", "payload", "reason"),
    [
        (facebook_webhook_to_contacts, {"object": "instagram"}, "object must be 'page'"),
        (instagram_webhook_to_contacts, {"object": "page"}, "object must be 'instagram'"),
        (facebook_webhook_to_contacts, {"object": "page", "entry": [{"messaging": [{"sender": {}}]}]},
         r"entry\[0\]\.messaging\[0\]\.sender\.id"),
        (facebook_webhook_to_contacts,
         {"object": "page", "entry": [{"messaging": [{"sender": {"id": "1"}, "recipient": {"id": "2"},
                                                     "timestamp": "gisteren", "message": {"mid": "m", "text": "x"}}]}]},
         "timestamp"),
    ],
)
def test_malformed_meta_payloads_say_why(normaliser, payload, reason):
    with pytest.raises(PayloadError, match=reason):
        normaliser(payload, NOW, PSEUDO)
