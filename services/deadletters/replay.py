"""Which dead letters can go back, and where. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from services.common import codec

WEBHOOK_PREFIX = "webhook:"


@dataclass(frozen=True)
class Replay:
    topic: str
    key: bytes
    value: bytes


def replay_of(letter: codec.DeadLetter, stages: frozenset[str] | None) -> Replay | str:
    """The record to publish again, or why this letter is not replayed."""
    if stages is not None and letter.stage not in stages:
        return f"stage {letter.stage} not selected"
    if not letter.source_topic:
        return "no source topic"
    if letter.source_topic.startswith(WEBHOOK_PREFIX):
        channel = letter.source_topic.removeprefix(WEBHOOK_PREFIX)
        return f"a {channel} webhook body: send it to the fixed ingestor again (not automated yet)"
    if not letter.original:
        return "no original record"
    return Replay(letter.source_topic, letter.original_key, letter.original)


def describe(letter: codec.DeadLetter) -> str:
    """One line for an operator: where and why, never the content."""
    failed = codec.epoch_seconds(letter.failed_at)
    return (f"{letter.stage or '?':<22} {letter.source_topic or '?'}[{letter.source_partition}]@{letter.source_offset}"
            f"  {failed:.0f}  {letter.error}")
