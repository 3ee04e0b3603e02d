"""Webhook ingest throughput per ingestor: signed, unique webhooks posted by concurrent clients to a real
ingestor process (Kafka acks=all, Redis dedup) for a fixed time. The clients share the machine's cores
with the ingestor, so the figure is a lower bound of what the ingestor alone does."""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil

from services.ingest.channels import Channel, channel, secret_names
from services.ingest.signatures import base64_signature, hex_signature
from tools.demo import payloads
from tools.demo.__main__ import wait_ready
from tools.devstack.servers import free_port

SECRET = secrets.token_hex(16)


@dataclass(frozen=True)
class BenchChannel:
    """A webhook channel of the registry with how the bench signs and fills its bodies."""

    spec: Channel
    sign: Callable[[bytes, bytes], str]
    document: Callable[[int], dict]

    @property
    def module(self) -> str:
        return self.spec.package

    @property
    def port_variable(self) -> str:
        return self.spec.port_variable

    @property
    def path(self) -> str:
        return self.spec.webhook_path or ""

    @property
    def header(self) -> str:
        return self.spec.signature_header or ""


def _webform(i: int) -> dict:
    return {"submission_id": f"bench-{uuid.uuid4().hex}", "message": "Mijn kliko is niet geleegd", "name": "Bench"}


CHANNELS = {
    "whatsapp": BenchChannel(channel("whatsapp"), hex_signature, lambda i: payloads.whatsapp_webhook(
        [payloads.whatsapp_message(f"3160{i % 10_000_000:07d}", text="Mijn kliko is niet geleegd")])),
    "webform": BenchChannel(channel("webform"), hex_signature, _webform),
    "facebook": BenchChannel(channel("facebook"), hex_signature,
                             lambda i: payloads.messenger_webhook(f"{7_000_000 + i}", "Lantaarnpaal kapot")),
    "twitter": BenchChannel(channel("twitter"), base64_signature,
                            lambda i: payloads.tweet_webhook(f"{9_000_000 + i}", "bench", "@gemeente kliko niet geleegd")),
}


def ingest_env(bootstrap: str, redis_address: str, channel: BenchChannel, port: int) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "REDIS_URL": f"redis://{redis_address}/5", channel.port_variable: str(port),
        **{name: SECRET for name in secret_names()}, "LOG_LEVEL": "WARNING",
    }


async def post_for(base: str, channel: Channel, seconds: float, concurrency: int) -> tuple[int, int, list[float]]:
    """(accepted, refused, latencies) of signed webhooks posted for `seconds` by `concurrency` clients."""
    # Bodies are built and signed ahead, so the clients spend their time on HTTP, not on JSON.
    bodies = []
    for i in range(int(seconds * 4000) + concurrency):
        body, _ = payloads.signed_json(channel.document(i), b"")
        bodies.append((body, {channel.header: channel.sign(SECRET.encode(), body), "Content-Type": "application/json"}))
    accepted = refused = 0
    latencies: list[float] = []
    next_body = iter(bodies)
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            nonlocal accepted, refused
            for body, headers in next_body:
                if time.monotonic() > deadline:
                    return
                started = time.monotonic()
                async with session.post(base + channel.path, data=body, headers=headers) as response:
                    await response.read()
                    latencies.append(time.monotonic() - started)
                    if response.status == 200:
                        accepted += 1
                    else:
                        refused += 1

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return accepted, refused, latencies


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def measure_ingest(name: str, bootstrap: str, redis_address: str, workdir: Path, start_worker, stop_worker,
                         seconds: float, concurrency: int = 32) -> tuple[float, float, float, float]:
    """(requests/s accepted, p50 ms, p99 ms, the ingestor's own CPU ms per webhook) for one ingestor."""
    channel = CHANNELS[name]
    port = free_port()
    worker = start_worker(["-m", channel.module], {**os.environ, **ingest_env(bootstrap, redis_address, channel, port)},
                          workdir / f"ingest-{name}.log")
    try:
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            await wait_ready(session, [base], timeout=60)
        started, cpu_before = time.monotonic(), cpu_seconds(worker.pid)
        accepted, refused, latencies = await post_for(base, channel, seconds, concurrency)
        elapsed, cpu_used = time.monotonic() - started, cpu_seconds(worker.pid) - cpu_before
    finally:
        stop_worker(worker)
    if refused:
        raise RuntimeError(f"{name}: {refused} webhooks refused; see {workdir / f'ingest-{name}.log'}")
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return accepted / elapsed, quantiles[49] * 1000, quantiles[98] * 1000, cpu_used * 1000 / accepted
