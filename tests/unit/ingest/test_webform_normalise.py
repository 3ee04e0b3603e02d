from datetime import datetime, timezone

import pytest

from services.contract import codec
from services.ingest.payload import PayloadError
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.webform.normalise import parse_webform_body, webform_submission_to_contact

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
PSEUDO = Pseudonymizer(b"unit-test-pseudonym-key")


def test_json_and_form_encoding_give_the_same_fields():
    from_json = parse_webform_body(
        b'{"message": "Mijn paspoort is verlopen", "email": "a@example.org", "submission_id": 42}',
        "application/json",
    )
    from_form = parse_webform_body(
        b"message=Mijn+paspoort+is+verlopen&email=a%40example.org&submission_id=42",
        "application/x-www-form-urlencoded",
    )
    assert from_json == from_form == {"message": "Mijn paspoort is verlopen", "email": "a@example.org", "submission_id": "42"}


def test_submission_becomes_a_contact_message_without_the_address():
    fields = {"message": "Wanneer wordt het grofvuil opgehaald?", "email": "Jan@Example.org", "subject": "Grofvuil",
              "name": "Jan", "submission_id": "sid-1", "category": "afval"}
    [message] = webform_submission_to_contact(fields, NOW, PSEUDO).messages
    assert message.channel == codec.Channel.CHANNEL_WEBFORM
    assert (message.subject, message.text, message.display_name) == ("Grofvuil", fields["message"], "Jan")
    assert message.metadata["category"] == "afval"
    assert message.author_id == PSEUDO.pseudonym("email", "jan@example.org")
    assert b"example.org" not in message.SerializeToString()
    assert message.id == codec.message_id(codec.Channel.CHANNEL_WEBFORM, "sid-1")


def test_without_submission_id_a_retry_gets_the_same_id():
    fields = {"message": "Kapotte lantaarnpaal"}
    first = webform_submission_to_contact(dict(fields), NOW, PSEUDO).messages[0]
    again = webform_submission_to_contact(dict(fields), NOW, PSEUDO).messages[0]
    other = webform_submission_to_contact({"message": "Iets anders"}, NOW, PSEUDO).messages[0]
    assert first.id == again.id != other.id


def test_two_anonymous_citizens_with_the_same_words_later_are_two_messages():
    """Before, the second was acknowledged and dropped for 8 days as a "retry" of the first."""
    from datetime import timedelta

    fields = {"message": "Kapotte lantaarnpaal"}
    first = webform_submission_to_contact(dict(fields), NOW, PSEUDO).messages[0]
    retry = webform_submission_to_contact(dict(fields), NOW + timedelta(seconds=30), PSEUDO).messages[0]
    later = webform_submission_to_contact(dict(fields), NOW + timedelta(minutes=11), PSEUDO).messages[0]
    assert first.id == retry.id != later.id
    assert first.conversation_id != later.conversation_id


def test_reference_keeps_follow_ups_in_one_conversation():
    a = webform_submission_to_contact({"message": "eerste", "reference": "Z-123"}, NOW, PSEUDO).messages[0]
    b = webform_submission_to_contact({"message": "tweede", "reference": "Z-123"}, NOW, PSEUDO).messages[0]
    assert a.conversation_id == b.conversation_id and a.id != b.id


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"{}", "text/plain", "Content-Type must be"),
        (b"[1]", "application/json", "JSON object"),
        (b"{nope", "application/json", "not valid JSON"),
        (b'{"message": ["x"]}', "application/json", "field 'message' must be a string"),
        (b"\xff\xfe", "application/x-www-form-urlencoded", "not UTF-8"),
    ],
)
def test_unparseable_bodies_say_why(body, content_type, reason):
    with pytest.raises(PayloadError, match=reason):
        parse_webform_body(body, content_type)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, "'message' is required"),
        ({"message": "x" * 20_001}, "longer than"),
        ({"message": "x", "email": "geen adres"}, "not an e-mail address"),
    ],
)
def test_invalid_submissions_say_why(fields, reason):
    with pytest.raises(PayloadError, match=reason):
        webform_submission_to_contact(fields, NOW, PSEUDO)
