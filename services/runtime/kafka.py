"""Kafka helpers shared by the services: a publisher that acknowledges only what Kafka has, and a wait."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.helpers import create_ssl_context

if TYPE_CHECKING:
    from services.runtime.settings import CommonSettings

log = logging.getLogger(__name__)


def uses_ssl(settings: CommonSettings) -> bool:
    return settings.kafka_security_protocol in ("SSL", "SASL_SSL")


def uses_sasl(settings: CommonSettings) -> bool:
    return settings.kafka_security_protocol.startswith("SASL_")


def aiokafka_security(settings: CommonSettings) -> dict[str, Any]:
    """Keyword arguments for aiokafka clients: protocol, SASL credentials, TLS context."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if uses_sasl(settings):
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password.get_secret_value(),
        )
    if uses_ssl(settings):
        options["ssl_context"] = create_ssl_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        )
    return options


def kafka_python_security(settings: CommonSettings) -> dict[str, Any]:
    """The same for kafka-python clients (command-line tools)."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if uses_sasl(settings):
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password.get_secret_value(),
        )
    if uses_ssl(settings) and settings.kafka_ssl_cafile:
        options["ssl_cafile"] = str(settings.kafka_ssl_cafile)
    return options


def group_consumer(settings: CommonSettings, group_id: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer in `group_id` that commits only what its owner says is done, starts from the earliest offset
    of a new group and joins fast (KAFKA_REBALANCE_TIMEOUT_SECONDS); `options` add to or override that."""
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id=group_id, group_id=group_id,
        enable_auto_commit=False, auto_offset_reset="earliest", fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        rebalance_timeout_ms=int(settings.kafka_rebalance_timeout_seconds * 1000),
        session_timeout_ms=int(max(10.0, settings.kafka_rebalance_timeout_seconds) * 1000),
        heartbeat_interval_ms=1000, **{**aiokafka_security(settings), **options})


class PublishFailed(RuntimeError):
    """Kafka did not acknowledge the write in time; the caller must not acknowledge upstream."""


class KafkaPublisher:
    """An aiokafka producer with acks=all that connects in the background and never blocks start-up.

    A webhook is acknowledged only after `publish` returns: every record is then on all in-sync
    replicas. While Kafka is unreachable `publish` raises PublishFailed, and the ingestor answers 503.
    """

    def __init__(
        self, bootstrap_servers: str, timeout_seconds: float, client_id: str, security: Mapping[str, Any] | None = None
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._timeout = timeout_seconds
        self._client_id = client_id
        self._security = dict(security or {})
        self._producer: AIOKafkaProducer | None = None
        self._connector: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._connector = asyncio.create_task(self._connect_forever())

    async def _connect_forever(self) -> None:
        delay = 0.2
        while self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                client_id=self._client_id,
                acks="all",
                linger_ms=2,
                request_timeout_ms=int(self._timeout * 1000),
                retry_backoff_ms=100,
                **self._security,
            )
            try:
                await producer.start()
            except (KafkaError, OSError) as exc:
                await producer.stop()
                log.warning("Kafka not reachable at %s (%s); retrying", self._bootstrap, type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            else:
                self._producer = producer
                log.info("connected to Kafka at %s", self._bootstrap)

    @property
    def connected(self) -> bool:
        return self._producer is not None

    async def is_ready(self) -> bool:
        """Ready when a metadata round-trip to the cluster succeeds now."""
        if self._producer is None:
            return False
        try:
            return bool(await asyncio.wait_for(self._producer.client.force_metadata_update(), timeout=2.0))
        except (asyncio.TimeoutError, KafkaError, OSError):
            return False

    async def publish(self, topic: str, records: Sequence[tuple[bytes, bytes]]) -> None:
        """Write (key, value) records and wait until Kafka has acknowledged every one of them."""
        if self._producer is None:
            raise PublishFailed("not connected to Kafka yet")
        try:
            futures = [await self._producer.send(topic, value=value, key=key) for key, value in records]
            await asyncio.wait_for(asyncio.gather(*futures), timeout=self._timeout)
        except (asyncio.TimeoutError, KafkaError, OSError) as exc:
            raise PublishFailed(f"Kafka did not acknowledge: {type(exc).__name__}") from exc

    async def stop(self) -> None:
        if self._connector is not None:
            self._connector.cancel()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


def wait_for_port(bootstrap_servers: str, timeout_seconds: float) -> None:
    """Block until the first bootstrap server accepts TCP connections (used before starting faust)."""
    host, _, port = bootstrap_servers.split(",")[0].strip().rpartition(":")
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_seconds}s") from None
            time.sleep(0.2)
