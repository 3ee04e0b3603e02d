"""WhatsApp Cloud API payloads (Meta's documented shapes) → ContactMessage."""

import json
from datetime import datetime, timezone

import pytest

from services.contract import codec
from services.ingest.payload import PayloadError
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.whatsapp.normalise import whatsapp_webhook_to_contacts
from tests.paths import FIXTURES

FIXTURES = FIXTURES / "whatsapp"
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
PSEUDO = Pseudonymizer(b"unit-test-pseudonym-key")


def normalise(name: str):
    return whatsapp_webhook_to_contacts(json.loads((FIXTURES / name).read_text()), NOW, PSEUDO)


def test_text_message_is_normalised_without_the_phone_number():
    result = normalise("text.json")
    [message] = result.messages
    assert message.channel == codec.Channel.CHANNEL_WHATSAPP
    assert message.channel_message_id.startswith("wamid.HBgL")
    assert message.text.startswith("Mijn kliko is gisteren niet geleegd")
    assert message.display_name == "Sheena Nelson"
    assert message.sent_at.seconds == 1749416383
    assert codec.epoch_seconds(message.received_at) == NOW.timestamp()
    assert message.metadata["type"] == "text"
    # Pseudonymous: the citizen's number appears nowhere in the encoded message.
    assert b"16505551234" not in message.SerializeToString()
    assert message.author_id == PSEUDO.pseudonym("phone", "16505551234")
    assert message.id == codec.message_id(codec.Channel.CHANNEL_WHATSAPP, message.channel_message_id)


def test_conversation_is_the_pair_of_citizen_and_our_number():
    one = normalise("text.json").messages[0]
    two = normalise("image.json").messages[0]
    assert one.conversation_id == two.conversation_id
    assert one.conversation_id.startswith("wa-")
    other_key = whatsapp_webhook_to_contacts(
        json.loads((FIXTURES / "text.json").read_text()), NOW, Pseudonymizer(b"another-key-of-16-bytes")
    ).messages[0]
    assert other_key.conversation_id != one.conversation_id


def test_image_keeps_caption_and_media_reference():
    [message] = normalise("image.json").messages
    assert message.text == "Grofvuil gedumpt naast de glasbak"
    [attachment] = message.attachments
    assert (attachment.kind, attachment.mime_type, attachment.reference) == ("image", "image/jpeg", "1003383421387256")


def test_location_is_carried_and_described():
    [message] = normalise("location.json").messages
    assert message.location.latitude == pytest.approx(52.0907)
    assert message.location.longitude == pytest.approx(5.1214)
    assert message.text == "Stadskantoor, Stadhuisplein 1, 3511 BZ Utrecht"


@pytest.mark.parametrize(
    ("fixture", "text"),
    [
        ("interactive_button_reply.json", "Afspraak maken"),
        ("interactive_list_reply.json", "Paspoort aanvragen"),
        ("button.json", "Ja, herinner mij"),
    ],
)
def test_replies_carry_their_title_and_what_they_answer(fixture, text):
    [message] = normalise(fixture).messages
    assert message.text == text
    assert message.in_reply_to.startswith("wamid.")


def test_statuses_are_receipts_of_our_replies_not_messages():
    result = normalise("statuses.json")
    assert result.messages == [] and result.ignored == {}
    assert [(r.state, r.platform_ids, r.at) for r in result.receipts] == [
        ("delivered", ("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA",), 1750263773),
        ("read", ("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA",), 1750263801)]


def test_unsupported_types_are_counted_not_published():
    payload = json.loads((FIXTURES / "unsupported.json").read_text())
    del payload["entry"][0]["changes"][0]["value"]["messages"][0]["errors"]  # a type we do not read, no error
    result = whatsapp_webhook_to_contacts(payload, NOW, PSEUDO)
    assert result.messages == []
    assert result.ignored == {"type_unsupported": 1}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"object": "page", "entry": []}, "object must be 'whatsapp_business_account'"),
        ({"object": "whatsapp_business_account", "entry": {}}, "entry must be a list"),
        (
            {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {}}]}]},
            "entry[0].changes[0].value.metadata must be an object",
        ),
    ],
)
def test_malformed_payloads_say_why(payload, reason):
    with pytest.raises(PayloadError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        whatsapp_webhook_to_contacts(payload, NOW, PSEUDO)


def test_message_without_id_is_malformed():
    payload = json.loads((FIXTURES / "text.json").read_text())
    del payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    with pytest.raises(PayloadError, match=r"messages\[0\]\.id"):
        whatsapp_webhook_to_contacts(payload, NOW, PSEUDO)


def test_bad_timestamp_is_malformed():
    payload = json.loads((FIXTURES / "text.json").read_text())
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = "gisteren"
    with pytest.raises(PayloadError, match="epoch timestamp"):
        whatsapp_webhook_to_contacts(payload, NOW, PSEUDO)


@pytest.mark.parametrize("name", ["interactive_error.json", "system_error.json", "unsupported.json"])
def test_a_webhook_with_errors_is_acknowledged_and_counted_not_refused(name):
    """Meta reports errors (131000 "Something went wrong", 131051 unsupported type) in `errors` arrays, on
    a message or on the whole change. Refusing them (400) makes Meta retry for days; nothing is published."""
    result = normalise(name)
    assert result.messages == []
    assert result.ignored == {"platform_error": 1}
    assert result.platform_errors in ([131000], [131051])
