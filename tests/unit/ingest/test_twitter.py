"""X / Twitter Account Activity API: CRC, signatures, tweets, reply chains and DMs."""

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone

import pytest

from services.ingest.payload import PayloadError
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.signatures import SignatureCheck, base64_signature, check_base64_signature
from services.ingest.twitter.app import BadCrcToken, crc_response
from services.ingest.twitter.normalise import tweet_parents, twitter_webhook_to_contacts
from tests.paths import FIXTURES

FIXTURES = FIXTURES / "twitter"
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
PSEUDO = Pseudonymizer(b"unit-test-pseudonym-key")


def load(name):
    return json.loads((FIXTURES / name).read_text())


def test_crc_response_is_xs_format():
    expected = "sha256=" + base64.b64encode(hmac.new(b"consumer", b"abc123", hashlib.sha256).digest()).decode()
    assert crc_response(b"consumer", "abc123") == {"response_token": expected}


def test_post_signature_checks():
    body = b'{"for_user_id":"1"}'
    assert check_base64_signature(b"s", body, base64_signature(b"s", body)) is SignatureCheck.VALID
    assert check_base64_signature(b"s", body, base64_signature(b"t", body)) is SignatureCheck.INVALID
    assert check_base64_signature(b"s", body + b" ", base64_signature(b"s", body)) is SignatureCheck.INVALID
    assert check_base64_signature(b"s", body, None) is SignatureCheck.MISSING


def test_mention_uses_the_full_text_and_roots_its_own_thread():
    result = twitter_webhook_to_contacts(load("tweet_mention.json"), NOW, PSEUDO, {})
    [tweet] = result.messages
    assert tweet.text.endswith("bij de Kanaalstraat #afval")
    assert tweet.display_name == "Bewoner Lombok"
    assert b"bewoner_lombok" not in tweet.SerializeToString().replace(b"@bewoner_lombok", b"")
    assert tweet.sent_at.ToMilliseconds() == 1763806373000
    assert result.thread_links == {"1992177777777777777": "1992177777777777777"}
    assert tweet.conversation_id == "tw-" + PSEUDO.pseudonym("twitter-thread", "1992177777777777777")


def test_a_reply_to_our_reply_stays_in_the_citizens_conversation():
    first = twitter_webhook_to_contacts(load("tweet_mention.json"), NOW, PSEUDO, {})
    payload = load("tweet_replies.json")
    assert tweet_parents(payload) == ["1992177777777777777", "1992178888888888888"]
    # The ingestor looked up the roots it knows: the citizen's first tweet (from an earlier body).
    replies = twitter_webhook_to_contacts(payload, NOW, PSEUDO, dict(first.thread_links))
    assert replies.ignored == {"own_tweet": 1, "retweet": 1}
    # Our reply links itself to the citizen's root, and the citizen's answer to it follows it there.
    assert replies.thread_links["1992178888888888888"] == "1992177777777777777"
    [answer] = replies.messages
    assert answer.conversation_id == first.messages[0].conversation_id
    assert answer.in_reply_to == "1992178888888888888"
    # Without any known root, a reply roots at its parent.
    alone = twitter_webhook_to_contacts(
        {"for_user_id": "1", "tweet_create_events": [load("tweet_replies.json")["tweet_create_events"][1]]},
        NOW, PSEUDO, {},
    )
    assert alone.thread_links == {"1992179999999999999": "1992178888888888888"}


def test_direct_messages_skip_our_own_and_pair_the_users():
    result = twitter_webhook_to_contacts(load("direct_message.json"), NOW, PSEUDO, {})
    [dm] = result.messages
    assert dm.text == "Mijn rijbewijs is verlopen, moet ik een afspraak maken?"
    assert dm.display_name == "Ria"
    assert dm.conversation_id == "tw-" + PSEUDO.pseudonym("twitter-dm", "1016041050", "3003")
    assert result.ignored == {"own_dm": 1}


def test_other_event_types_are_counted():
    result = twitter_webhook_to_contacts(
        {"for_user_id": "1", "favorite_events": [{"id": "x"}]}, NOW, PSEUDO, {}
    )
    assert result.messages == [] and result.ignored == {"favorite": 1}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"tweet_create_events": []}, "for_user_id"),
        ({"for_user_id": "1"}, "no event array"),
        ({"for_user_id": "1", "tweet_create_events": [{"id_str": "5"}]}, r"tweet_create_events\[0\]\.user"),
        ({"for_user_id": "1", "direct_message_events": [{"type": "message_create", "id": "9"}]}, "message_create"),
    ],
)
def test_malformed_bodies_say_why(payload, reason):
    with pytest.raises(PayloadError, match=reason):
        twitter_webhook_to_contacts(payload, NOW, PSEUDO, {})


def test_an_empty_direct_message_is_counted_not_published():
    result = twitter_webhook_to_contacts(load("empty_direct_message.json"), NOW, PSEUDO, {})
    assert result.messages == [] and result.ignored == {"empty": 1}


@pytest.mark.parametrize(
    "token",
    ['{"tweet_create_events":[]}', "", "a" * 256, "abc def", "abc\n", "tök"],
)
def test_the_crc_answer_cannot_sign_a_body(token):
    """The CRC answer is HMAC(secret, token), the same as a POST's signature: a token that could be a body
    would let anyone get a forged webhook signed."""
    with pytest.raises(BadCrcToken):
        crc_response(b"consumer", token)


def test_a_forged_body_cannot_get_its_signature_from_the_crc_endpoint():
    body = json.dumps(load("tweet_mention.json"), separators=(",", ":"))
    with pytest.raises(BadCrcToken):
        crc_response(b"consumer", body)
