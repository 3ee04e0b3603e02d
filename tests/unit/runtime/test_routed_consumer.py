"""follow_routed: one bad record is skipped and reported, never a crash; offsets commit after each record."""

from dataclasses import dataclass

from services.contract import codec, topics
from services.runtime.routed_consumer import (
    STAGE,
    dead_letter_bad_records,
    follow_routed,
)


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes


class FakeConsumer(list):
    commits = 0

    def commit(self):
        self.commits += 1


def routed(text: str) -> bytes:
    return codec.RoutedMessage(message=codec.ContactMessage(id=text, text=text)).SerializeToString()


def test_a_bad_record_is_skipped_and_reported_and_the_rest_is_handled():
    records = FakeConsumer([Record("contact.routed.afval", 0, 0, b"k", routed("een")),
                            Record("contact.routed.afval", 0, 1, b"k", b"\xff\xfe not protobuf"),
                            Record("contact.routed.afval", 0, 2, b"k", b""),
                            Record("contact.routed.afval", 0, 3, b"k", routed("twee"))])
    handled, sent = [], []
    counts = follow_routed(records, handled.append, dead_letter_bad_records(lambda t, k, v: sent.append((t, k, v))))
    assert counts == (2, 2)
    assert [m.message.id for m in handled] == ["een", "twee"]
    assert records.commits == 4  # after every record, handled or skipped: a restart does not read them again
    assert [topic for topic, _, _ in sent] == [topics.DEADLETTER] * 2
    letter = codec.DeadLetter.FromString(sent[0][2])
    assert (letter.stage, letter.source_offset, letter.original) == (STAGE, 1, b"\xff\xfe not protobuf")


def test_max_records_stops_after_that_many():
    records = FakeConsumer([Record("t", 0, i, b"", routed(str(i))) for i in range(5)])
    assert follow_routed(records, lambda m: None, max_records=3) == (3, 0)
