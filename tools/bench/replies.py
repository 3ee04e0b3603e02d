"""`make bench`, the outbound half: replies through one reply sender to the Graph API double.

  1. throughput: N replies to N conversations preloaded on contact.replies; one sender starts; the rate is
     N divided by the time from the first to the last request the double received;
  2. latency at a fixed offered load (BENCH_REPLY_RATE, 50 replies/s, for BENCH_REPLY_SECONDS): from the
     reply published to its request at the double, p50 and p99 (issue 24's goal: p99 <= 200 ms);
  3. the unsure window of those replies (ADR 0013): from the double receiving a request (the platform has
     the message) to the sender's SENT status (written after the ledger's `sent`). A crash inside it leaves
     the reply `unsure` in the ledger; the figure is an upper bound of that window on an idle platform.
The reply addresses are kept encrypted in Redis as the ingestors keep them; the double answers at once.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
import uuid
from pathlib import Path

from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from redis.asyncio import Redis

from services.contract import codec, topics
from services.deployables import REPLIES
from services.ingest.addresses import AddressCipher, ReplyAddressBook
from services.ingest.payload import ReplyAddress
from tools.bench.figures import percentile
from tools.devstack.servers import free_port
from tools.devstack.stack import ServiceProcess
from tools.doubles.faults import RECORDS
from tools.doubles.meta import create_meta_double

COUNT = int(os.environ.get("BENCH_REPLIES", "2000"))
RATE = int(os.environ.get("BENCH_REPLY_RATE", "50"))
SECONDS = float(os.environ.get("BENCH_REPLY_SECONDS", "10"))


def reply_to(conversation: str, tag: str, n: int) -> codec.Reply:
    reply = codec.Reply(reply_id=f"{tag}-{n}", conversation_id=conversation, channel=codec.Channel.CHANNEL_WHATSAPP,
                        text=f"Dank voor uw bericht ({n}); we pakken het vandaag op.", department="afval",
                        author_role=codec.AuthorRole.AUTHOR_ROLE_DEPARTMENT, staff_id="bench")
    reply.created_at.GetCurrentTime()
    return reply


async def sent_times(bootstrap: str, reply_ids: set[str], timeout: float = 15.0) -> dict[str, float]:
    """reply id -> the time of its SENT status on contact.reply-status, for the ids in `reply_ids`."""
    consumer = AIOKafkaConsumer(topics.REPLY_STATUS, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    found: dict[str, float] = {}
    try:
        deadline = time.monotonic() + timeout
        while len(found) < len(reply_ids) and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    status = codec.decode_reply_status(record.value)
                    if status.state == codec.ReplyState.REPLY_STATE_SENT and status.reply_id in reply_ids:
                        found[status.reply_id] = codec.epoch_seconds(status.at)
    finally:
        await consumer.stop()
    return found


async def measure_replies(bootstrap: str, redis_url: str, workdir: Path) -> tuple[float, list[float], list[float]]:
    """(replies per second through one sender, latencies in seconds at the offered load, and those
    replies' unsure windows in seconds)."""
    key, token = secrets.token_hex(32), secrets.token_hex(16)
    double = create_meta_double({token}, "bench-app-secret", statuses=())
    runner = web.AppRunner(double, access_log=None)
    await runner.setup()
    double_port, port = free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", double_port).start()
    redis = Redis.from_url(redis_url)
    book = ReplyAddressBook(redis, AddressCipher([key]))
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
           REPLIES.port_variable: str(port), "REPLY_ADDRESS_KEY": key, "WHATSAPP_ACCESS_TOKEN": token,
           "META_GRAPH_API_URL": f"http://127.0.0.1:{double_port}", "REPLY_CHANNELS": "whatsapp",
           "PYTHONUNBUFFERED": "1"}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await producer.start()
    records = double[RECORDS]
    tag = uuid.uuid4().hex[:8]

    async def conversations(count: int, prefix: str) -> list[str]:
        ids = [f"wa-bench-{tag}-{prefix}-{n}" for n in range(count)]
        await book.remember({(f"m-{c}", c): ReplyAddress("whatsapp", recipient=f"3160{n:07d}", via="106540352242922",
                                                         ref=f"wamid.{c}", at=time.time())
                             for n, c in enumerate(ids)}, 3600)
        return ids

    sender = None
    try:
        preloaded = await conversations(COUNT, "t")
        for n, conversation in enumerate(preloaded):
            await producer.send(topics.REPLIES, reply_to(conversation, f"{tag}-t", n).SerializeToString(),
                                key=conversation.encode())
        await producer.flush()
        sender = ServiceProcess("services.replies", env, workdir / "replies.log")
        sender.wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=60)
        deadline = time.monotonic() + 120
        while len(records) < COUNT and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        arrived = sorted(r.at for r in records)
        rate = (len(arrived) - 1) / (arrived[-1] - arrived[0]) if len(arrived) > 1 else 0.0
        records.clear()
        offered = await conversations(int(RATE * SECONDS), "l")
        published: dict[str, float] = {}
        started = time.monotonic()
        for n, conversation in enumerate(offered):
            await asyncio.sleep(max(0.0, started + n / RATE - time.monotonic()))
            published[f"wamid.{conversation}"] = time.time()
            await producer.send_and_wait(topics.REPLIES, reply_to(conversation, f"{tag}-l", n).SerializeToString(),
                                         key=conversation.encode())
        deadline = time.monotonic() + 10
        while len(records) < len(offered) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        latencies = [r.at - published[r.body["context"]["message_id"]] for r in records
                     if isinstance(r.body, dict) and r.body.get("context", {}).get("message_id") in published]
        requested = {r.body["biz_opaque_callback_data"]: r.at for r in records
                     if isinstance(r.body, dict) and "biz_opaque_callback_data" in r.body}
        sent = await sent_times(bootstrap, set(requested))
        unsure = [sent[reply_id] - at for reply_id, at in requested.items() if reply_id in sent]
        return rate, latencies, unsure
    finally:
        if sender is not None:
            sender.stop()
        await producer.stop()
        await redis.aclose()
        await runner.cleanup()


def replies_line(rate: float, latencies: list[float], unsure: list[float]) -> str:
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    u50, u99, most = (percentile(unsure, 50) * 1000, percentile(unsure, 99) * 1000,
                      max(unsure, default=0.0) * 1000)
    return (f"bench: replies: {rate:.0f} replies/s through one sender; published → request at the double at "
            f"{RATE}/s offered for {SECONDS:.0f}s: p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(latencies)} replies; "
            f"unsure window (request at the double → SENT): p50 {u50:.1f} ms, p99 {u99:.1f} ms, "
            f"max {most:.1f} ms over {len(unsure)}")
