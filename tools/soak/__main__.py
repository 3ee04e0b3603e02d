"""`make soak`: the whole system under steady load; the memory of every service at the start and the end.

A fresh Tansu and Redis, every service as its own process, and the demo replay sending citizen
messages over all seven channels' real protocols at SOAK_RATE messages/s (departments answering over
the HandlingService as in `make run`) for SOAK_MINUTES. After SOAK_WARMUP_SECONDS the resident memory
(RSS) of each process is sampled every SOAK_SAMPLE_SECONDS. Exit status 1 when a service's memory grew
beyond the tolerance (tools/soak/memory.py), the load stopped, or messages were dead-lettered.

Tansu and Redis are reported but not judged: this Tansu keeps every record in memory by design (a real
Kafka keeps them on disk), and Redis holds dedup keys until their TTL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from prometheus_client.parser import text_string_to_metric_families

from services.contract.departments import load_departments
from services.contract.topics import all_topics
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE, REPO_ROOT
from tools.devstack.servers import (
    free_port,
    redis_url,
    start_broker,
    start_redis,
    throwaway_secrets,
)
from tools.devstack.stack import demo_environment, start_stack
from tools.soak.memory import MIB, memory_trend
from tools.topics import create_topics

MINUTES = float(os.environ.get("SOAK_MINUTES", "30"))
RATE = float(os.environ.get("SOAK_RATE", "20"))
WARMUP_SECONDS = float(os.environ.get("SOAK_WARMUP_SECONDS", "60"))
SAMPLE_SECONDS = float(os.environ.get("SOAK_SAMPLE_SECONDS", "30"))


def say(line: str) -> None:
    print(f"soak: {line}", flush=True)


def routed_by_destination(router_url: str) -> dict[str, float]:
    """contact_router_messages_total summed per destination (department, triage, deadletter)."""
    with urllib.request.urlopen(router_url + "/metrics", timeout=5) as response:
        text = response.read().decode()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "contact_router_messages":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    destination = sample.labels["destination"]
                    totals[destination] = totals.get(destination, 0.0) + sample.value
    return totals


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="gemeente-soak-") as tmp:
        workdir = Path(tmp)
        broker = start_broker(free_port(), workdir)
        redis = start_redis(free_port(), workdir, password="soak-redis-password")
        stack = demo = None
        try:
            create_topics(broker.address, all_topics(load_departments(DEFAULT_DEPARTMENTS_FILE)), 6, 1)
            secrets = throwaway_secrets()
            env = {**os.environ, **secrets, "KAFKA_BOOTSTRAP_SERVERS": broker.address,
                   "REDIS_URL": redis_url(redis), "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
            stack = start_stack(env, workdir / "services", ready_timeout=120)
            say(f"{len(stack.processes)} services up; offering {RATE:g} msgs/s over all channels for "
                f"{MINUTES:g} min (warm-up {WARMUP_SECONDS:g} s, a sample every {SAMPLE_SECONDS:g} s)")
            demo_env = {**env, **demo_environment(stack.urls, stack.extra),
                        "DEMO_TRICKLE_SECONDS": str(1 / RATE), "DEMO_ANSWER_WITHIN_SECONDS": "30"}
            demo = subprocess.Popen([sys.executable, "-m", "tools.demo"], cwd=REPO_ROOT, env=demo_env,
                                    stdout=open(workdir / "demo.log", "wb"), stderr=subprocess.STDOUT)
            time.sleep(WARMUP_SECONDS)
            processes = {name: psutil.Process(p.process.pid) for name, p in stack.processes.items()}
            processes["tansu"] = psutil.Process(broker.process.pid)
            processes["redis"] = psutil.Process(redis.process.pid)
            samples: dict[str, list[tuple[float, int]]] = {name: [] for name in processes}
            routed_before = routed_by_destination(stack.urls["router"])
            started = time.monotonic()
            end = started + MINUTES * 60
            while True:
                now = time.monotonic()
                for name, process in processes.items():
                    samples[name].append((now - started, process.memory_info().rss))
                if demo.poll() is not None:
                    raise RuntimeError(f"the load stopped: demo exited; see {workdir / 'demo.log'}")
                if now >= end:
                    break
                time.sleep(min(SAMPLE_SECONDS, max(end - now, 0.1)))
            routed_after = routed_by_destination(stack.urls["router"])
            return report(samples, routed_before, routed_after, time.monotonic() - started)
        finally:
            if demo is not None:
                demo.terminate()
                demo.wait(15)
            if stack is not None:
                stack.stop()
            redis.stop()
            broker.stop()


def report(samples: dict[str, list[tuple[float, int]]], before: dict[str, float], after: dict[str, float],
           seconds: float) -> int:
    routed = {d: after.get(d, 0.0) - before.get(d, 0.0) for d in after}
    total = sum(routed.values())
    say(f"routed {total:.0f} messages in {seconds / 60:.1f} min ({total / seconds:.1f}/s); "
        f"dead-lettered {routed.get('deadletter', 0):.0f}")
    say(f"{'process':<10} {'start MiB':>10} {'end MiB':>10} {'growth':>9} {'allowed':>8} "
        f"{'2nd half MiB/h':>15}  verdict")
    failures = []
    for name, series in samples.items():
        trend = memory_trend(series)
        judged = name not in ("tansu", "redis")
        verdict = ("flat" if trend.flat else "GROWS") if judged else "not judged (keeps data by design)"
        if judged and not trend.flat:
            failures.append(name)
        say(f"{name:<10} {trend.start_bytes / MIB:10.1f} {trend.end_bytes / MIB:10.1f} "
            f"{trend.growth_bytes / MIB:+9.1f} {trend.allowed_growth_bytes / MIB:8.1f} "
            f"{trend.second_half_bytes_per_hour / MIB:+15.1f}  {verdict}")
    if total <= 0:
        failures.append("no messages routed")
    if routed.get("deadletter", 0) > 0:
        failures.append("dead letters")
    say("memory flat for every service" if not failures else f"FAILED: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
