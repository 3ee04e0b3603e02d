"""The platforms' receipts of our replies (WhatsApp statuses, Messenger deliveries and reads, Instagram's
seen) applied to the send ledger, in order and once: a state only moves forward (a `read` may skip
`delivered`; a late `delivered` after `read` changes nothing), FAILED is final, and a receipt seen twice
publishes nothing the second time. Each change becomes a ReplyStatus on contact.reply-status, published
before the ledger moves and before the webhook is acknowledged (a Kafka failure answers 503 and the
platform's retry finds the ledger where it was: a status is never lost, at worst published twice, and
consumers keep the first of a reply id and state). Runs in the ingestors, where the receipts arrive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import Counter
from redis.asyncio import Redis

from services.contract import codec, topics
from services.contract.replies import status_of
from services.ingest.meta.graph import graph_error
from services.ingest.payload import Receipt
from services.replies.ledger import PLATFORM_PREFIX, PREFIX, SENT_PREFIX
from services.replies.senders import Failed
from services.runtime.redis_store import script

Failure = codec.ReplyFailure
Publish = Callable[[str, list[tuple[bytes, bytes]]], Awaitable[None]]
RECEIPTS = Counter("contact_reply_receipts_total", "Platform receipts of replies, by channel and what they did.",
                   ["channel", "outcome"])

# ARGV: new state, failure label, platform id, "peek" or "apply". Moves the reply forward only (peek: only
# says whether it would); returns what the status needs, or nothing when the state would not change
# (unknown reply, older news, already final).
_ADVANCE = """
local rank = {queued = 1, sending = 1, sent = 2, delivered = 3, read = 4}
local k = KEYS[1]
local state = redis.call('HGET', k, 'state')
if not state or state == 'failed' then return false end
local new = ARGV[1]
if new ~= 'failed' and rank[new] <= rank[state] then return false end
if ARGV[4] == 'peek' then
  return redis.call('HMGET', k, 'conversation', 'department', 'channel', 'created', 'author', 'platform')
end
redis.call('HSET', k, 'state', new, 'inflight', 0)
if ARGV[2] ~= '' then redis.call('HSET', k, 'failure', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSETNX', k, 'platform', ARGV[3]) end
return redis.call('HMGET', k, 'conversation', 'department', 'channel', 'created', 'author', 'platform')
"""


_RANK = {"sent": 2, "delivered": 3, "read": 4, "failed": 5}


def failure_of(receipt: Receipt) -> int:
    """A platform's failure after it had accepted (WhatsApp 131026 and friends) as one of our reasons."""
    if receipt.state != "failed":
        return Failure.REPLY_FAILURE_UNSPECIFIED
    meaning = graph_error(400, {"error": {"code": receipt.error_code}})
    return meaning.failure if isinstance(meaning, Failed) else Failure.REPLY_FAILURE_UNDELIVERABLE


class ReceiptBook:
    def __init__(self, redis: Redis, channel: str) -> None:
        self.redis = redis
        self.channel = channel

    async def reply_ids(self, receipt: Receipt) -> list[str]:
        """The replies a receipt is about: by our id, by the platform's ids, or before its watermark."""
        if receipt.reply_id:
            return [receipt.reply_id]
        found = [v.decode() for v in await self.redis.mget([PLATFORM_PREFIX + p for p in receipt.platform_ids])
                 if v is not None] if receipt.platform_ids else []
        if not found and receipt.watermark and receipt.conversation_id:
            found = [v.decode() for v in await self.redis.zrangebyscore(
                SENT_PREFIX + receipt.conversation_id, "-inf", int(receipt.watermark * 1000))]
        return found

    async def apply(self, receipts: Sequence[Receipt], publish: Publish) -> None:
        """Publish the statuses these receipts bring, then move the ledger (raises what `publish` raises)."""
        moves = await self.moves(receipts, "peek")
        if moves:
            await publish(topics.REPLY_STATUS, [record for _, _, record in moves])
            for receipt, reply_id, _ in moves:
                await self.advance(receipt, reply_id, "apply")
        for receipt in receipts:
            RECEIPTS.labels(self.channel, "applied" if any(m[0] is receipt for m in moves) else "unchanged").inc()

    async def advance(self, receipt: Receipt, reply_id: str, mode: str) -> list | None:
        failure = failure_of(receipt)
        return await script(self.redis, _ADVANCE)(
            keys=[PREFIX + reply_id],
            args=[receipt.state, codec.reply_failure_label(failure) if failure else "",
                  receipt.platform_ids[0] if len(receipt.platform_ids) == 1 else "", mode])

    async def moves(self, receipts: Sequence[Receipt], mode: str) -> list[tuple[Receipt, str, tuple[bytes, bytes]]]:
        """(receipt, reply id, its ReplyStatus record) for every reply whose state the receipts move."""
        records = []
        planned: dict[str, int] = {}  # reply id → the furthest state this batch already moves it to
        for receipt in receipts:
            failure = failure_of(receipt)
            rank = _RANK[receipt.state]
            for reply_id in await self.reply_ids(receipt):
                if planned.get(reply_id, 0) >= rank:
                    continue  # the same news twice in one body, or older news after newer
                kept = await self.advance(receipt, reply_id, mode)
                if not kept:
                    continue
                planned[reply_id] = rank
                conversation, department, channel, created, author, platform = (
                    (v or b"").decode() for v in kept)
                reply = codec.Reply(reply_id=reply_id, conversation_id=conversation, department=department,
                                    channel=int(channel or 0), author_role=int(author or 0))
                reply.created_at.FromMilliseconds(int(created or 0))
                state = codec.ReplyState.Value(f"REPLY_STATE_{receipt.state.upper()}")
                status = status_of(reply, state, codec.timestamp_from_epoch(receipt.at), platform, failure)
                records.append((receipt, reply_id, (conversation.encode(), status.SerializeToString())))
        return records

