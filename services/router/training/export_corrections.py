"""Staff corrections as new labelled training data: `python -m services.router.training.export_corrections`.

Reads contact.corrections from the beginning and writes corpus-format JSON lines (masked text, the
category and department a person chose) to stdout; the latest correction of a message wins. The model
learns categories, so a correction without a category (Reroute without one, onto a department the old
category does not belong to) is left out and counted on stderr. Append the lines to the corpus with a
split of your choice, then `make model`.
"""

from __future__ import annotations

import json
import sys

from kafka import KafkaConsumer, TopicPartition

from services.contract import codec, topics
from services.runtime.kafka import kafka_python_security
from services.runtime.settings import CommonSettings


def latest_corrections(corrections: list[codec.Correction]) -> list[codec.Correction]:
    """The newest correction of each message (a message moved twice is where it went last)."""
    latest: dict[str, codec.Correction] = {}
    for correction in corrections:
        latest[correction.message_id] = correction
    return list(latest.values())


def correction_text(correction: codec.Correction) -> str:
    return f"{correction.subject}\n{correction.text}".strip() if correction.subject else correction.text


def corrections_to_corpus_lines(corrections: list[codec.Correction]) -> list[dict]:
    return [
        {
            "id": f"correction-{c.message_id}",
            "text": correction_text(c),
            "channel": codec.channel_label(c.channel),
            "category": c.category,
            "label": c.department,
            "situation": f"correction-{c.message_id}",
            "split": "train",
            "source": f"correction by {c.staff_id}",
        }
        for c in latest_corrections(corrections)
        if c.category
    ]


def read_corrections(bootstrap: str, **security: object) -> list[codec.Correction]:
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=2000, **security
    )
    try:
        partitions = [TopicPartition(topics.CORRECTIONS, p) for p in consumer.partitions_for_topic(topics.CORRECTIONS) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return [codec.Correction.FromString(record.value) for record in consumer]
    finally:
        consumer.close()


def main() -> None:
    settings = CommonSettings()
    corrections = read_corrections(settings.kafka_bootstrap_servers, **kafka_python_security(settings))
    lines = corrections_to_corpus_lines(corrections)
    for line in lines:
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    without = len({c.message_id for c in corrections}) - len(lines)
    print(f"{len(lines)} corrections exported, {without} without a category left out", file=sys.stderr)


if __name__ == "__main__":
    main()
