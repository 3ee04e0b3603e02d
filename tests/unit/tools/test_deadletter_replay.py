import pytest

from services.contract import codec, topics
from tools.deadletters.replay import Replay, WebhookReplay, describe, ingestor_urls, replay_of


def letter(**fields) -> codec.DeadLetter:
    values = dict(original=b"record", original_key=b"conv", source_topic=topics.INBOUND, stage="router.decide",
                  error="ValueError in the classifier")
    return codec.DeadLetter(**{**values, **fields})


def test_a_stream_dead_letter_goes_back_to_its_source_topic():
    assert replay_of(letter(), None) == Replay(topics.INBOUND, b"conv", b"record")
    assert replay_of(letter(), frozenset({"router.decide"})) == Replay(topics.INBOUND, b"conv", b"record")


def test_what_is_not_replayed_says_why():
    assert replay_of(letter(), frozenset({"router.decode"})) == "stage router.decide not selected"
    assert "--ingestor whatsapp=URL" in replay_of(webhook_letter(), None)
    assert "without its path" in replay_of(webhook_letter(original_path=""), None, {"whatsapp": "http://w"})
    assert replay_of(letter(source_topic=""), None) == "no source topic"
    assert replay_of(letter(original=b""), None) == "no original record"


def test_the_description_never_shows_the_content():
    line = describe(letter(original=b"Mijn BSN is 123456782"))
    assert "123456782" not in line and "router.decide" in line and "ValueError" in line


def webhook_letter(**fields) -> codec.DeadLetter:
    values = dict(original=b'{"entry": []}', source_topic="webhook:whatsapp", stage="whatsapp.normalise",
                  original_path="/webhooks/whatsapp",
                  original_headers={"X-Hub-Signature-256": "sha256=ab12", "Content-Type": "application/json"})
    return codec.DeadLetter(**{**values, **fields})


def test_a_webhook_body_is_posted_again_to_its_ingestor_with_its_signature():
    plan = replay_of(webhook_letter(), frozenset({"whatsapp.normalise"}), {"whatsapp": "http://whatsapp:8080/"})
    assert plan == WebhookReplay("whatsapp", "http://whatsapp:8080/webhooks/whatsapp", b'{"entry": []}',
                                 {"X-Hub-Signature-256": "sha256=ab12", "Content-Type": "application/json"})
    # Another channel's ingestor is no place for it.
    assert isinstance(replay_of(webhook_letter(), None, {"twitter": "http://twitter:8080"}), str)


def test_ingestor_options_are_checked():
    assert ingestor_urls(["whatsapp=http://w:8080", "webform=https://f"]) == {
        "whatsapp": "http://w:8080", "webform": "https://f"}
    for wrong in ("whatsapp", "=http://w", "whatsapp=w:8080"):
        with pytest.raises(ValueError):
            ingestor_urls([wrong])
