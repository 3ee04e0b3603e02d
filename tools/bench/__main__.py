"""`make bench`: router throughput and ingest→routed latency against a bare aiokafka relay and a faust
relay that does no work, where the router's time per message goes, webhook ingest per ingestor, the
console's live feed and the replies through one sender (tools/bench/replies.py).

Relays and router run as their own process on the same fresh Tansu broker, measured the same way:
  1. throughput, in BENCH_ROUNDS interleaved rounds of relay, faust relay, one router worker and two
     (median and range reported, so a noisy machine does not decide the outcome): N records are
     preloaded; the workers start; the rate is N divided by the time from the first to the last output
     record (start-up is not counted);
  2. latency (router only): a fixed offered load (BENCH_RATE msgs/s for BENCH_SECONDS) of fresh
     messages; routed_at − received_at per message, p50 and p99;
  3. profile: the routing stages timed in-process on the same messages, beside the bare relay's cost.
The messages are the corpus's held-out texts. The pipeline here starts at contact.inbound (what an
ingestor publishes) and ends on the department and triage topics. The last line is machine-readable.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.contract import codec, topics
from services.contract.departments import load_departments
from services.contract.topics import all_topics
from services.router.decision.classifier import read_corpus
from services.router.training.generate_corpus import CORPUS
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE, REPO_ROOT
from tools.bench.console import console_line, measure_console
from tools.bench.figures import percentile
from tools.bench.history_model import routing_cost_with_history_model
from tools.bench.ingest import CHANNELS, cpu_seconds, measure_ingest
from tools.bench.profile import routing_stages
from tools.bench.replies import measure_replies, replies_line
from tools.devstack.servers import (
    free_port,
    redis_url,
    start_broker,
    start_redis,
    throwaway_secrets,
)
from tools.devstack.stack import ServiceProcess
from tools.topics import create_topics

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "50000"))
RATE = int(os.environ.get("BENCH_RATE", "1000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
PARTITIONS = int(os.environ.get("BENCH_PARTITIONS", "6"))
INGEST_SECONDS = float(os.environ.get("BENCH_INGEST_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))

# Real variety: the corpus's held-out messages (every channel's style, typos, English, personal data).
TEXTS = [item["text"] for item in read_corpus(CORPUS) if item["split"] == "test"]


def new_tag() -> str:
    """Marks the messages of one measurement: a worker's output is counted only if it carries the tag (a
    broker may show the tail of the last measurement to a consumer that asked for the latest offsets)."""
    return f"{uuid.uuid4().hex[:8]}-"


def contact(i: int, received_at: datetime, tag: str = "") -> codec.ContactMessage:
    wamid = f"wamid.bench.{uuid.uuid4().hex}"
    return codec.ContactMessage(
        id=codec.message_id(codec.Channel.CHANNEL_WHATSAPP, wamid),
        channel=codec.Channel.CHANNEL_WHATSAPP,
        channel_message_id=wamid,
        conversation_id=f"wa-bench-{tag}{i % 997}",  # the record's key, on every output too
        received_at=codec.timestamp(received_at),
        author_id=f"bench-{i % 997}",
        text=TEXTS[i % len(TEXTS)],
    )


async def preload(bootstrap: str, topic: str, count: int, tag: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=262144)
    await producer.start()
    try:
        now = datetime.now(timezone.utc)
        pending = []
        for i in range(count):
            message = contact(i, now, tag)
            pending.append(await producer.send(topic, message.SerializeToString(), key=message.conversation_id.encode()))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def output_consumer(bootstrap: str, topic_names: list[str]) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(*topic_names, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="latest")
    await consumer.start()
    while not consumer.assignment():
        await asyncio.sleep(0.05)
    for partition in consumer.assignment():
        await consumer.position(partition)
    return consumer


async def count_outputs(consumer: AIOKafkaConsumer, expected: int, timeout: float, tag: str,
                        on_first: Callable[[], object] = lambda: None,
                        workers: list[subprocess.Popen] = ()) -> tuple[int, float]:
    """Records seen and seconds from the first to the last of them (`on_first` runs at the first); gives
    up at the timeout, or at once when a worker has exited."""
    seen, first, last = 0, None, None
    deadline = time.monotonic() + timeout
    while seen < expected and time.monotonic() < deadline and all(w.poll() is None for w in workers):
        batches = await consumer.getmany(timeout_ms=200, max_records=5000)
        prefix = f"wa-bench-{tag}".encode()
        arrived = sum(1 for records in batches.values() for r in records if r.key and r.key.startswith(prefix))
        if arrived:
            now = time.monotonic()
            if first is None:
                on_first()
            first = first or now
            last = now
            seen += arrived
    return seen, (last - first) if first and last and last > first else float("nan")


def start_worker(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], env=env, cwd=REPO_ROOT, stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT)


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


async def measure_relay(bootstrap: str, workdir: Path, name: str, module: str, env: dict[str, str]) -> float:
    """Messages/s of a relay module that forwards bench.<name>.in to bench.<name>.out (`name` new each round)."""
    source, target = f"bench.{name}.in", f"bench.{name}.out"
    create_topics(bootstrap, [source, target], PARTITIONS, 1)
    tag = new_tag()
    await preload(bootstrap, source, MESSAGES, tag)
    consumer = await output_consumer(bootstrap, [target])
    worker = start_worker(["-m", module, bootstrap, source, target],
                          {**os.environ, **env, "BENCH_RELAY_SOURCE": source, "BENCH_RELAY_TARGET": target},
                          workdir / f"{name}.log")
    try:
        seen, seconds = await count_outputs(consumer, MESSAGES, timeout=300, tag=tag, workers=[worker])
    finally:
        stop_worker(worker)
        await consumer.stop()
    if seen < MESSAGES:
        raise RuntimeError(f"{name} moved {seen} of {MESSAGES}; see {workdir / f'{name}.log'}")
    return seen / seconds


def router_environment(bootstrap: str, redis_address: str, workdir: Path) -> dict[str, str]:
    return {
        **throwaway_secrets(),  # the router's gRPC server does not start without its callers' tokens
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "REDIS_URL": f"redis://{redis_address}/0",
        "ROUTER_PORT": str(free_port()),
        "ROUTER_GRPC_PORT": str(free_port()),
        "LOG_LEVEL": "INFO",  # the group's joins and rebalances, in the worker's log
    }


# Tansu numbers a group's first generation 0, and aiokafka sends LeaveGroup only from generation 1 on: a
# stopped router then stays in the group until its session expires (10 s), and the next router to join
# would be rebalanced once more in the middle of its measurement. So the bench waits that out.
SESSION_EXPIRY_SECONDS = 11


def router_outputs() -> list[str]:
    return [topics.TRIAGE, *(topics.routed_topic(d.id) for d in load_departments(DEFAULT_DEPARTMENTS_FILE))]


async def measure_router(bootstrap: str, redis_address: str, workdir: Path, workers: int = 1) -> tuple[float, float]:
    """(messages/s, share of a core the first worker was busy) of `workers` router processes over MESSAGES
    fresh records on contact.inbound (the group continues where the last measurement committed)."""
    tag = new_tag()
    await preload(bootstrap, topics.INBOUND, MESSAGES, tag)
    consumer = await output_consumer(bootstrap, router_outputs())
    processes = [start_worker(["-m", "services.router"], {**os.environ, **router_environment(bootstrap, redis_address, workdir)},
                              workdir / f"router-{workers}-{n}.log") for n in range(workers)]
    try:
        cpu_at_first: list[float] = []
        seen, seconds = await count_outputs(consumer, MESSAGES, timeout=600, tag=tag, workers=processes,
                                            on_first=lambda: cpu_at_first.append(cpu_seconds(processes[0].pid)))
        cpu_share = (cpu_seconds(processes[0].pid) - cpu_at_first[0]) / seconds if cpu_at_first else float("nan")
        if seen < MESSAGES:
            raise RuntimeError(f"{workers} router(s) routed {seen} of {MESSAGES}; see {workdir}/router-{workers}-*.log")
    finally:
        for process in processes:
            stop_worker(process)
        await consumer.stop()
        await asyncio.sleep(SESSION_EXPIRY_SECONDS)
    return seen / seconds, cpu_share


async def measure_latency(bootstrap: str, redis_address: str, workdir: Path) -> list[float]:
    """One router worker at RATE msgs/s offered for SECONDS: routed_at − received_at of each message."""
    consumer = await output_consumer(bootstrap, router_outputs())
    env = router_environment(bootstrap, redis_address, workdir)
    worker = ServiceProcess("services.router", {**os.environ, **env}, workdir / "router-latency.log")
    try:
        # Ready: the group gave it its partitions, so no message waits for its join.
        await asyncio.to_thread(worker.wait_ready, f"http://127.0.0.1:{env['ROUTER_PORT']}/readyz", 120)
        return await offered_load_latencies(bootstrap, consumer)
    finally:
        worker.stop()
        await consumer.stop()


async def offered_load_latencies(bootstrap: str, consumer: AIOKafkaConsumer) -> list[float]:
    """Offer RATE msgs/s for SECONDS; return routed_at − received_at of each, in seconds."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)
    await producer.start()
    total = int(RATE * SECONDS)
    latencies: list[float] = []
    tag = new_tag()
    prefix = f"wa-bench-{tag}".encode()

    async def offer() -> None:
        start = time.monotonic()
        for i in range(total):
            delay = start + i / RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            message = contact(i, datetime.now(timezone.utc), tag)
            await producer.send(topics.INBOUND, message.SerializeToString(), key=message.conversation_id.encode())
        await producer.flush()

    async def collect() -> None:
        deadline = time.monotonic() + SECONDS + 30
        while len(latencies) < total and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in (r for r in records if r.key and r.key.startswith(prefix)):
                    routed = codec.decode_routed(record.value)
                    latencies.append(codec.epoch_seconds(routed.routed_at) - codec.epoch_seconds(routed.message.received_at))

    try:
        await asyncio.gather(offer(), collect())
    finally:
        await producer.stop()
    return latencies


def print_profile(router_rate: float, relay_rate: float) -> None:
    """The router's cost per message: its routing stages (in-process), consuming and producing (the bare
    relay's cost), and what remains."""
    now = datetime.now(timezone.utc)
    stages = routing_stages([contact(i, now).SerializeToString() for i in range(2000)], codec.timestamp(now))
    *parts, (_, routing_ms) = stages
    worker_ms, relay_ms = 1000 / router_rate, 1000 / relay_rate
    print(f"bench: where a routed message's {worker_ms:.3f} ms go (one worker, one core; target 0.100 ms):")
    for name, ms in parts:
        print(f"bench:   {name:<44} {ms:7.3f} ms")
    print(f"bench:   {'the rest of route_records (decisions, encode)':<44} {routing_ms - sum(ms for _, ms in parts):7.3f} ms")
    print(f"bench:   {'= routing logic, in-process':<44} {routing_ms:7.3f} ms")
    print(f"bench:   {'consume/produce (the bare relay)':<44} {relay_ms:7.3f} ms")
    print(f"bench:   {'Redis ledger/stickiness/dedup, larger sends':<44} {worker_ms - routing_ms - relay_ms:7.3f} ms"
          "  (what the measured rate leaves)", flush=True)
    history_ms, trained_on = routing_cost_with_history_model(
        lambda: routing_stages([contact(i, now).SerializeToString() for i in range(2000)], codec.timestamp(now))[-1][1])
    print(f"bench:   with a model of {trained_on:,} texts (a gemeente's 20,000-text history and the corpus): "
          f"routing logic {history_ms:.3f} ms per message (the corpus model: {routing_ms:.3f} ms)", flush=True)


def spread(rates: list[float]) -> str:
    return f"{statistics.median(rates):8.0f} msgs/s  (range {min(rates):.0f}–{max(rates):.0f} over {len(rates)} rounds)"


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="gemeente-bench-") as tmp:
        workdir = Path(tmp)
        broker = start_broker(free_port(), workdir)
        redis = start_redis(free_port(), workdir)
        try:
            create_topics(broker.address, all_topics(load_departments(DEFAULT_DEPARTMENTS_FILE)), PARTITIONS, 1)
            print(f"bench: {MESSAGES} messages per measurement, {PARTITIONS} partitions, {ROUNDS} rounds of "
                  f"relay / faust relay / router / two routers, Tansu at {broker.address}", flush=True)
            rates: dict[str, list[float]] = {"relay": [], "faust": [], "router": [], "two routers": []}
            busy: list[float] = []
            for n in range(ROUNDS):
                # Interleaved: a machine that slows down during the run slows every kind alike.
                rates["relay"].append(await measure_relay(broker.address, workdir, f"relay{n}", "tools.bench.relay", {}))
                rates["faust"].append(await measure_relay(broker.address, workdir, f"faust{n}", "tools.bench.faust_relay",
                                                          router_environment(broker.address, redis.address, workdir)))
                one, cpu = await measure_router(broker.address, redis.address, workdir)
                rates["router"].append(one)
                busy.append(cpu)
                rates["two routers"].append((await measure_router(broker.address, redis.address, workdir, workers=2))[0])
                print(f"bench: round {n + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in rates.items()), flush=True)
            relay_rate, faust_rate, router_rate, two_rate = (statistics.median(v) for v in rates.values())
            print(f"bench: bare aiokafka relay      {spread(rates['relay'])}", flush=True)
            print(f"bench: faust relay, no work     {spread(rates['faust'])}  (what faust alone costs)", flush=True)
            print(f"bench: router (model, 1 worker) {spread(rates['router'])}  = {router_rate / relay_rate:.2f} of the relay; "
                  f"its process busy {statistics.median(busy):.0%} of a core", flush=True)
            print(f"bench: router, 2 workers        {spread(rates['two routers'])}  = {two_rate / router_rate:.2f}× one worker",
                  flush=True)
            print_profile(router_rate, relay_rate)
            latencies = await measure_latency(broker.address, redis.address, workdir)
            p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
            print(f"bench: ingest→routed at {RATE} msgs/s offered for {SECONDS:.0f}s: "
                  f"p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(latencies)} messages", flush=True)
            ingest = {}
            ingest_cpu = {}
            for name in CHANNELS:
                rate, i50, i99, cpu_ms = await measure_ingest(name, broker.address, redis.address, workdir,
                                                              start_worker, stop_worker, INGEST_SECONDS)
                ingest[name], ingest_cpu[name] = rate, cpu_ms
                print(f"bench: ingest {name:<9} {rate:8.0f} webhooks/s  p50 {i50:.1f} ms  p99 {i99:.1f} ms; "
                      f"the ingestor's own CPU {cpu_ms:.3f} ms/webhook = {1000 / cpu_ms:,.0f}/s per core "
                      f"(signed, unique, 32 clients on the same cores)", flush=True)
            console_latencies, console_count = await measure_console(broker.address, redis_url(redis), workdir)
            print(console_line(console_latencies, console_count), flush=True)
            c50, c99 = percentile(console_latencies, 50) * 1000, percentile(console_latencies, 99) * 1000
            reply_rate, reply_latencies, unsure = await measure_replies(broker.address, redis_url(redis), workdir)
            print(replies_line(reply_rate, reply_latencies, unsure), flush=True)
            u99 = percentile(unsure, 99) * 1000
            r50, r99 = percentile(reply_latencies, 50) * 1000, percentile(reply_latencies, 99) * 1000
            print(f"pipeline_msgs_per_s={router_rate:.0f} p50_ms={p50:.1f} p99_ms={p99:.1f} "
                  f"relay_msgs_per_s={relay_rate:.0f} ratio={router_rate / relay_rate:.3f} "
                  f"faust_relay_msgs_per_s={faust_rate:.0f} two_workers_msgs_per_s={two_rate:.0f} "
                  f"two_workers_scale={two_rate / router_rate:.2f} "
                  + " ".join(f"ingest_{name}_per_s={rate:.0f} ingest_{name}_cpu_ms={ingest_cpu[name]:.3f}"
                             for name, rate in ingest.items())
                  + f" console_p50_ms={c50:.1f} console_p99_ms={c99:.1f}"
                  + f" replies_per_s={reply_rate:.0f} reply_p50_ms={r50:.1f} reply_p99_ms={r99:.1f}"
                  + f" reply_unsure_p99_ms={u99:.1f}")
        finally:
            redis.stop()
            broker.stop()


if __name__ == "__main__":
    asyncio.run(main())
