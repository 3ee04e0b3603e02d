"""Delivery, the end every transport (HTTP, SMTP, gRPC) shares: dedup claim → Kafka (acks=all) → confirm,
and the ingest counters every channel reports with the same names and labels."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from prometheus_client import Counter, Histogram
from redis.exceptions import RedisError

from services.contract import codec, topics
from services.ingest.addresses import ReplyAddressBook
from services.replies.receipts import ReceiptBook
from services.ingest.dedup import Claim, DeliveryLedger, LedgerUnavailable
from services.ingest.payload import Normalised, split_too_old
from services.ingest.threads import ThreadIndex
from services.runtime.kafka import KafkaPublisher, PublishFailed

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "contact_ingest_requests_total",
    "Webhook requests by channel and outcome (accepted, duplicate, malformed, bad_signature, ...).",
    ["channel", "outcome"],
)
PUBLISHED = Counter("contact_ingest_messages_total", "Messages published to contact.inbound.", ["channel"])
DUPLICATES = Counter(
    "contact_ingest_duplicates_total", "Redelivered messages acknowledged without publishing again.", ["channel"]
)
IGNORED = Counter(
    "contact_ingest_events_ignored_total",
    "Events acknowledged but not published (delivery statuses, echoes, unsupported types).",
    ["channel", "kind"],
)
DEDUP_UNAVAILABLE = Counter(
    "contact_ingest_dedup_unavailable_total",
    "Deliveries published without dedup because Redis was unreachable.",
    ["channel"],
)
ADDRESSES_UNAVAILABLE = Counter(
    "contact_ingest_reply_addresses_unavailable_total",
    "Messages published without their reply address kept, because Redis was unreachable (no answer possible).",
    ["channel"],
)
PUBLISH_SECONDS = Histogram(
    "contact_ingest_publish_seconds",
    "Time from a webhook's arrival until Kafka acknowledged its messages.",
    ["channel"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class Deliverer:
    """Publishes normalised messages once: dedup claim → Kafka (acks=all) → confirm."""

    def __init__(
        self,
        channel: str,
        publisher: KafkaPublisher,
        ledger: DeliveryLedger | None,
        timeout: float,
        threads: ThreadIndex | None = None,
        max_age_seconds: float | None = None,
        clock: Callable[[], float] = time.time,
        addresses: ReplyAddressBook | None = None,
        address_ttl_seconds: int = 0,
        receipts: ReceiptBook | None = None,
    ):
        self.channel = channel
        self.publisher = publisher
        self.ledger = ledger
        self.timeout = timeout
        self.threads = threads
        # The dedup window: older messages could be replays dedup has forgotten (None: no limit).
        self.max_age_seconds = max_age_seconds
        self.clock = clock
        # Where answers go, kept at the edge (channels that can answer); never on Kafka.
        self.addresses = addresses
        self.address_ttl_seconds = address_ttl_seconds
        # The platform's receipts of our replies (statuses), for the channels that can answer.
        self.receipts = receipts

    async def deliver_normalised(self, normalised: Normalised) -> tuple[int, int]:
        """Deliver, count, and remember thread links; every transport (HTTP, SMTP, gRPC) ends here."""
        messages = normalised.messages
        if self.max_age_seconds is not None:
            messages, too_old = split_too_old(messages, self.clock(), self.max_age_seconds)
            if too_old:
                await self.keep_too_old(too_old)
                for _ in too_old:
                    normalised.ignore("too_old")
        # Before publishing: an answer can only follow the message, so its address is there first.
        await self.keep_reply_addresses(messages, normalised.reply_addresses)
        published, duplicates = await self.deliver(messages)
        if self.receipts is not None and normalised.receipts:
            try:
                await self.receipts.apply(normalised.receipts, self.publisher.publish)
            except RedisError:
                # A receipt only says how far a reply got; the webhook is acknowledged all the same.
                log.warning("Redis unreachable: %d receipt(s) of replies not applied", len(normalised.receipts))
        for kind, count in normalised.ignored.items():
            IGNORED.labels(self.channel, kind).inc(count)
        if normalised.platform_errors:
            log.warning("%s reported error code(s) %s instead of a message; acknowledged, nothing published",
                        self.channel, sorted(set(normalised.platform_errors))[:10])
        PUBLISHED.labels(self.channel).inc(published)
        DUPLICATES.labels(self.channel).inc(duplicates)
        if self.threads is not None:
            await self.threads.remember(self.channel, normalised.thread_links)
        return published, duplicates

    async def keep_reply_addresses(self, messages: Sequence[codec.ContactMessage], addresses: dict) -> None:
        """Keep the reply addresses of these messages; without Redis the message still goes on, unanswerable."""
        if self.addresses is None:
            return
        kept = {(m.id, m.conversation_id): addresses[m.id] for m in messages if m.id in addresses}
        try:
            await self.addresses.remember(kept, self.address_ttl_seconds)
        except RedisError:
            ADDRESSES_UNAVAILABLE.labels(self.channel).inc(len(kept))
            log.warning("Redis unreachable: %d reply address(es) not kept", len(kept))

    async def keep_too_old(self, messages: Sequence[codec.ContactMessage]) -> None:
        """Acknowledged, never published: each on contact.deadletter with the reason, for a person to judge."""
        now = self.clock()
        days = (self.max_age_seconds or 0) / 86400
        letters = [
            (self.channel.encode(), codec.DeadLetter(
                original=m.SerializeToString(), original_key=m.conversation_id.encode(),
                source_topic=f"ingest:{self.channel}", stage=f"{self.channel}.too_old",
                error=f"sent {(now - codec.epoch_seconds(m.sent_at)) / 86400:.1f} days ago, beyond the {days:g}-day "
                      "dedup window: a replay would not be recognised, so it is kept here instead of published",
                failed_at=codec.timestamp_from_epoch(now),
            ).SerializeToString())
            for m in messages
        ]
        await self.publisher.publish(topics.DEADLETTER, letters)
        log.warning("%s: %d message(s) older than the dedup window kept on %s", self.channel, len(letters),
                    topics.DEADLETTER)

    async def deliver(self, messages: Sequence[codec.ContactMessage]) -> tuple[int, int]:
        """Return (published, duplicates). Raises PublishFailed when the sender must retry."""
        if not messages:
            return 0, 0
        keys = [f"{self.channel}:{m.channel_message_id}" for m in messages]
        claims = await self._claim(keys)
        in_flight = [k for k, c in zip(keys, claims) if c is Claim.IN_FLIGHT]
        if in_flight and not await self.ledger.wait_until_done(in_flight, self.timeout):  # type: ignore[union-attr]
            await self._release([k for k, c in zip(keys, claims) if c is Claim.NEW])
            raise PublishFailed("another delivery of this message is still being published")
        fresh = [(k, m) for k, m, c in zip(keys, messages, claims) if c is Claim.NEW]
        try:
            await self.publisher.publish(
                topics.INBOUND,
                [(m.conversation_id.encode(), m.SerializeToString()) for _, m in fresh],
            )
        except PublishFailed:
            await self._release([k for k, _ in fresh])
            raise
        if self.ledger is not None and fresh:
            try:
                await self.ledger.confirm([k for k, _ in fresh])
            except LedgerUnavailable:
                DEDUP_UNAVAILABLE.labels(self.channel).inc()
        return len(fresh), len(messages) - len(fresh)

    async def _claim(self, keys: list[str]) -> list[Claim]:
        if self.ledger is None:
            return [Claim.NEW] * len(keys)
        try:
            return await self.ledger.claim(keys)
        except LedgerUnavailable:
            # Degrade, never lose: publish without dedup. A duplicate on Kafka keeps its message id,
            # so consumers can still recognise it.
            DEDUP_UNAVAILABLE.labels(self.channel).inc(len(keys))
            log.warning("Redis unreachable: publishing %d message(s) without dedup", len(keys))
            return [Claim.NEW] * len(keys)

    async def _release(self, keys: list[str]) -> None:
        if self.ledger is not None and keys:
            await self.ledger.release(keys)
