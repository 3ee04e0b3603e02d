"""The webcare console's live feed under load: `viewers` staff signed in and connected, triaged messages
published on contact.triage at `rate` a second; the time from publishing a message to its row arriving
at each connected viewer (the browser's EventSource receives exactly these events).

Run alone: python -m tools.bench.console (its own broker and Redis); `make bench` runs it last.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaProducer

from services.contract import codec, topics
from services.contract.departments import load_departments
from services.deployables import CONSOLE
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE
from tools.bench.figures import percentile
from tools.devstack.servers import free_port, redis_url, start_broker, start_redis
from tools.devstack.stack import ServiceProcess
from tools.topics import create_topics

VIEWERS = 50
RATE = 20  # triaged messages a second: a busy gemeente's triage is a few a minute
SECONDS = 15.0


def triaged(sequence: int, now: float) -> codec.RoutedMessage:
    message = codec.ContactMessage(
        id=f"bench-console-{sequence}", conversation_id=f"bench-conversation-{sequence}",
        channel=codec.Channel.CHANNEL_WHATSAPP, received_at=codec.timestamp_from_epoch(now),
        text="Hallo, ik heb een vraag over mijn aanvraag", language="nl")
    decision = codec.RoutingDecision(triage=True, method=codec.RoutingMethod.ROUTING_METHOD_NONE, candidates=[
        codec.DepartmentScore(department="burgerzaken", score=0.4, category=""),
        codec.DepartmentScore(department="afval", score=0.2, category="")])
    return codec.RoutedMessage(message=message, decision=decision, routed_at=codec.timestamp_from_epoch(now))


async def sign_in(session: aiohttp.ClientSession, base: str, user: str) -> str:
    """A session cookie of a demo user (the dev login), as a Cookie header value."""
    async with session.get(f"{base}/login") as response:
        page = await response.text()
        nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)
        login_cookie = response.cookies["console_login"].value
    async with session.post(f"{base}/login", data={"nonce": nonce, "user": user},
                            headers={"Cookie": f"console_login={login_cookie}"}, allow_redirects=False) as response:
        morsel = response.cookies["console_session"]
        return f"console_session={morsel.value}"


async def watch(session: aiohttp.ClientSession, base: str, cookie: str, arrived: dict[str, list[float]],
                connected: asyncio.Event, counter: list[int], viewers: int) -> None:
    async with session.get(f"{base}/api/triage/live", headers={"Cookie": cookie}) as response:
        event = ""
        async for raw in response.content:
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
                if event == "snapshot":
                    counter[0] += 1
                    if counter[0] == viewers:
                        connected.set()
            elif line.startswith("data: ") and event == "add":
                message_id = re.search(r'"message_id": "([^"]+)"', line).group(1)
                arrived.setdefault(message_id, []).append(time.time())


async def measure_console(bootstrap: str, redis: str, workdir: Path, viewers: int = VIEWERS, rate: int = RATE,
                          seconds: float = SECONDS) -> tuple[list[float], int]:
    """(latencies in seconds, one per message and viewer; messages published)."""
    port, web_port = free_port(), free_port()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "REDIS_URL": redis, "LOG_LEVEL": "WARNING",
        CONSOLE.port_variable: str(port), CONSOLE.extra_ports[0].variable: str(web_port),
        "CONSOLE_DEV_LOGIN": "true", "CONSOLE_SECURE_COOKIES": "false",
        "CONSOLE_PUBLIC_URL": f"http://127.0.0.1:{web_port}",
        "WEBCARE_API_TOKEN": secrets.token_hex(16), "CONSOLE_STAFF_PSEUDONYM_KEY": secrets.token_hex(16),
        "CONSOLE_MAX_VIEWERS": str(viewers + 10), "PYTHONUNBUFFERED": "1",
    }
    console = ServiceProcess("services.console", {**os.environ, **env}, workdir / "console.log")
    base = f"http://127.0.0.1:{web_port}"
    try:
        console.wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=60)
        arrived: dict[str, list[float]] = {}
        connected, counter = asyncio.Event(), [0]
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
            users = ["wendy", "wim"]
            cookies = [await sign_in(session, base, users[i % 2]) for i in range(viewers)]
            watchers = [asyncio.create_task(watch(session, base, c, arrived, connected, counter, viewers))
                        for c in cookies]
            await asyncio.wait_for(connected.wait(), 30)
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
            await producer.start()
            published: dict[str, float] = {}
            try:
                total = int(rate * seconds)
                started = time.monotonic()
                for sequence in range(total):
                    await asyncio.sleep(max(0.0, started + sequence / rate - time.monotonic()))
                    now = time.time()
                    record = triaged(sequence, now)
                    await producer.send_and_wait(topics.TRIAGE, record.SerializeToString(),
                                                 key=record.message.conversation_id.encode())
                    published[record.message.id] = now
            finally:
                await producer.stop()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and sum(len(arrived.get(m, [])) for m in published) < len(published) * viewers:
                await asyncio.sleep(0.2)
            for task in watchers:
                task.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
        latencies = [at - published[m] for m, times in arrived.items() if m in published for at in times]
        missing = len(published) * viewers - len(latencies)
        if missing:
            print(f"bench: console: {missing} of {len(published) * viewers} rows never arrived", flush=True)
        return latencies, len(published)
    finally:
        console.stop()


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        broker = start_broker(free_port(), workdir)
        redis = start_redis(free_port(), workdir)
        try:
            create_topics(broker.address, topics.all_topics(load_departments(DEFAULT_DEPARTMENTS_FILE)), 6, 1)
            latencies, count = await measure_console(broker.address, redis_url(redis), workdir)
            print(console_line(latencies, count), flush=True)
        finally:
            redis.stop()
            broker.stop()


def console_line(latencies: list[float], count: int, viewers: int = VIEWERS) -> str:
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    return (f"bench: console: {count} triaged messages at {RATE}/s to {viewers} connected staff: contact.triage → "
            f"row in the browser p50 {p50:.0f} ms, p99 {p99:.0f} ms (target p99 ≤ 1000 ms; the rows of "
            f"{len(latencies)} message × viewer pairs)")


if __name__ == "__main__":
    asyncio.run(main())
