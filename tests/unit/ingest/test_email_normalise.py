"""E-mail as received over SMTP → ContactMessage: charsets, HTML, quotes, attachments, threading."""

from datetime import datetime, timezone

import pytest

from services.contract import codec
from services.ingest.email.normalise import email_to_contact, parse_email, thread_parents
from services.ingest.payload import PayloadError
from services.ingest.pseudonym import Pseudonymizer
from tests.paths import FIXTURES

FIXTURES = FIXTURES / "email"
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
PSEUDO = Pseudonymizer(b"unit-test-pseudonym-key")


def normalise(name, roots=None):
    return email_to_contact(parse_email((FIXTURES / name).read_bytes()), NOW, PSEUDO, roots or {})


def test_latin1_quoted_printable_with_encoded_headers_and_signature():
    result = normalise("plain_latin1.eml")
    [mail] = result.messages
    assert mail.channel == codec.Channel.CHANNEL_EMAIL
    assert mail.subject == "Grofvuil ophalen na verhuizing én container"
    assert mail.display_name == "Jan de Vriës"
    assert "bank en een kast" in mail.text
    assert "Met vriendelijke groet" not in mail.text and "iPhone" not in mail.text
    assert mail.author_id == PSEUDO.pseudonym("email", "j.devries@example.org")
    assert b"example.org" not in mail.SerializeToString().replace(b"mail.example.org", b"")
    assert mail.channel_message_id == "<CAB1234567890abcdef@mail.example.org>"
    assert mail.sent_at.seconds == int(datetime(2025, 11, 22, 9, 15, tzinfo=timezone.utc).timestamp())
    assert result.thread_links == {mail.channel_message_id: mail.channel_message_id}


def test_reply_threads_to_the_first_message_and_drops_the_quote():
    first = normalise("plain_latin1.eml").messages[0]
    result = normalise("reply_with_attachment.eml")
    [reply] = result.messages
    assert reply.conversation_id == first.conversation_id
    assert reply.in_reply_to == "<reply-gemeente-1@gemeente.example>"
    assert reply.text == "Dank u, dinsdag komt goed uit. Zie de foto van de stapel."
    [attachment] = reply.attachments
    assert (attachment.file_name, attachment.mime_type, attachment.size_bytes) == ("stapel.jpg", "image/jpeg", 40)


def test_in_reply_to_without_references_uses_the_known_root():
    raw = (FIXTURES / "reply_with_attachment.eml").read_bytes().replace(
        b"References: <CAB1234567890abcdef@mail.example.org> <reply-gemeente-1@gemeente.example>\r\n", b""
    )
    message = parse_email(raw)
    assert thread_parents(message) == ["<reply-gemeente-1@gemeente.example>"]
    known = {"<reply-gemeente-1@gemeente.example>": "<CAB1234567890abcdef@mail.example.org>"}
    [reply] = email_to_contact(message, NOW, PSEUDO, known).messages
    assert reply.conversation_id == normalise("plain_latin1.eml").messages[0].conversation_id


def test_html_only_mail_becomes_text():
    [mail] = normalise("html_only.eml").messages
    assert "verkeerslicht" in mail.text and "<b>" not in mail.text


def test_auto_replies_are_not_published():
    result = normalise("auto_reply.eml")
    assert result.messages == [] and result.ignored == {"auto_submitted": 1}


def test_mail_without_sender_is_refused():
    with pytest.raises(PayloadError, match="From"):
        email_to_contact(parse_email(b"To: a@b\r\nSubject: x\r\n\r\nbody"), NOW, PSEUDO, {})


def test_non_mail_is_refused():
    with pytest.raises(PayloadError):
        parse_email(b"")


def test_encoded_line_breaks_in_headers_do_not_survive_header_injection():
    raw = (b"From: Jan de Vries <jan@example.org>\r\n"
           b"To: contact@gemeente.example\r\n"
           b"Subject: =?utf-8?q?Kliko_kapot=0D=0ABcc:_evil@example.org?=\r\n"
           b"Message-ID: <inject-1@example.org>\r\n\r\nMijn kliko is kapot.\r\n")
    [mail] = email_to_contact(parse_email(raw), NOW, PSEUDO, {}).messages
    assert mail.subject == "Kliko kapot Bcc: evil@example.org"  # one line: no Bcc header downstream


def test_a_sender_name_with_an_encoded_line_break_is_refused_as_unreadable():
    raw = (b"From: =?utf-8?q?Jan=0D=0AReply-To:_x@evil.example?= <jan@example.org>\r\n"
           b"To: contact@gemeente.example\r\nSubject: hoi\r\nMessage-ID: <inject-2@example.org>\r\n\r\nTekst\r\n")
    with pytest.raises(PayloadError):
        email_to_contact(parse_email(raw), NOW, PSEUDO, {})


@pytest.mark.parametrize(
    ("name", "written", "quoted"),
    [
        # Thunderbird's default: the quote first, the answer below it, then the signature.
        ("bottom_posted_thunderbird.eml", "Het is de ondergrondse container op de hoek van de Dorpsstraat",
         "Om welke container gaat het precies"),
        # mutt and mailing-list habit: answers between the quoted questions.
        ("inline_reply.eml", "Het kenteken is GH-123-B.\n\nJa, sinds maart.", "Wat is het kenteken"),
        # Apple Mail on an iPhone: answer on top, device sign-off, quoted header with "het volgende geschreven".
        ("top_posted_apple_mail.eml", "Dinsdag om 10 uur past mij goed, tot dan.", "woensdag om 14 uur"),
        ("reply_with_attachment.eml", "Dank u, dinsdag komt goed uit.", "Wij plannen een nieuwe afspraak"),
    ],
)
def test_a_reply_keeps_what_the_citizen_wrote_and_drops_what_they_quoted(name, written, quoted):
    [message] = normalise(name).messages
    assert written in message.text
    assert quoted not in message.text
    assert "schreef" not in message.text and "wrote:" not in message.text and "geschreven" not in message.text
    assert "Verstuurd vanaf" not in message.text and "Anna de Vries" not in message.text


def test_an_empty_reply_is_counted_not_published():
    result = normalise("empty_reply.eml")
    assert result.messages == [] and result.ignored == {"empty": 1}
