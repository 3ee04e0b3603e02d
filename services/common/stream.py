"""Faust app set-up shared by the router and the metrics service: broker settings, health, metrics, run."""

from __future__ import annotations

from pathlib import Path

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.common.kafka import wait_for_port
from services.common.logs import configure_logging
from services.common.settings import CommonSettings


def create_stream_app(
    app_id: str, settings: CommonSettings, *, web_host: str, web_port: int, data_dir: Path
) -> faust.App:
    """A faust app on raw bytes (our values are protobuf) with /healthz, /readyz and /metrics."""
    app = faust.App(
        app_id,
        broker="kafka://" + settings.kafka_bootstrap_servers.replace(",", ";kafka://"),
        value_serializer="raw",
        key_serializer="raw",
        datadir=str(data_dir),
        web_host=web_host,
        web_port=web_port,
        web_in_thread=False,
        # Our services create their topics up front; faust must not invent partition counts.
        topic_allow_declare=False,
        topic_disable_leader=True,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        broker_rebalance_timeout=settings.kafka_rebalance_timeout_seconds,
        broker_session_timeout=max(10.0, settings.kafka_rebalance_timeout_seconds),
        broker_heartbeat_interval=1.0,
    )

    assigned = False

    @app.on_partitions_assigned.connect
    async def mark_assigned(app: faust.App, assigned_partitions: object, **kwargs: object) -> None:
        nonlocal assigned
        assigned = True

    @app.page("/healthz")
    async def healthz(web, request):  # noqa: ANN001 - faust's view signature
        return web.text("ok")

    @app.page("/readyz")
    async def readyz(web, request):  # noqa: ANN001
        # Ready once the consumer group gave this worker its partitions: only then does it route.
        ready = assigned and not app.rebalancing
        return web.text("ready" if ready else "not ready", status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics(web, request):  # noqa: ANN001
        # aiohttp refuses a charset inside content_type=, so the full value goes in as a header.
        return web.bytes(generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return app


def run_stream_worker(app: faust.App, settings: CommonSettings) -> None:
    """Wait for the broker, then run the faust worker until SIGINT/SIGTERM (it commits on the way out)."""
    configure_logging(settings.log_level)
    wait_for_port(settings.kafka_bootstrap_servers, timeout_seconds=120)
    worker = faust.Worker(app, loglevel=settings.log_level, redirect_stdouts=False, quiet=True)
    worker.execute_from_commandline()
