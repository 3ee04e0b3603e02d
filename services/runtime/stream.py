"""Faust app set-up of the metrics service (and the bench's faust relay): broker settings, health, metrics, run."""

from __future__ import annotations

from pathlib import Path

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.runtime.kafka import aiokafka_security, uses_sasl, wait_for_port
from services.runtime.lag import CONSUMER_LAG
from services.runtime.logs import configure_logging
from services.runtime.settings import CommonSettings


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """faust hard-codes fetch_max_wait_ms=1500. A broker that holds every fetch for that long even when
    records arrive (Tansu does) then adds ~0.75 s of latency on average; the wait is a setting here."""

    fetch_max_wait_ms = 1500

    def _create_worker_consumer(self, transport):  # noqa: ANN001, ANN202 - faust's signature
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = self.fetch_max_wait_ms
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        thread = _ConsumerThread(self, loop=self.loop, beacon=self.beacon)
        thread.fetch_max_wait_ms = self.app.fetch_max_wait_ms
        return thread


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class StreamApp(faust.App):
    fetch_max_wait_ms = 1500

    def _new_transport(self) -> _Transport:
        return _Transport(self.conf.broker_consumer, self)


def faust_credentials(settings: CommonSettings) -> faust.types.auth.CredentialsT | None:
    """SASL and/or TLS for faust's consumer and producer, from the same settings as every client."""
    security = aiokafka_security(settings)
    ssl_context = security.get("ssl_context")
    if uses_sasl(settings):
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password.get_secret_value(),
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=ssl_context,
        )
    if ssl_context is not None:
        return faust.SSLCredentials(ssl_context)
    return None


def create_stream_app(
    app_id: str, settings: CommonSettings, *, web_host: str, web_port: int, data_dir: Path
) -> StreamApp:
    """A faust app on raw bytes (our values are protobuf) with /healthz, /readyz and /metrics."""
    app = StreamApp(
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
    app.fetch_max_wait_ms = settings.kafka_fetch_max_wait_ms
    credentials = faust_credentials(settings)
    if credentials is not None:
        app.conf.broker_credentials = credentials

    assigned = False

    @app.on_partitions_assigned.connect
    async def mark_assigned(app: faust.App, assigned_partitions: object, **kwargs: object) -> None:
        nonlocal assigned
        assigned = True

    @app.timer(5.0)
    async def measure_lag() -> None:
        consumer = app.consumer
        assigned = consumer.assignment()
        CONSUMER_LAG.clear()
        for tp in assigned:
            try:
                highwater = consumer.highwater(tp)
            except Exception:  # noqa: BLE001 - no fetch for this partition yet
                continue
            if highwater is None or highwater < 0:
                continue
            committed = consumer._committed_offset.get(tp)  # faust keeps it; there is no public accessor
            CONSUMER_LAG.labels(app_id, tp.topic, str(tp.partition)).set(max(0, highwater - (committed or 0)))

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
    # override_logging=False: mode's own set-up leaves the root logger at DEBUG, which costs a log
    # record per produced message and would print message values at debug level.
    worker = faust.Worker(
        app, loglevel=settings.log_level, redirect_stdouts=False, quiet=True, override_logging=False
    )
    worker.execute_from_commandline()
