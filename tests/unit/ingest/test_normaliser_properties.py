"""Property tests: whatever a sender posts, a normaliser yields messages or a PayloadError (a 400),
never another exception (a 500)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

from gemeente.contact.v1 import ingest_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.contract import codec
from services.ingest.email.normalise import email_to_contact, parse_email
from services.ingest.facebook.normalise import facebook_webhook_to_contacts
from services.ingest.instagram.normalise import instagram_webhook_to_contacts
from services.ingest.kcc.normalise import kcc_submission_to_contact
from services.ingest.payload import Normalised, PayloadError, parse_json_object
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.twitter.normalise import tweet_parents, twitter_webhook_to_contacts
from services.ingest.webform.normalise import parse_webform_body, webform_submission_to_contact
from services.ingest.whatsapp.normalise import whatsapp_webhook_to_contacts
from tests.paths import FIXTURES

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)
PSEUDO = Pseudonymizer(b"property-test-key-16")
# At least 10,000 generated cases per normaliser in `make test` (issue: hostile input); FUZZ_EXAMPLES
# lowers it for a quick local run.
PROPERTY = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "10000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)


def fixtures(folder: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((FIXTURES / folder).glob("*.json"))]


def mutate(document: object, draw) -> object:
    """Replace one random node of a real payload with an arbitrary JSON value."""
    if isinstance(document, dict) and document:
        key = draw(st.sampled_from(sorted(document)))
        if draw(st.booleans()):
            return {**document, key: draw(json_values)}
        return {**document, key: mutate(document[key], draw)}
    if isinstance(document, list) and document:
        index = draw(st.integers(0, len(document) - 1))
        copy = list(document)
        copy[index] = draw(json_values) if draw(st.booleans()) else mutate(document[index], draw)
        return copy
    return draw(json_values)


def payloads(folder: str):
    real = fixtures(folder)

    @st.composite
    def build(draw):
        choice = draw(st.integers(0, 2))
        if choice == 0:
            return draw(json_values)
        return mutate(draw(st.sampled_from(real)), draw)

    return build()


def assert_total(normalise, payload) -> None:
    try:
        result = normalise(payload)
    except PayloadError as error:
        assert str(error)
        return
    assert isinstance(result, Normalised)
    for message in result.messages:
        assert message.id and message.conversation_id and message.channel
        message.SerializeToString()


def as_body(payload) -> dict:
    """The JSON a sender could post, parsed the way the ingestors parse it."""
    return parse_json_object(json.dumps(payload).encode())


@PROPERTY
@given(payloads("whatsapp"))
def test_whatsapp_normaliser_is_total(payload):
    assert_total(lambda p: whatsapp_webhook_to_contacts(as_body(p), NOW, PSEUDO), payload)


@PROPERTY
@given(payloads("facebook"))
def test_facebook_normaliser_is_total(payload):
    assert_total(lambda p: facebook_webhook_to_contacts(as_body(p), NOW, PSEUDO), payload)


@PROPERTY
@given(payloads("instagram"))
def test_instagram_normaliser_is_total(payload):
    assert_total(lambda p: instagram_webhook_to_contacts(as_body(p), NOW, PSEUDO), payload)


@PROPERTY
@given(payloads("twitter"), st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3))
def test_twitter_normaliser_is_total(payload, roots):
    def normalise(p):
        body = as_body(p)
        tweet_parents(body)
        return twitter_webhook_to_contacts(body, NOW, PSEUDO, roots)

    assert_total(normalise, payload)


@PROPERTY
@given(json_values, st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]))
def test_webform_normaliser_is_total(payload, content_type):
    body = json.dumps(payload).encode() if content_type != "application/x-www-form-urlencoded" else (
        "&".join(f"{k}={v}" for k, v in payload.items()).encode() if isinstance(payload, dict) else b"%%%"
    )
    assert_total(
        lambda _: webform_submission_to_contact(parse_webform_body(body, content_type), NOW, PSEUDO), payload
    )


@PROPERTY
@given(st.binary(max_size=2000) | st.builds(
    lambda headers, body: (headers + "\r\n\r\n" + body).encode("utf-8", "surrogatepass"),
    st.text(max_size=300), st.text(max_size=300),
))
def test_email_normaliser_is_total(raw):
    assert_total(lambda r: email_to_contact(parse_email(r), NOW, PSEUDO, {}), raw)


@PROPERTY
@given(st.builds(
    ingest_pb2.SubmitRequest,
    request_id=st.text(max_size=30), kind=st.sampled_from([0, 1, 2]), agent_id=st.text(max_size=10),
    case_reference=st.text(max_size=10), citizen_phone=st.text(max_size=15), citizen_email=st.text(max_size=15),
    summary=st.text(max_size=50),
))
def test_kcc_normaliser_is_total(request):
    assert_total(lambda r: kcc_submission_to_contact(r, NOW, PSEUDO), request)


def test_json_that_is_too_deep_is_a_payload_error():
    body = b"[" * 100_000 + b"]" * 100_000
    try:
        parse_json_object(body)
    except PayloadError as error:
        assert "JSON" in str(error)
    else:
        raise AssertionError("deep JSON was accepted")


def test_channel_codes_in_messages_are_known():
    assert codec.channel_label(codec.Channel.CHANNEL_KCC) == "kcc"
