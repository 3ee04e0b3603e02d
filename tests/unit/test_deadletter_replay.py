from services.common import codec, topics
from services.deadletters.replay import Replay, describe, replay_of


def letter(**fields) -> codec.DeadLetter:
    values = dict(original=b"record", original_key=b"conv", source_topic=topics.INBOUND, stage="router.decide",
                  error="ValueError in the classifier")
    return codec.DeadLetter(**{**values, **fields})


def test_a_stream_dead_letter_goes_back_to_its_source_topic():
    assert replay_of(letter(), None) == Replay(topics.INBOUND, b"conv", b"record")
    assert replay_of(letter(), frozenset({"router.decide"})) == Replay(topics.INBOUND, b"conv", b"record")


def test_what_is_not_replayed_says_why():
    assert replay_of(letter(), frozenset({"router.decode"})) == "stage router.decide not selected"
    assert "webhook" in replay_of(letter(source_topic="webhook:whatsapp"), None)
    assert replay_of(letter(source_topic=""), None) == "no source topic"
    assert replay_of(letter(original=b""), None) == "no original record"


def test_the_description_never_shows_the_content():
    line = describe(letter(original=b"Mijn BSN is 123456782"))
    assert "123456782" not in line and "router.decide" in line and "ValueError" in line
