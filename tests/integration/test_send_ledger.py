"""The send ledger and the receipts on a real Redis: one owner per reply, never backwards, once each."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from services.contract import codec
from services.ingest.payload import Receipt
from services.replies.ledger import SendLedger
from services.replies.receipts import ReceiptBook

def collector():  # noqa: ANN201
    """What a ReceiptBook publishes, kept in a list instead of Kafka."""
    published: list[bytes] = []

    async def publish(topic, records):  # noqa: ANN001, ANN202
        published.extend(value for _, value in records)

    return published, publish


ABOUT = {"conversation": "wa-1", "department": "afval", "channel": "1", "created": "1000", "author": "2"}


async def test_one_owner_a_lapsed_request_is_unsure_and_a_sent_reply_is_done(redis_url):
    redis = Redis.from_url(redis_url)
    ledger = SendLedger(redis, 3600)
    try:
        begun = await asyncio.gather(*(ledger.begin("r-1", 1_000, 5_000, ABOUT) for _ in range(5)))
        assert sorted(b.verdict for b in begun) == ["busy"] * 4 + ["new"], "five at once: one owner"
        await ledger.attempt("r-1", 2_000)
        assert (await ledger.begin("r-1", 3_000, 5_000)).verdict == "unsure", "its request was in flight"
        await ledger.not_sent("r-1", 0)
        assert (await ledger.begin("r-1", 9_000, 5_000)).verdict == "go"
        await ledger.sent("r-1", "wamid.A", "wa-1", 9_500)
        done = await ledger.begin("r-1", 10_000, 5_000)
        assert (done.verdict, done.state, done.platform_id) == ("done", "sent", "wamid.A")
    finally:
        await redis.aclose()


async def test_receipts_move_forward_only_and_once_and_a_late_sent_does_not_move_back(redis_url):
    redis = Redis.from_url(redis_url)
    ledger, book = SendLedger(redis, 3600), ReceiptBook(redis, "whatsapp")
    published, publish = collector()
    try:
        await ledger.begin("r-2", 1_000, 5_000, ABOUT)
        await ledger.attempt("r-2", 20_000)
        # The platform's receipt overtakes our own record of its acceptance.
        await book.apply([Receipt("delivered", 5.0, ("wamid.B",), reply_id="r-2")], publish)
        await ledger.sent("r-2", "wamid.B", "wa-1", 5_500)
        assert (await ledger.state("r-2")) == ("delivered", "wamid.B")
        await book.apply([Receipt("read", 6.0, ("wamid.B",)), Receipt("read", 6.0, ("wamid.B",)),
                          Receipt("delivered", 7.0, ("wamid.B",))], publish)
        states = [codec.decode_reply_status(v).state for v in published]
        assert states == [codec.ReplyState.REPLY_STATE_DELIVERED, codec.ReplyState.REPLY_STATE_READ]
        status = codec.decode_reply_status(published[-1])
        assert (status.conversation_id, status.department, status.reply_created_at.ToMilliseconds()) == ("wa-1", "afval", 1000)
        await book.apply([Receipt("failed", 8.0, ("wamid.B",), error_code=131026)], publish)
        failed = codec.decode_reply_status(published[-1])
        assert failed.failure == codec.ReplyFailure.REPLY_FAILURE_UNDELIVERABLE
        await book.apply([Receipt("read", 9.0, ("wamid.B",))], publish)
        assert len(published) == 3, "nothing after failed"
    finally:
        await redis.aclose()


async def test_a_watermark_covers_the_conversations_replies_sent_before_it(redis_url):
    redis = Redis.from_url(redis_url)
    ledger, book = SendLedger(redis, 3600), ReceiptBook(redis, "facebook")
    published, publish = collector()
    try:
        for n, at in (("r-3", 1_000), ("r-4", 2_000), ("r-5", 9_000)):
            await ledger.begin(n, at, 5_000, {**ABOUT, "conversation": "fb-1"})
            await ledger.sent(n, f"m_{n}", "fb-1", at)
        await book.apply([Receipt("delivered", 5.0, conversation_id="fb-1", watermark=5.0)], publish)
        assert sorted(codec.decode_reply_status(v).reply_id for v in published) == ["r-3", "r-4"]
    finally:
        await redis.aclose()
