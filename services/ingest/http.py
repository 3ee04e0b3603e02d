"""The HTTP shell every webhook ingestor shares: body limits, error answers, dedup, publishing, health.

A channel supplies only its pure parts: how to check the signature and how to turn a body into
ContactMessages. Everything here answers the same way on every channel:

  400 malformed body (with a reason)     401 signature missing     403 signature wrong
  408 body not sent in time (slow client) 413 body too large      503 Kafka did not acknowledge (retry)
  429 the channel's sender posted too much (web form, per client), with Retry-After
  415 a Content-Encoding other than identity (refused before reading: no platform compresses webhooks,
      and inflating an unsigned gzip bomb before the signature check costs memory and time)
  200 only after Kafka has every message (acks=all), or when all of them were delivered before.
  202 a signed body the normaliser could not handle (a bug, not the sender's fault): it is kept on
      contact.deadletter with the reason, to be replayed once fixed, instead of being retried forever.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis

from services.contract import codec, topics
from services.ingest.addresses import AddressCipher, ReplyAddressBook
from services.replies.receipts import ReceiptBook
from services.ingest.channels import channel as channel_of
from services.ingest.dedup import DeliveryLedger
from services.ingest.delivery import PUBLISH_SECONDS, REQUESTS, Deliverer
from services.ingest.payload import Normalised, PayloadError, RateLimited
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.settings import IngestorSettings
from services.ingest.signatures import SignatureCheck
from services.ingest.threads import ThreadIndex
from services.runtime.kafka import KafkaPublisher, PublishFailed, aiokafka_security
from services.runtime.logs import configure_logging

log = logging.getLogger(__name__)

MAX_BODY_BYTES = web.AppKey("max_body_bytes", int)
# aiohttp inflates gzip/deflate bodies while it receives them unless told not to: we never want that.
SERVER_OPTIONS = {"auto_decompress": False}
READ_TIMEOUT = web.AppKey("read_timeout_seconds", float)


def error_response(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


SignatureChecker = Callable[[bytes, web.Request], SignatureCheck]
# A normaliser is pure, or async where it must look up thread roots first.
Normaliser = Callable[[bytes, web.Request], "Normalised | Awaitable[Normalised]"]


def webhook_handler(
    deliverer: Deliverer, check_signature: SignatureChecker, normalise: Normaliser
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The POST handler: read (413), verify (401/403), normalise (400), deliver (503), answer 200."""
    channel = deliverer.channel

    async def handle_webhook(request: web.Request) -> web.Response:
        started = asyncio.get_running_loop().time()
        if request.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
            REQUESTS.labels(channel, "unsupported_encoding").inc()
            return error_response(415, "Content-Encoding must be identity: webhooks are not compressed")
        try:
            body = await asyncio.wait_for(request.read(), timeout=request.app[READ_TIMEOUT])
        except web.HTTPRequestEntityTooLarge:
            REQUESTS.labels(channel, "too_large").inc()
            return error_response(413, f"body larger than {request.app[MAX_BODY_BYTES]} bytes")
        except asyncio.TimeoutError:
            REQUESTS.labels(channel, "slow_client").inc()
            return error_response(408, f"body not received within {request.app[READ_TIMEOUT]:g} s")
        check = check_signature(body, request)
        if check is not SignatureCheck.VALID:
            REQUESTS.labels(channel, "bad_signature").inc()
            if check is SignatureCheck.MISSING:
                return error_response(401, "signature header missing")
            return error_response(403, "signature does not match the body")
        try:
            normalised = normalise(body, request)
            if inspect.isawaitable(normalised):
                normalised = await normalised
        except PayloadError as exc:
            REQUESTS.labels(channel, "malformed").inc()
            return error_response(400, str(exc))
        except RateLimited as exc:
            REQUESTS.labels(channel, "rate_limited").inc()
            response = error_response(429, str(exc))
            response.headers["Retry-After"] = str(exc.retry_after_seconds)
            return response
        except Exception as exc:  # noqa: BLE001 - a normaliser bug must not lose an authentic message
            return await dead_letter_webhook(deliverer, body, request, exc)
        try:
            published, duplicates = await deliverer.deliver_normalised(normalised)
        except PublishFailed as exc:
            REQUESTS.labels(channel, "unavailable").inc()
            log.warning("%s webhook not acknowledged: %s", channel, exc)
            return error_response(503, "Kafka did not acknowledge the message; retry later")
        REQUESTS.labels(channel, "duplicate" if duplicates and not published else "accepted").inc()
        PUBLISH_SECONDS.labels(channel).observe(asyncio.get_running_loop().time() - started)
        return web.json_response({"published": published, "duplicates": duplicates})

    return handle_webhook


def replayable_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers a body must be posted again with: its content type and signatures (never addresses,
    cookies or tokens of the platform's request)."""
    return {name: value for name, value in headers.items()
            if name.lower() == "content-type" or "signature" in name.lower()}


async def dead_letter_webhook(deliverer: Deliverer, body: bytes, request: web.Request, exc: Exception) -> web.Response:
    """Keep a signed body that made the normaliser fail on contact.deadletter (stage "<channel>.normalise"),
    with its path and signature headers, so `python -m tools.deadletters replay` can post it again."""
    channel = deliverer.channel
    letter = codec.DeadLetter(
        original=body,
        original_path=request.path_qs,
        original_headers=replayable_headers(request.headers),
        source_topic=f"webhook:{channel}",
        stage=f"{channel}.normalise",
        # The exception's type and where it arose; never its message, which may quote the body.
        error=f"{type(exc).__name__} in the {channel} normaliser",
        failed_at=codec.timestamp_from_epoch(time.time()),
    )
    try:
        await deliverer.publisher.publish(topics.DEADLETTER, [(channel.encode(), letter.SerializeToString())])
    except PublishFailed:
        REQUESTS.labels(channel, "unavailable").inc()
        return error_response(503, "Kafka did not acknowledge; retry later")
    REQUESTS.labels(channel, "dead_letter").inc()
    log.error("%s webhook kept on %s: %s", channel, topics.DEADLETTER, letter.error, exc_info=False)
    return web.json_response({"dead_lettered": True}, status=202)


async def healthz(_: web.Request) -> web.Response:
    return web.Response(text="ok")


async def metrics_view(_: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def readiness_view(is_ready: Callable[[], Awaitable[bool]]) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def readyz(_: web.Request) -> web.Response:
        if await is_ready():
            return web.Response(text="ready")
        return web.Response(status=503, text="Kafka not reachable")

    return readyz


def create_ingest_app(
    publisher: KafkaPublisher, max_body_bytes: int, read_timeout_seconds: float = 10.0
) -> web.Application:
    """The aiohttp application with the health and metrics routes; the channel adds its webhook routes."""
    app = web.Application(client_max_size=max_body_bytes)
    app[MAX_BODY_BYTES] = max_body_bytes
    app[READ_TIMEOUT] = read_timeout_seconds
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readiness_view(publisher.is_ready))
    app.router.add_get("/metrics", metrics_view)
    return app


@dataclass
class Ingestor:
    """What a channel's wiring gets: the HTTP app (health, metrics), the deliverer, its helpers."""

    app: web.Application
    deliverer: Deliverer
    pseudonymizer: Pseudonymizer
    threads: ThreadIndex
    redis: Redis


def build_ingestor(settings: IngestorSettings, channel: str) -> Ingestor:
    """Wire Kafka, Redis and the health routes for one channel's ingestor; the caller adds its routes."""
    publisher = KafkaPublisher(
        settings.kafka_bootstrap_servers, settings.publish_timeout_seconds, f"ingest-{channel}",
        aiokafka_security(settings),
    )
    redis = Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=1.0, socket_connect_timeout=1.0)
    ledger = DeliveryLedger(redis, settings.dedup_ttl_seconds, claim_seconds=2 * settings.publish_timeout_seconds)
    threads = ThreadIndex(redis, settings.thread_ttl_seconds)
    replies = channel_of(channel).replies
    # A channel that can answer keeps its citizens' addresses, encrypted: without the key it does not start.
    addresses = (ReplyAddressBook(redis, AddressCipher.from_setting(
        settings.reply_address_key.get_secret_value()))  # type: ignore[attr-defined] - AnsweringIngestorSettings
        if replies.can_reply else None)
    app = create_ingest_app(publisher, settings.max_body_bytes, settings.read_timeout_seconds)

    async def lifecycle(_: web.Application):
        await publisher.start()
        yield
        await publisher.stop()
        await redis.aclose()

    app.cleanup_ctx.append(lifecycle)
    return Ingestor(
        app=app,
        # A signed webhook can be replayed by anyone who kept it: past the dedup window it is kept, not
        # published. Mail (a sender's clock may be years off) and KCC (authenticated agents) are not limited.
        deliverer=Deliverer(channel, publisher, ledger, settings.publish_timeout_seconds, threads,
                            max_age_seconds=settings.dedup_ttl_seconds if channel_of(channel).transport == "webhook"
                            else None,
                            addresses=addresses, address_ttl_seconds=replies.retention_days * 86400,
                            receipts=ReceiptBook(redis, channel) if replies.can_reply else None),
        pseudonymizer=Pseudonymizer(settings.author_pseudonym_key.get_secret_value().encode()),
        threads=threads,
        redis=redis,
    )


async def run_beside_probes(
    app: web.Application,
    settings: IngestorSettings,
    start: Callable[[], Awaitable[None]],
    stop: Callable[[], Awaitable[None]],
) -> None:
    """For ingestors that are not HTTP (SMTP, gRPC): serve the probe app, start the real server, and on
    SIGINT/SIGTERM stop the real server first (it drains in-flight work), then the probes and Kafka."""
    runner = web.AppRunner(app, **SERVER_OPTIONS)
    await runner.setup()
    await web.TCPSite(runner, settings.http_host, settings.http_port).start()
    await start()
    signalled = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, signalled.set)
    await signalled.wait()
    await stop()
    await runner.cleanup()


def serve(app: web.Application, settings: IngestorSettings) -> None:
    """Run until SIGINT/SIGTERM; aiohttp then finishes in-flight requests before closing."""
    configure_logging(settings.log_level)
    web.run_app(app, host=settings.http_host, port=settings.http_port, print=None, shutdown_timeout=10,
                **SERVER_OPTIONS)
