"""Which dead letters can go back, and where. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.contract import codec

WEBHOOK_PREFIX = "webhook:"


@dataclass(frozen=True)
class Replay:
    """A stream record, published again to its source topic."""

    topic: str
    key: bytes
    value: bytes


@dataclass(frozen=True)
class WebhookReplay:
    """A webhook body, posted again to the (fixed) ingestor with the signature it came with."""

    channel: str
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def replay_of(
    letter: codec.DeadLetter, stages: frozenset[str] | None, ingestors: Mapping[str, str] | None = None
) -> Replay | WebhookReplay | str:
    """The record to publish or the body to post again, or why this letter is not replayed.

    `ingestors`: channel → base URL of its ingestor, for dead letters of webhook bodies.
    """
    if stages is not None and letter.stage not in stages:
        return f"stage {letter.stage} not selected"
    if not letter.source_topic:
        return "no source topic"
    if not letter.original:
        return "no original record"
    if letter.source_topic.startswith(WEBHOOK_PREFIX):
        channel = letter.source_topic.removeprefix(WEBHOOK_PREFIX)
        if not letter.original_path:
            return f"a {channel} webhook body kept without its path and signature: cannot be posted again"
        base = (ingestors or {}).get(channel)
        if base is None:
            return f"a {channel} webhook body: give --ingestor {channel}=URL of the fixed ingestor"
        return WebhookReplay(channel, base.rstrip("/") + letter.original_path, letter.original,
                             dict(letter.original_headers))
    return Replay(letter.source_topic, letter.original_key, letter.original)


def ingestor_urls(options: list[str] | None) -> dict[str, str]:
    """`--ingestor whatsapp=http://host:port` options → {channel: URL}."""
    urls = {}
    for option in options or []:
        channel, separator, url = option.partition("=")
        if not separator or not channel or not url.startswith(("http://", "https://")):
            raise ValueError(f"--ingestor {option!r}: expected CHANNEL=http(s)://host:port")
        urls[channel] = url
    return urls


def describe(letter: codec.DeadLetter) -> str:
    """One line for an operator: where and why, never the content."""
    failed = codec.epoch_seconds(letter.failed_at)
    return (f"{letter.stage or '?':<22} {letter.source_topic or '?'}[{letter.source_partition}]@{letter.source_offset}"
            f"  {failed:.0f}  {letter.error}")
