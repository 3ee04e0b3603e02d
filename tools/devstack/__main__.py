"""`make run`: the whole system on one machine with the embedded defaults.

Starts Tansu, Redis (unless KAFKA_BOOTSTRAP_SERVERS / REDIS_URL point elsewhere) and Prometheus, creates the topics,
generates throw-away secrets for this run, then runs every service and the demo replay with honcho
(deploy/Procfile). Ctrl-C stops the services, then the servers: no process is left behind.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from services.contract.departments import load_departments
from services.contract.topics import all_topics
from services.deployables import CONSOLE, DEPLOYABLES
from services.runtime.settings import REPO_ROOT, CommonSettings
from tools.devstack.servers import (
    ServerProcess,
    port_is_open,
    redis_url,
    start_broker,
    start_prometheus,
    start_redis,
    throwaway_secrets,
)
from tools.devstack.stack import doubles_environment, start_doubles
from tools.topics import create_topics

RUN_DIR = REPO_ROOT / "run"
KAFKA_PORT = 9092
REDIS_PORT = 6379
PROMETHEUS_PORT = 9090
# The platform doubles (tools/doubles) the reply sender answers citizens through in `make run`.
DOUBLE_PORTS = {"meta": 8181, "x": 8182, "smtp": 2526, "smtp_control": 8183}


def say(line: str) -> None:
    print(f"devstack | {line}", flush=True)


def ensure_free(port: int, hint: str) -> None:
    if port_is_open("127.0.0.1", port):
        sys.exit(f"devstack | port {port} is taken; stop what runs there{hint}.")


def main() -> None:
    servers: list[ServerProcess] = []
    doubles = None
    env = dict(os.environ)
    try:
        if "KAFKA_BOOTSTRAP_SERVERS" not in env:
            ensure_free(KAFKA_PORT, ", or point KAFKA_BOOTSTRAP_SERVERS at it")
            broker = start_broker(KAFKA_PORT, RUN_DIR)
            servers.append(broker)
            env["KAFKA_BOOTSTRAP_SERVERS"] = broker.address
            say(f"Tansu (Kafka protocol, in memory) on {broker.address}")
        if "REDIS_URL" not in env:
            ensure_free(REDIS_PORT, ", or point REDIS_URL at it")
            redis = start_redis(REDIS_PORT, RUN_DIR, password=secrets.token_hex(16))
            servers.append(redis)
            env["REDIS_URL"] = redis_url(redis)
            say(f"Redis on {redis.address}")
        ensure_free(PROMETHEUS_PORT, " (make run's Prometheus uses it)")
        prometheus = start_prometheus(
            PROMETHEUS_PORT, REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml", RUN_DIR / "prometheus"
        )
        servers.append(prometheus)
        # Debian's prometheus package ships only the classic web UI, under /classic/ (/alerts is a 404 there).
        ui = f"http://{prometheus.address}/classic"
        say(f"Prometheus on http://{prometheus.address} — live graphs of the demo, e.g. "
            f"{ui}/graph?g0.expr=channel%3Acontact_messages_received%3Arate5m&g0.tab=0 , "
            f"alerts at {ui}/alerts and targets at {ui}/targets")
        # Throw-away secrets for this run only; a real deployment sets them from its secret store.
        env = {**throwaway_secrets(), **env}
        env.setdefault("METRICS_DATA_DIR", str(RUN_DIR / "metrics"))
        env.setdefault("CONSOLE_DEV_LOGIN", "true")  # demo users; the Kubernetes manifests never set it
        env.setdefault("LOG_LEVEL", "WARNING")
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONUNBUFFERED"] = "1"
        # Answers go to local doubles of WhatsApp, Meta, X and a mail relay, never to the real platforms.
        for port in DOUBLE_PORTS.values():
            ensure_free(port, " (make run's platform doubles use it)")
        env = {**env, **doubles_environment(DOUBLE_PORTS)}
        doubles = start_doubles(env, {d.name: f"http://127.0.0.1:{d.http_port}" for d in DEPLOYABLES}, RUN_DIR)
        say(f"platform doubles: Graph API http://127.0.0.1:{DOUBLE_PORTS['meta']}, X API "
            f"http://127.0.0.1:{DOUBLE_PORTS['x']}, SMTP relay :{DOUBLE_PORTS['smtp']}; what arrived: "
            f"/_double/requests on each (mail: :{DOUBLE_PORTS['smtp_control']})")

        settings = CommonSettings(kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"])
        names = all_topics(load_departments(settings.departments_file))
        created = create_topics(
            settings.kafka_bootstrap_servers, names, settings.topic_partitions, settings.topic_replication_factor
        )
        say(f"topics ready ({len(created)} created): {', '.join(names)}")
        say("services: " + ", ".join(
            f"{d.name} :{d.http_port}" + "".join(f" ({p.name} :{p.default})" for p in d.extra_ports)
            for d in DEPLOYABLES) + " (Ctrl-C stops all)")
        console_web = CONSOLE.extra_ports[0].default
        say(f"webcare console: http://localhost:{console_web} (demo users: Wendy and Wim for webcare; "
            "the demo traffic fills the triage queue)")
        honcho = subprocess.Popen(
            [sys.executable, "-m", "honcho", "start", "-f", str(REPO_ROOT / "deploy" / "Procfile"),
             "-d", str(REPO_ROOT)],
            env=env,
        )
        # Terminal Ctrl-C reaches honcho directly (same process group); SIGTERM to us is passed on.
        signal.signal(signal.SIGTERM, lambda *_: honcho.send_signal(signal.SIGTERM))
        try:
            honcho.wait()
        except KeyboardInterrupt:
            honcho.wait()
    finally:
        if doubles is not None:
            doubles.stop()
        for server in reversed(servers):
            server.stop()
        if servers:
            # honcho reports each service's SIGTERM as "rc=-15": the clean stop we asked for, not an error.
            say("stopped " + ", ".join(server.name for server in servers)
                + " (the services' rc=-15 above is the SIGTERM of a clean stop)")


if __name__ == "__main__":
    main()
